-- name: monthly_growth
-- description: Per calendar month: mean daily active addresses, new addresses, transactions, and month-over-month growth.
-- params: from Date = 1970-01-01 (any day of the first month), to Date = 2105-12-31 (any day of the last month)
-- views: monthly_growth_between(from, to); monthly_growth (every month)
--
-- One row per UTC calendar month in [from, to] with at least one stored
-- block. Only complete days (see daily_activity) enter the figures, so a
-- day the index holds part of never drags a month down.
--
--   month                         first day of the month; days are those
--                                 of daily_activity, so mainnet's genesis
--                                 block makes no 1970-01 month
--   days_covered                  complete days in the month
--   days_in_month                 28 to 31
--   partial                       1 when days_covered < days_in_month;
--                                 compare the per-day means, not totals
--   active_addresses_mean         mean of daily active_addresses
--   active_senders_mean           mean of daily active_senders
--   new_addresses                 sum of daily new_addresses
--   transactions                  sum of daily tx_count
--   new_addresses_per_day         new_addresses / days_covered
--   transactions_per_day          transactions / days_covered
--   new_addresses_exact           1 when every covered day's new addresses
--                                 are exact (history from genesis)
--   new_senders, active_all_parties_mean, new_all_parties (and per day)
--                                 the same figures under the senders and
--                                 all_parties definitions (daily_activity);
--                                 new_addresses_exact holds for them too
--   prev_partial                  partial of the previous month (NULL if
--                                 the previous month has no stored block)
--   *_growth_pct                  month over month: 100 * (M / (M-1) - 1),
--                                 rounded half away from zero to one
--                                 decimal; NULL when the previous calendar
--                                 month has no complete day or a zero value.
--                                 active_addresses uses the means, new
--                                 addresses and transactions the totals,
--                                 *_per_day_growth_pct the per-day means.
WITH
    (cur, prev) -> if(prev > 0, toFloat64(round(toDecimal128(100 * (cur / prev - 1), 9), 1)), NULL) AS growth
SELECT
    month,
    days_covered,
    days_in_month,
    partial,
    active_addresses_mean,
    active_senders_mean,
    new_addresses,
    transactions,
    new_addresses_per_day,
    transactions_per_day,
    new_addresses_exact,
    if(prev_month = month - INTERVAL 1 MONTH, prev_partial, NULL) AS prev_partial,
    if(prev_month = month - INTERVAL 1 MONTH, growth(active_addresses_mean, prev_active), NULL) AS active_addresses_growth_pct,
    if(prev_month = month - INTERVAL 1 MONTH, growth(active_senders_mean, prev_senders), NULL) AS active_senders_growth_pct,
    if(prev_month = month - INTERVAL 1 MONTH, growth(new_addresses, prev_new), NULL) AS new_addresses_growth_pct,
    if(prev_month = month - INTERVAL 1 MONTH, growth(transactions, prev_tx), NULL) AS transactions_growth_pct,
    if(prev_month = month - INTERVAL 1 MONTH, growth(new_addresses_per_day, prev_new_per_day), NULL) AS new_addresses_per_day_growth_pct,
    if(prev_month = month - INTERVAL 1 MONTH, growth(transactions_per_day, prev_tx_per_day), NULL) AS transactions_per_day_growth_pct,
    new_senders,
    new_senders_per_day,
    active_all_parties_mean,
    new_all_parties,
    new_all_parties_per_day,
    if(prev_month = month - INTERVAL 1 MONTH, growth(new_senders, prev_new_senders), NULL) AS new_senders_growth_pct,
    if(prev_month = month - INTERVAL 1 MONTH, growth(active_all_parties_mean, prev_all), NULL) AS active_all_parties_growth_pct,
    if(prev_month = month - INTERVAL 1 MONTH, growth(new_all_parties, prev_new_all), NULL) AS new_all_parties_growth_pct,
    if(prev_month = month - INTERVAL 1 MONTH, growth(new_senders_per_day, prev_new_senders_per_day), NULL) AS new_senders_per_day_growth_pct,
    if(prev_month = month - INTERVAL 1 MONTH, growth(new_all_parties_per_day, prev_new_all_per_day), NULL) AS new_all_parties_per_day_growth_pct
FROM
(
    SELECT
        *,
        lagInFrame(month, 1, toDate(0)) OVER w AS prev_month,
        lagInFrame(partial, 1, 0) OVER w AS prev_partial,
        lagInFrame(active_addresses_mean, 1, 0) OVER w AS prev_active,
        lagInFrame(active_senders_mean, 1, 0) OVER w AS prev_senders,
        lagInFrame(new_addresses, 1, 0) OVER w AS prev_new,
        lagInFrame(transactions, 1, 0) OVER w AS prev_tx,
        lagInFrame(new_addresses_per_day, 1, 0) OVER w AS prev_new_per_day,
        lagInFrame(transactions_per_day, 1, 0) OVER w AS prev_tx_per_day,
        lagInFrame(new_senders, 1, 0) OVER w AS prev_new_senders,
        lagInFrame(active_all_parties_mean, 1, 0) OVER w AS prev_all,
        lagInFrame(new_all_parties, 1, 0) OVER w AS prev_new_all,
        lagInFrame(new_senders_per_day, 1, 0) OVER w AS prev_new_senders_per_day,
        lagInFrame(new_all_parties_per_day, 1, 0) OVER w AS prev_new_all_per_day
    FROM
    (
        SELECT
            toStartOfMonth(day) AS month,
            countIf(complete = 1) AS days_covered,
            toDayOfMonth(toLastDayOfMonth(month)) AS days_in_month,
            toUInt8(days_covered < days_in_month) AS partial,
            if(days_covered > 0, sumIf(active_addresses, complete = 1) / days_covered, 0) AS active_addresses_mean,
            if(days_covered > 0, sumIf(active_senders, complete = 1) / days_covered, 0) AS active_senders_mean,
            sumIf(new_addresses, complete = 1) AS new_addresses,
            sumIf(tx_count, complete = 1) AS transactions,
            if(days_covered > 0, new_addresses / days_covered, 0) AS new_addresses_per_day,
            if(days_covered > 0, transactions / days_covered, 0) AS transactions_per_day,
            toUInt8(days_covered > 0 AND minIf(new_addresses_exact, complete = 1) = 1) AS new_addresses_exact,
            sumIf(new_senders, complete = 1) AS new_senders,
            if(days_covered > 0, new_senders / days_covered, 0) AS new_senders_per_day,
            if(days_covered > 0, sumIf(active_all_parties, complete = 1) / days_covered, 0) AS active_all_parties_mean,
            sumIf(new_all_parties, complete = 1) AS new_all_parties,
            if(days_covered > 0, new_all_parties / days_covered, 0) AS new_all_parties_per_day
                -- The month before the first one too, for its growth; 1970-01 has
        -- none (and Date cannot go below 1970-01-01).
        FROM daily_activity_between(
            from = if(toStartOfMonth({from:Date}) = toDate(0), toDate(0), toStartOfMonth({from:Date}) - INTERVAL 1 MONTH),
            to = toLastDayOfMonth({to:Date}))
        GROUP BY month
    )
    WINDOW w AS (ORDER BY month ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
)
WHERE month >= toStartOfMonth({from:Date})
ORDER BY month
