-- name: neighbours
-- The stored blocks {below:UInt64} and {above:UInt64}, either side of a
-- range about to be written: its first block's parent hash must be the
-- hash of the one below, and its last block's hash the parent hash of the
-- one above (see Sink.Neighbours).
SELECT number, hash, parent_hash FROM blocks FINAL WHERE number IN ({below:UInt64}, {above:UInt64});
