-- name: ledger_short
-- Per million-block partition: the rows the completion ledger says the
-- completed ranges received, next to the rows present in the parts'
-- metadata. Only ranges whose last block is still the stored one count (a
-- reorg repair rewrote the others), and only partitions whose ranges do not
-- overlap (ranges loaded again with another batch size would be counted
-- twice; the block rows' own counts still check those). Metadata counts
-- include unmerged duplicates, so they only overstate: fewer rows than
-- received means rows are missing.
WITH
    valid AS
    (
        SELECT r.from_block AS f, r.to_block AS t, r.blocks AS blocks, r.transactions AS txs, r.logs AS logs, r.withdrawals AS ws, r.traces AS cs
        FROM range_ledger AS r FINAL
        INNER JOIN
        (
            SELECT number, hash FROM blocks FINAL WHERE number IN (SELECT to_block FROM range_ledger)
        ) AS k ON k.number = r.to_block AND k.hash = r.last_hash
    ),
    marked AS
    (
        SELECT *, intDiv(f, 1000000) AS p,
               f < max(t + 1) OVER (ORDER BY f, t ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS overlaps,
               intDiv(f, 1000000) != intDiv(t, 1000000) AS spans
        FROM valid
    ),
    received AS
    (
        SELECT p, sum(blocks) AS blocks, sum(txs) AS txs, sum(logs) AS logs, sum(ws) AS ws, sum(cs) AS cs
        FROM marked
        GROUP BY p
        HAVING NOT max(overlaps) AND NOT max(spans)
    )
SELECT g.p, g.blocks, g.txs, ifNull(t.n, 0), g.logs, ifNull(l.n, 0), g.ws, ifNull(w.n, 0), ifNull(b.n, 0), g.cs, ifNull(c.n, 0)
FROM received AS g
LEFT JOIN (SELECT toUInt64(partition_id) AS p, sum(rows) AS n FROM system.parts
           WHERE database = currentDatabase() AND table = 'transactions' AND active GROUP BY p) AS t ON t.p = g.p
LEFT JOIN (SELECT toUInt64(partition_id) AS p, sum(rows) AS n FROM system.parts
           WHERE database = currentDatabase() AND table = 'logs' AND active GROUP BY p) AS l ON l.p = g.p
LEFT JOIN (SELECT toUInt64(partition_id) AS p, sum(rows) AS n FROM system.parts
           WHERE database = currentDatabase() AND table = 'withdrawals' AND active GROUP BY p) AS w ON w.p = g.p
LEFT JOIN (SELECT toUInt64(partition_id) AS p, sum(rows) AS n FROM system.parts
           WHERE database = currentDatabase() AND table = 'blocks' AND active GROUP BY p) AS b ON b.p = g.p
LEFT JOIN (SELECT toUInt64(partition_id) AS p, sum(rows) AS n FROM system.parts
           WHERE database = currentDatabase() AND table = 'traces' AND active GROUP BY p) AS c ON c.p = g.p
SETTINGS join_use_nulls = 1;
