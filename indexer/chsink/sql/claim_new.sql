-- name: claim_new
-- A writer's new claim on a block range, stamped with the server's clock
-- as the insert runs (not read before it), so that of two writers the one
-- whose claim was stored first is the older one.
INSERT INTO writer_claims (writer, kind, from_block, to_block, host, pid, claimed_us, released)
SELECT ?, ?, ?, ?, ?, ?, toUInt64(toUnixTimestamp64Micro(now64(6))), 0;
