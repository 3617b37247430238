-- _daily_cache(from, to): each day of _daily_blocks with its cached row,
-- if any, and whether that row still applies (cached = 1). Refresh reads
-- it to find the complete days worth computing.
CREATE OR REPLACE VIEW _daily_cache AS
SELECT
    b.day AS day,
    b.complete AS complete,
    b.first_block AS first_block,
    b.last_block AS last_block,
    b.blocks AS blocks,
    b.fingerprint AS fingerprint,
    b.prior_blocks AS prior_blocks,
    toUInt8(r.found = 1 AND b.complete = 1
        AND r.first_block = b.first_block AND r.last_block = b.last_block
        AND r.blocks = b.blocks AND r.fingerprint = b.fingerprint
        AND r.prior_blocks = b.prior_blocks) AS cached,
    r.active_addresses AS active_addresses,
    r.active_senders AS active_senders,
    r.new_addresses AS new_addresses
FROM _daily_blocks(from = {from:Date}, to = {to:Date}) AS b
LEFT JOIN
(
    SELECT 1 AS found, *
    FROM _daily_rollup_v1 FINAL
    WHERE day BETWEEN {from:Date} AND {to:Date}
) AS r ON r.day = b.day;

-- _daily_addresses(from, to): the address figures of each day in
-- _daily_blocks, from the cache where it applies and computed live from
-- the address tables for the other days (incomplete days, days never
-- refreshed, days changed by a reorg or a backfill since).
--
--   active_addresses  distinct addresses of address_activity that day, any
--                     role (sender, recipient, created contract)
--   active_senders    the same, role sender only
--   new_addresses     addresses whose first appearance anywhere (min
--                     first_time over all their address_first_seen rows)
--                     falls on that day
--
-- Both address tables keep min(first_block) per key and may hold several
-- unmerged rows per key; the figures depend only on distinct keys and on
-- minimums, never on row counts, so duplicates cannot change them, and a
-- reorg repair that deletes rows with first_block >= F leaves exactly the
-- canonical appearances.
--
-- New addresses of a day are among the addresses with some row on that
-- day; only those are looked up (by a 64-bit hash first, which is cheap,
-- and exact because the final test reads the full address's rows).
CREATE OR REPLACE VIEW _daily_addresses AS
WITH stale AS
(
    SELECT day FROM _daily_cache(from = {from:Date}, to = {to:Date}) WHERE cached = 0
)
SELECT
    c.day AS day,
    c.cached AS cached,
    if(c.cached = 1, c.active_addresses, a.active_addresses) AS active_addresses,
    if(c.cached = 1, c.active_senders, a.active_senders) AS active_senders,
    if(c.cached = 1, c.new_addresses, n.new_addresses) AS new_addresses
FROM _daily_cache(from = {from:Date}, to = {to:Date}) AS c
LEFT JOIN
(
    SELECT
        day,
        uniqExact(address) AS active_addresses,
        uniqExactIf(address, is_sender = 1) AS active_senders
    FROM address_activity
    WHERE day IN stale
    GROUP BY day
) AS a ON a.day = c.day
LEFT JOIN
(
    SELECT toDate(first_time) AS day, count() AS new_addresses
    FROM
    (
        SELECT address, min(first_time) AS first_time
        FROM address_first_seen
        WHERE cityHash64(address) IN
        (
            SELECT cityHash64(address) FROM address_first_seen WHERE toDate(first_time) IN stale
        )
        GROUP BY address
    )
    WHERE day IN stale
    GROUP BY day
) AS n ON n.day = c.day;
