-- name: rows_in
-- The first and last block, and the count, of the rows stored for blocks
-- {from:UInt64}..{to:UInt64} in the tables a load writes (transactions and
-- withdrawals and traces first, blocks last): rows a stopped writer left outside every
-- completed range. Each read is bounded by the sorting key.
SELECT min(n), max(n), count()
FROM
(
    SELECT block_number AS n FROM transactions WHERE block_number BETWEEN {from:UInt64} AND {to:UInt64}
    UNION ALL
    SELECT block_number AS n FROM withdrawals WHERE block_number BETWEEN {from:UInt64} AND {to:UInt64}
    UNION ALL
    SELECT block_number AS n FROM traces WHERE block_number BETWEEN {from:UInt64} AND {to:UInt64}
    UNION ALL
    SELECT number AS n FROM blocks WHERE number BETWEEN {from:UInt64} AND {to:UInt64}
);
