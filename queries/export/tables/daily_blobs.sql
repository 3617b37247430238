-- name: daily_blobs
-- description: The saved query daily_blobs, one row per UTC day (queries/daily_blobs.sql).
-- partition: month
--
-- The saved view over the days [from, to]; its columns are defined in
-- queries/daily_blobs.sql.
SELECT * FROM daily_blobs_between(from = {from:Date}, to = {to:Date})
ORDER BY day
