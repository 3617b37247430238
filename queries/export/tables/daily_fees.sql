-- name: daily_fees
-- description: The saved query daily_fees, one row per UTC day (queries/daily_fees.sql).
-- partition: month
--
-- The saved view over the days [from, to]; its columns are defined in
-- queries/daily_fees.sql.
SELECT * FROM daily_fees_between(from = {from:Date}, to = {to:Date})
ORDER BY day
