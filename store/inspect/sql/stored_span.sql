-- name: stored_span
-- The first and last stored block of {from:UInt64}..{to:UInt64}, and how
-- many there are: the blocks a detached part covered when no completed
-- range records them.
SELECT min(number), max(number), count() FROM blocks FINAL WHERE number BETWEEN {from:UInt64} AND {to:UInt64};
