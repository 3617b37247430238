-- name: views_record
-- Records that the views of the statements hashing to ? are installed.
INSERT INTO _views_installed (hash) VALUES (?);
