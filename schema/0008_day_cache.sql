-- Cache of the per-day address figures, which are the only expensive ones
-- (distinct addresses over ~1M rows a day; first appearances over every
-- address ever seen). Refresh fills it for complete days; the views read a
-- day from it only while the day's blocks still match what the row was
-- computed from, and compute the day live otherwise. So the cache can be
-- stale, partial, duplicated or dropped without any figure changing: it
-- only makes reads fast.
--
-- A row is valid for day d while, in the current blocks table,
--   * d has the same first and last block, block count and fingerprint
--     (xor of cityHash64 of the block hashes): none of d's blocks was
--     replaced, added or removed, so its transactions are the same (a block
--     row is written after its transactions, and its hash commits to them);
--   * the number of stored blocks before d is the same: nothing earlier was
--     backfilled or rewound, and since d's first block hash commits to its
--     ancestors, every earlier stored block is the same one. That is what
--     new_addresses (first appearance over all earlier history) depends on.
--
-- The _v1 suffix is the cache format: a change of columns gets a new table
-- (and migration) instead of an ALTER, and the old one can be dropped.
-- (Until this migration the table was created by the saved queries'
-- install; IF NOT EXISTS keeps existing caches.)
CREATE TABLE IF NOT EXISTS _daily_rollup_v1
(
    day              Date,
    first_block      UInt64,
    last_block       UInt64,
    blocks           UInt64,
    fingerprint      UInt64,
    prior_blocks     UInt64,
    active_addresses UInt64,
    active_senders   UInt64,
    new_addresses    UInt64,
    computed_at      DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = ReplacingMergeTree(computed_at)
ORDER BY day;
