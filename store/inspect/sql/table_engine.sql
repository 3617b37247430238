-- name: table_engine
-- The engine of a table of this database (Distributed on a cluster).
SELECT engine FROM system.tables WHERE database = currentDatabase() AND name = ?;
