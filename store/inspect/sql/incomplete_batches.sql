-- name: incomplete_batches
-- Per batch of {batch:UInt64} blocks counted from {from:UInt64}, over the
-- blocks {lo:UInt64}..{hi:UInt64} (the span recorded as complete): the block
-- rows stored and what they say the batch holds,
-- next to the transaction, log, withdrawal and trace rows actually present (after
-- FINAL). A backfill loads again every batch recorded as complete whose rows
-- fall short: a range in ranges_done is trusted only while its rows agree.
SELECT toUInt64(b.g), b.blocks, b.txs, ifNull(t.n, 0), b.logs, ifNull(l.n, 0), b.ws, ifNull(w.n, 0), b.cs, ifNull(c.n, 0)
FROM (SELECT toUInt64(intDiv(number - {from:UInt64}, {batch:UInt64})) AS g, count() AS blocks,
             sum(tx_count) AS txs, sum(log_count) AS logs, sum(withdrawal_count) AS ws, sum(ifNull(trace_count, 0)) AS cs
      FROM blocks FINAL WHERE number BETWEEN {lo:UInt64} AND {hi:UInt64} GROUP BY g) AS b
LEFT JOIN (SELECT toUInt64(intDiv(block_number - {from:UInt64}, {batch:UInt64})) AS g, count() AS n FROM transactions FINAL
           WHERE block_number BETWEEN {lo:UInt64} AND {hi:UInt64} GROUP BY g) AS t ON t.g = b.g
LEFT JOIN (SELECT toUInt64(intDiv(block_number - {from:UInt64}, {batch:UInt64})) AS g, count() AS n FROM logs FINAL
           WHERE block_number BETWEEN {lo:UInt64} AND {hi:UInt64} GROUP BY g) AS l ON l.g = b.g
LEFT JOIN (SELECT toUInt64(intDiv(block_number - {from:UInt64}, {batch:UInt64})) AS g, count() AS n FROM withdrawals FINAL
           WHERE block_number BETWEEN {lo:UInt64} AND {hi:UInt64} GROUP BY g) AS w ON w.g = b.g
LEFT JOIN (SELECT toUInt64(intDiv(block_number - {from:UInt64}, {batch:UInt64})) AS g, count() AS n FROM traces FINAL
           WHERE block_number BETWEEN {lo:UInt64} AND {hi:UInt64} GROUP BY g) AS c ON c.g = b.g
SETTINGS join_use_nulls = 1;
