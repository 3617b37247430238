-- name: current_database
-- The connection's current database, which Install qualifies every view's
-- references with.
SELECT currentDatabase() AS name;
