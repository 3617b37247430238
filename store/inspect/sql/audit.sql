-- name: audit
-- What is stored for blocks {from:UInt64}..{to:UInt64}: each block's hash
-- and its own counts (trace_count NULL: loaded without traces) next to the rows actually present (after FINAL), for
-- `ethidx verify`.
SELECT b.number, b.hash, b.tx_count, b.log_count, b.withdrawal_count,
       ifNull(t.n, 0) AS tx_rows, ifNull(l.n, 0) AS log_rows, ifNull(w.n, 0) AS withdrawal_rows,
       b.trace_count, ifNull(c.n, 0) AS trace_rows
FROM (SELECT number, hash, tx_count, log_count, withdrawal_count, trace_count FROM blocks FINAL
      WHERE number BETWEEN {from:UInt64} AND {to:UInt64}) AS b
LEFT JOIN (SELECT block_number, count() AS n FROM transactions FINAL
           WHERE block_number BETWEEN {from:UInt64} AND {to:UInt64} GROUP BY block_number) AS t ON t.block_number = b.number
LEFT JOIN (SELECT block_number, count() AS n FROM logs FINAL
           WHERE block_number BETWEEN {from:UInt64} AND {to:UInt64} GROUP BY block_number) AS l ON l.block_number = b.number
LEFT JOIN (SELECT block_number, count() AS n FROM withdrawals FINAL
           WHERE block_number BETWEEN {from:UInt64} AND {to:UInt64} GROUP BY block_number) AS w ON w.block_number = b.number
LEFT JOIN (SELECT block_number, count() AS n FROM traces FINAL
           WHERE block_number BETWEEN {from:UInt64} AND {to:UInt64} GROUP BY block_number) AS c ON c.block_number = b.number
SETTINGS join_use_nulls = 1;
