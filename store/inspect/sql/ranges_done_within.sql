-- name: ranges_done_within
-- The completed ranges that overlap blocks {from:UInt64}..{to:UInt64}: what
-- another writer completed of a batch since this one planned it.
SELECT from_block, to_block FROM ranges_done FINAL
WHERE from_block <= {to:UInt64} AND to_block >= {from:UInt64}
ORDER BY from_block;
