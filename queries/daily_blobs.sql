-- name: daily_blobs
-- description: Per UTC day: blob-carrying transactions, blobs and blob gas (EIP-4844).
-- params: from Date = 1970-01-01 (first day), to Date = 2105-12-31 (last day)
-- views: daily_blobs_between(from, to); daily_blobs (every day)
--
-- One row per UTC day in [from, to] with at least one stored block, from the
-- per-block rollup columns of blocks (read with FINAL); zeros before Dencun
-- (2024-03-13).
--
--   day                UTC date of the block timestamp; the genesis block
--                      (timestamp 0 on mainnet) counts on the day of
--                      block 1, so no 1970 day appears (README.md)
--   complete           1 when every block of the day is stored (see
--                      daily_coverage)
--   blocks             stored blocks
--   blocks_with_blobs  blocks carrying at least one blob
--   blob_txs           transactions carrying blobs (type 3)
--   blobs              blobs (versioned hashes) carried
--   blob_gas_used      blob gas used, from the block headers
--   blobs_per_block    blobs / blocks
SELECT
    day,
    complete,
    blocks,
    blob_blocks AS blocks_with_blobs,
    blob_tx_count AS blob_txs,
    blob_count AS blobs,
    blob_gas_used,
    blob_count / blocks AS blobs_per_block
FROM _daily_blocks(from = {from:Date}, to = {to:Date})
ORDER BY day
