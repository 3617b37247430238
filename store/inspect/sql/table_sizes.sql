-- name: table_sizes
-- Rows and bytes of each table of this database, from the active parts'
-- metadata: no data is read, so it is cheap enough for a metrics refresh.
-- Every MergeTree table is listed, an empty one (no parts yet) with zeros,
-- so a gauge reads 0 rather than going missing. Rows count not-yet-merged
-- duplicates of a ReplacingMergeTree (a block written twice counts twice
-- until a merge): what is on disk, not what FINAL returns.
SELECT t.name, p.rows, p.compressed, p.uncompressed, p.parts
FROM system.tables AS t
LEFT JOIN
(
    SELECT table, sum(rows) AS rows, sum(data_compressed_bytes) AS compressed,
           sum(data_uncompressed_bytes) AS uncompressed, count() AS parts
    FROM system.parts
    WHERE database = currentDatabase() AND active
    GROUP BY table
) AS p ON p.table = t.name
WHERE t.database = currentDatabase() AND t.engine LIKE '%MergeTree'
ORDER BY t.name
SETTINGS join_use_nulls = 0;
