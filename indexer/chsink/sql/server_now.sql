-- name: server_now
-- The server's clock, which orders claims (see claim_insert).
SELECT toUInt64(toUnixTimestamp64Micro(now64(6)));
