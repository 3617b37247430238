-- name: daily_coverage
-- description: Per UTC day: which blocks are stored, whether the day is complete, whether history reaches back to genesis.
-- params: from Date = 1970-01-01 (first day), to Date = 2105-12-31 (last day)
-- views: daily_coverage_between(from, to); daily_coverage (every day)
--
-- One row per UTC day in [from, to] with at least one stored block. Reads
-- only the blocks table (one row per block), so it is cheap for any range.
--
--   day             UTC date of the block timestamps; the genesis block
--                   (timestamp 0 on mainnet) counts on the day of
--                   block 1, so no 1970 day appears (README.md)
--   first_block     lowest stored block number that day
--   last_block      highest stored block number that day
--   blocks          stored blocks that day
--   missing_blocks  gaps between first_block and last_block
--   complete        1 when every block of the day is stored. Timestamps
--                   strictly increase with block numbers, so a day's blocks
--                   are one run of numbers: the day is complete when that
--                   run has no gap and the blocks just before and just after
--                   it (on the neighbouring days) are stored too. The day at
--                   the head of the index stays incomplete until the next
--                   day's first block arrives.
--   from_genesis    1 when every block from genesis to the day is stored,
--                   so first appearances (new addresses) are exact
SELECT
    day,
    first_block,
    last_block,
    blocks,
    toUInt64(last_block + 1 - first_block - blocks) AS missing_blocks,
    complete,
    from_genesis
FROM _daily_blocks(from = {from:Date}, to = {to:Date})
ORDER BY day
