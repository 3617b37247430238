-- name: stale_days
-- Complete days of {from:Date}..{to:Date} whose figures are not cached
-- under their current block fingerprint: the days Refresh computes.
SELECT day, first_block, last_block, blocks, fingerprint, prior_blocks, tx_count
FROM _daily_cache(from = {from:Date}, to = {to:Date})
WHERE complete = 1 AND cached = 0
ORDER BY day;
