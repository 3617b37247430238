-- name: genesis_alone_count
-- Cached days that held block 0 alone, made before the genesis rule (see
-- queries/install/02_daily_blocks.sql); counted first so the usual start issues no
-- mutation.
SELECT count() AS n FROM _daily_rollup_v2 WHERE first_block = 0 AND last_block = 0;
