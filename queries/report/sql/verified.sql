-- name: verified
-- The newest `ethidx verify` run (0007_verify_runs.sql) that covers blocks
-- {from:UInt64}..{to:UInt64}, if any: the report's verification level.
SELECT from_block, to_block, problems, finished_at
FROM verify_runs
WHERE from_block <= {from:UInt64} AND to_block >= {to:UInt64}
ORDER BY finished_at DESC
LIMIT 1;
