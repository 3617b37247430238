-- name: coverage
-- The first and last stored block of each UTC day in [from, to] and
-- whether every block of the day is stored (queries/daily_coverage.sql):
-- a date range is exported only when each of its days is complete.
SELECT day, first_block, last_block, complete
FROM daily_coverage_between(from = {from:Date}, to = {to:Date})
ORDER BY day
