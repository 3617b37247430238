-- name: monthly_growth
-- description: The saved query monthly_growth, one row per calendar month (queries/monthly_growth.sql).
-- partition: year
--
-- The saved view over the whole months from {from} to {to}; its columns are
-- defined in queries/monthly_growth.sql.
SELECT * FROM monthly_growth_between(from = {from:Date}, to = {to:Date})
ORDER BY month
