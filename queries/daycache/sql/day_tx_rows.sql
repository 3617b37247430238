-- name: day_tx_rows
-- The transaction rows stored for blocks {lo:UInt64}..{hi:UInt64} (one
-- day's), for the day cache to check against the block rows' tx_count
-- before it caches figures computed from them. FINAL: rows written twice
-- and not yet merged must not hide rows that are gone.
SELECT count() AS n FROM transactions FINAL WHERE block_number BETWEEN {lo:UInt64} AND {hi:UInt64};
