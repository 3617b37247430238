-- name: genesis_alone_drop
-- Deletes the cached days that held block 0 alone (see genesis_alone_count).
DELETE FROM _daily_rollup_v2 WHERE first_block = 0 AND last_block = 0;
