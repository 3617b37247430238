-- name: daily_activity
-- description: The saved query daily_activity, one row per UTC day (queries/daily_activity.sql).
-- partition: month
--
-- The saved view over the days [from, to]; its columns are defined in
-- queries/daily_activity.sql.
SELECT * FROM daily_activity_between(from = {from:Date}, to = {to:Date})
ORDER BY day
