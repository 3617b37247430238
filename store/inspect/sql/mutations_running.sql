-- name: mutations_running
-- How many mutations (a rewind's deletes) of the database are still
-- running: the parts inventory is taken once they are done.
SELECT count() FROM system.mutations WHERE database = currentDatabase() AND NOT is_done;
