-- name: applied
-- The versions of the migrations already applied.
SELECT version FROM schema_migrations FINAL;
