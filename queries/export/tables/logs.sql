-- name: logs
-- description: One row per log.
-- partition: blocks 1000000
-- bytes: data
--
-- The logs table as stored, one row per log (FINAL), of the blocks in
-- [from, to].
SELECT * FROM logs FINAL
WHERE block_number BETWEEN {from:UInt64} AND {to:UInt64}
ORDER BY block_number, log_index
