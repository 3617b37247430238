-- name: claim_insert
-- A renewal of a writer's claim (the same claimed_us, a new heartbeat), or
-- its release (released = 1, or 2 when given up unfinished). New claims
-- are claim_new's.
INSERT INTO writer_claims (writer, kind, from_block, to_block, host, pid, claimed_us, released) VALUES (?, ?, ?, ?, ?, ?, ?, ?);
