-- name: ranges_done
-- Completed block ranges, for the pipeline to merge into a cursor.
SELECT from_block, to_block FROM ranges_done FINAL ORDER BY from_block;
