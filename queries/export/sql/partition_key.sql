-- name: partition_key
-- The partition key of table {table:String} of the current database, to
-- check that an export's files follow the table's partitions.
SELECT partition_key FROM system.tables
WHERE database = currentDatabase() AND name = {table:String}
