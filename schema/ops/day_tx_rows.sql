-- name: day_tx_rows
-- The transaction rows stored for blocks {lo:UInt64}..{hi:UInt64} (one
-- day's), for the day cache to check against the block rows' tx_count
-- before it caches figures computed from them.
SELECT count() AS n FROM transactions WHERE block_number BETWEEN {lo:UInt64} AND {hi:UInt64};
