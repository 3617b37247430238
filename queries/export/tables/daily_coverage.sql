-- name: daily_coverage
-- description: The saved query daily_coverage, one row per UTC day (queries/daily_coverage.sql).
-- partition: month
--
-- The saved view over the days [from, to]; its columns are defined in
-- queries/daily_coverage.sql.
SELECT * FROM daily_coverage_between(from = {from:Date}, to = {to:Date})
ORDER BY day
