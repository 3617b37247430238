-- name: blocks
-- description: One row per block, with its per-block rollups.
-- partition: blocks 1000000
-- bytes: extra_data
--
-- The blocks table as stored, one row per block (FINAL), in [from, to].
SELECT * FROM blocks FINAL
WHERE number BETWEEN {from:UInt64} AND {to:UInt64}
ORDER BY number
