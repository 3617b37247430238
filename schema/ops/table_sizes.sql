-- name: table_sizes
-- Rows and bytes of each table of this database, from the active parts'
-- metadata: no data is read, so it is cheap enough for a metrics scrape.
-- Rows count not-yet-merged duplicates of a ReplacingMergeTree (a block
-- written twice counts twice until a merge), so they are what is on disk,
-- not what FINAL returns.
SELECT table, sum(rows), sum(data_compressed_bytes), sum(data_uncompressed_bytes), count()
FROM system.parts
WHERE database = currentDatabase() AND active
GROUP BY table
ORDER BY table;
