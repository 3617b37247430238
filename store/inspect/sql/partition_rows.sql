-- name: partition_rows
-- For each million-block partition: the block rows stored and the rows they
-- say each child table holds, next to the child tables' row counts from the
-- parts' metadata (no data read). Metadata counts include not-yet-merged
-- duplicates, so they can only overstate: a count below the blocks' own
-- figure means rows are missing.
SELECT b.p, b.blocks, b.txs, ifNull(t.n, 0), b.logs, ifNull(l.n, 0), b.ws, ifNull(w.n, 0), b.cs, ifNull(c.n, 0)
FROM (SELECT intDiv(number, 1000000) AS p, count() AS blocks, sum(tx_count) AS txs,
             sum(log_count) AS logs, sum(withdrawal_count) AS ws, sum(ifNull(trace_count, 0)) AS cs
      FROM blocks FINAL GROUP BY p) AS b
LEFT JOIN (SELECT toUInt64(partition_id) AS p, sum(rows) AS n FROM system.parts
           WHERE database = currentDatabase() AND table = 'transactions' AND active GROUP BY p) AS t ON t.p = b.p
LEFT JOIN (SELECT toUInt64(partition_id) AS p, sum(rows) AS n FROM system.parts
           WHERE database = currentDatabase() AND table = 'logs' AND active GROUP BY p) AS l ON l.p = b.p
LEFT JOIN (SELECT toUInt64(partition_id) AS p, sum(rows) AS n FROM system.parts
           WHERE database = currentDatabase() AND table = 'withdrawals' AND active GROUP BY p) AS w ON w.p = b.p
LEFT JOIN (SELECT toUInt64(partition_id) AS p, sum(rows) AS n FROM system.parts
           WHERE database = currentDatabase() AND table = 'traces' AND active GROUP BY p) AS c ON c.p = b.p
SETTINGS join_use_nulls = 1;
