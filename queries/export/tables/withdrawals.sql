-- name: withdrawals
-- description: One row per withdrawal (amount in gwei).
-- partition: blocks 1000000
--
-- The withdrawals table as stored, one row per withdrawal (FINAL), of the
-- blocks in [from, to].
SELECT * FROM withdrawals FINAL
WHERE block_number BETWEEN {from:UInt64} AND {to:UInt64}
ORDER BY block_number, withdrawal_index
