-- name: verify_runs
-- One row per finished `ethidx verify`: the range it audited against the
-- node, how many problems it found, and when. `ethidx status` shows the last
-- one, so an operator sees when the store was last checked and what came of
-- it without keeping the verify output. Runs are events, never replaced, so
-- a plain MergeTree; a row is a few dozen bytes.
CREATE TABLE IF NOT EXISTS verify_runs
(
    from_block  UInt64,
    to_block    UInt64,
    problems    UInt64,
    started_at  DateTime64(3, 'UTC'),
    finished_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY finished_at;
