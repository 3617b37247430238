-- name: last_verify
-- The newest verify run, if any (see 0007_verify_runs.sql).
SELECT from_block, to_block, problems, started_at, finished_at
FROM verify_runs
ORDER BY finished_at DESC
LIMIT 1;
