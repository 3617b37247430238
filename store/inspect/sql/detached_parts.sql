-- name: detached_parts
-- Parts of this database's tables that the engine took out of service: found
-- broken on start or later, unexpected, or detached by hand. Their rows are
-- gone from every query, so the store is not whole until they are repaired.
-- (Parts detached as 'ignored' or 'clone' are copies of rows that are still
-- present, and do not count.)
SELECT table, name, reason, partition_id
FROM system.detached_parts
WHERE database = currentDatabase()
  AND (reason = '' OR reason LIKE 'broken%' OR reason IN ('unexpected', 'noquorum', 'covered-by-broken'))
ORDER BY table, name;
