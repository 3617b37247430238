-- name: claim_insert
-- A writer's claim on a block range, or its renewal (the same claimed_us,
-- a new heartbeat), or its release (released = 1). claimed_us is the
-- server's clock, read back by claim_holders, so writers on machines
-- whose clocks differ are ordered by one clock.
INSERT INTO writer_claims (writer, kind, from_block, to_block, host, pid, claimed_us, released) VALUES (?, ?, ?, ?, ?, ?, ?, ?);
