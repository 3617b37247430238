-- name: active_parts
-- The database's active parts whose going away a later look can account
-- for: a merge or a mutation replaces a part by one covering its block
-- numbers in the same partition, so a part neither active nor covered
-- later was lost (its directory deleted or gone on disk). Parts with
-- lightweight deletes may be dropped once empty, and writer_claims' parts
-- by TTL, so they are left out; so are the tables with a mutation still
-- running (a rewind's delete that empties a part drops it after this look).
SELECT table, partition_id, name, min_block_number, max_block_number, rows
FROM system.parts
WHERE database = currentDatabase() AND active AND NOT has_lightweight_delete AND table != 'writer_claims'
  AND table NOT IN (SELECT table FROM system.mutations WHERE database = currentDatabase() AND NOT is_done)
ORDER BY table, partition_id, min_block_number;
