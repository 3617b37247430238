-- name: block_time
-- The timestamp (seconds since the epoch) of stored block {n:UInt64}, and
-- whether it is stored: the age of the stored tip.
SELECT toUInt64(max(timestamp)), count() FROM blocks FINAL WHERE number = {n:UInt64};
