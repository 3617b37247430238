-- name: block_hashes
-- Stored hashes of blocks {from:UInt64}..{to:UInt64}, for reorg detection.
SELECT number, hash FROM blocks FINAL WHERE number BETWEEN {from:UInt64} AND {to:UInt64};
