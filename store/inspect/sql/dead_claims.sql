-- name: dead_claims
-- Every claim's latest state (see schema/0010_writer_claims.sql): live = 1
-- while its writer renews it (within {ttl:UInt32} seconds) and has not let
-- it go. A claim given up unfinished (released = 2), or whose writer
-- stopped renewing it without releasing it (killed; on this machine the
-- caller also asks whether its pid still runs), is dead: its writer
-- may have left rows of blocks it never recorded as complete.
SELECT from_block, to_block, toUInt8(rel = 0 AND hb > now64(6) - toIntervalSecond({ttl:UInt32})) AS live, host, pid
FROM
(
    SELECT writer, from_block, to_block, argMax(released, heartbeat) AS rel, max(heartbeat) AS hb,
           any(host) AS host, any(pid) AS pid
    FROM writer_claims
    GROUP BY writer, from_block, to_block
)
WHERE rel != 1;
