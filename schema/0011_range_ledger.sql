-- name: range_ledger
-- The completion ledger: one row per completed range, written with it
-- (after its rows, beside ranges_done), saying what each table received
-- for the range and the hash of its last block. The damage check compares
-- the rows present (from the parts' metadata, per million-block partition)
-- with what the ledger says was written, so rows lost with their block
-- rows are still missed, and a range whose last block is no longer the
-- stored one (rewritten by a reorg repair) is told apart.
CREATE TABLE IF NOT EXISTS range_ledger
(
    from_block   UInt64,
    to_block     UInt64,
    last_hash    FixedString(32),
    blocks       UInt64,
    transactions UInt64,
    logs         UInt64,
    withdrawals  UInt64,
    written_at   DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(written_at)
ORDER BY (from_block, to_block);
