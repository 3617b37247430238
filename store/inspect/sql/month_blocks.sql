-- name: month_blocks
-- The first and last stored block of calendar month {month:UInt32}
-- (YYYYMM), to name the blocks a damaged monthly partition covered.
SELECT min(number), max(number), count() FROM blocks FINAL WHERE toYYYYMM(timestamp) = {month:UInt32};
