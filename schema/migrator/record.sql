-- name: record
-- Records one applied migration (version, name).
INSERT INTO schema_migrations (version, name) VALUES (?, ?);
