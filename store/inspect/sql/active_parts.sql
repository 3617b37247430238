-- name: active_parts
-- The database's active parts, for the parts inventory: a merge or a
-- mutation replaces a part by one covering its block numbers in the same
-- partition, so a recorded part neither active nor covered later was lost
-- (its directory deleted or gone on disk). settled says a part may be
-- recorded: parts with lightweight deletes may be dropped once empty, and
-- writer_claims' parts by TTL, so they are not; nor are the parts of tables
-- with a mutation still running (a rewind's delete that empties a part
-- drops it after this look). Every active part, settled or not, covers
-- the recorded parts it replaced: a delete made while ethidx was closed
-- rewrites parts under new names, and loses none.
SELECT table, partition_id, name, min_block_number, max_block_number, rows,
       NOT has_lightweight_delete AND table != 'writer_claims'
         AND table NOT IN (SELECT table FROM system.mutations WHERE database = currentDatabase() AND NOT is_done) AS settled
FROM system.parts
WHERE database = currentDatabase() AND active
ORDER BY table, partition_id, min_block_number;
