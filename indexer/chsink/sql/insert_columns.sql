-- name: insert_columns
-- The types of a table's columns, for inserts over HTTP: read once per
-- table by each writer and handed to the driver, which otherwise sends a
-- DESCRIBE TABLE before every insert (a round trip and a query each; the
-- follower makes four inserts a block).
SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = ?;
