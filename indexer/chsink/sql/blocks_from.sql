-- name: blocks_from
-- How many blocks are stored from block ? on, and the first one's time:
-- what `ethidx rebuild --from` works on.
SELECT count(), min(timestamp) FROM blocks WHERE number >= ?;
