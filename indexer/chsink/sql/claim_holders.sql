-- name: claim_holders
-- The live claims (renewed within {ttl:UInt32} seconds, not released) that
-- overlap blocks {from:UInt64}..{to:UInt64}, oldest first: the first one
-- holds the range.
SELECT writer, kind, from_block, to_block, host, pid, claimed_us
FROM writer_claims FINAL
WHERE released = 0
  AND heartbeat > now64(6) - toIntervalSecond({ttl:UInt32})
  AND from_block <= {to:UInt64} AND to_block >= {from:UInt64}
ORDER BY claimed_us, writer;
