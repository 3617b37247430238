-- name: traces
-- description: One row per call frame, for blocks loaded with --traces (see schema/0015_traces.sql).
-- partition: blocks 1000000
--
-- The traces table as stored (FINAL), of the blocks in [from, to]; blocks
-- loaded without --traces have no rows here.
SELECT * FROM traces FINAL
WHERE block_number BETWEEN {from:UInt64} AND {to:UInt64}
ORDER BY block_number, transaction_index, frame
