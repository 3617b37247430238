-- name: coverage
-- The day cache (schema/0008_day_cache.sql): how many days hold a
-- cached row, and the first and last of them. It reads the cache table only
-- (one small row per day), so it is cheap; whether each row still applies
-- to the stored blocks is valid's question.
SELECT count(), min(day), max(day) FROM _daily_rollup_v2 FINAL;
