-- name: linked
-- Whether blocks {from:UInt64}..{to:UInt64} are all stored and form one
-- run linked by parent hash (each one's parent hash is the stored hash of
-- the one before): then, if the last is the node's block, all are, and a
-- repair need not ask the node about each (see Sink.Linked).
SELECT count() = {to:UInt64} - {from:UInt64} + 1 AND countIf(number > {from:UInt64} AND parent_hash != prev) = 0
FROM
(
    SELECT number, parent_hash, lagInFrame(hash) OVER (ORDER BY number ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS prev
    FROM blocks FINAL
    WHERE number BETWEEN {from:UInt64} AND {to:UInt64}
);
