-- name: transactions
-- description: One row per transaction, receipt fields merged.
-- partition: blocks 1000000
-- bytes: input
--
-- The transactions table as stored, one row per transaction (FINAL), of
-- the blocks in [from, to].
SELECT * FROM transactions FINAL
WHERE block_number BETWEEN {from:UInt64} AND {to:UInt64}
ORDER BY block_number, tx_index
