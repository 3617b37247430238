-- name: token_transfers
-- description: One row per ERC-20, ERC-721 or ERC-1155 transfer (see schema/0013_token_transfers.sql).
-- partition: blocks 1000000
--
-- The token_transfers table as stored (FINAL), of the blocks in [from, to].
SELECT * FROM token_transfers FINAL
WHERE block_number BETWEEN {from:UInt64} AND {to:UInt64}
ORDER BY block_number, log_index, batch_index
