-- name: writer_claims
-- Which writer is loading which block range right now, so that two ethidx
-- processes never write the same blocks at once: a second follower of one
-- store refuses, and backfills over one range take different batches (see
-- chsink.Claims). A claim lives while its writer renews its heartbeat (a
-- new row version every few seconds); a writer that dies leaves a claim
-- that expires by itself. Of two overlapping live claims the older one
-- (claimed_us, then writer) holds the range; the newer writer gives way.
CREATE TABLE IF NOT EXISTS writer_claims
(
    writer      String,
    kind        LowCardinality(String),
    from_block  UInt64,
    to_block    UInt64,
    host        String,
    pid         UInt32,
    claimed_us  UInt64, -- the server's clock, microseconds since 1970
    heartbeat   DateTime64(6, 'UTC') DEFAULT now64(6),
    released    UInt8 DEFAULT 0
)
ENGINE = ReplacingMergeTree(heartbeat)
ORDER BY (writer, from_block, to_block)
TTL toDateTime(heartbeat) + INTERVAL 1 DAY;
