-- _daily_cache(from, to): each day of _daily_blocks with its cached row,
-- if any, and whether that row still applies (cached = 1). Refresh reads
-- it to find the complete days worth computing.
CREATE OR REPLACE VIEW _daily_cache AS
SELECT
    b.day AS day,
    b.first_block AS first_block,
    b.last_block AS last_block,
    b.blocks AS blocks,
    b.fingerprint AS fingerprint,
    b.complete AS complete,
    b.prior_blocks AS prior_blocks,
    b.from_genesis AS from_genesis,
    b.tx_count AS tx_count,
    b.tx_success AS tx_success,
    b.contract_creations AS contract_creations,
    b.blob_tx_count AS blob_tx_count,
    b.blob_count AS blob_count,
    b.blob_blocks AS blob_blocks,
    b.blob_gas_used AS blob_gas_used,
    b.gas_used AS gas_used,
    b.gas_limit AS gas_limit,
    b.base_fee_sum AS base_fee_sum,
    b.base_fee_blocks AS base_fee_blocks,
    b.burned_wei AS burned_wei,
    b.fees_wei AS fees_wei,
    b.log_count AS log_count,
    b.withdrawal_count AS withdrawal_count,
    toUInt8(r.found = 1 AND b.complete = 1
        AND r.first_block = b.first_block AND r.last_block = b.last_block
        AND r.blocks = b.blocks AND r.fingerprint = b.fingerprint
        AND r.prior_blocks = b.prior_blocks) AS cached,
    r.active_addresses AS cached_active_addresses,
    r.active_senders AS cached_active_senders,
    r.new_addresses AS cached_new_addresses,
    r.new_senders AS cached_new_senders,
    r.active_all_parties AS cached_active_all_parties,
    r.new_all_parties AS cached_new_all_parties
FROM _daily_blocks(from = {from:Date}, to = {to:Date}) AS b
LEFT JOIN
(
    SELECT 1 AS found, *
    FROM _daily_rollup_v2 FINAL
    WHERE day BETWEEN {from:Date} AND {to:Date}
) AS r ON r.day = b.day;

-- _daily(from, to): every figure of each day in _daily_blocks: its block
-- sums and coverage, and its address figures, from the cache where it
-- applies and computed live from the address tables for the other days
-- (incomplete days, days never refreshed, days changed by a reorg or a
-- backfill since):
--
--   active_addresses  distinct addresses of address_activity that day, in
--                     a participant role (sender, recipient, created contract)
--   active_senders    the same, role sender only
--   new_addresses     addresses whose first appearance anywhere (min
--                     first_time over all their address_first_seen rows)
--                     falls on that day
--   new_senders, active_all_parties, new_all_parties
--                     the same for the senders and all_parties
--                     definitions (schema/0014_definitions.sql)
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
-- The days to compute are read once, as a constant array; the range test
-- beside has() lets the primary key skip the other days, and notEmpty()
-- lets a fully cached range skip the address tables altogether.
CREATE OR REPLACE VIEW _daily AS
WITH
    -- Every day's block figures and cache state, computed once and held as
    -- a constant array: the live part below must know the stale days
    -- before it runs, and a subquery would be computed again at each use.
    (
        SELECT groupArray(CAST(tuple(
            day, first_block, last_block, blocks, fingerprint, complete, prior_blocks,
            from_genesis, tx_count, tx_success, contract_creations, blob_tx_count, blob_count,
            blob_blocks, blob_gas_used, gas_used, gas_limit, base_fee_sum, base_fee_blocks,
            burned_wei, fees_wei, log_count, withdrawal_count, cached, cached_active_addresses,
            cached_active_senders, cached_new_addresses, cached_new_senders,
            cached_active_all_parties, cached_new_all_parties
        ), 'Tuple(
            day Date, first_block UInt64, last_block UInt64, blocks UInt64,
            fingerprint UInt64, complete UInt8, prior_blocks UInt64, from_genesis UInt8,
            tx_count UInt64, tx_success UInt64, contract_creations UInt64,
            blob_tx_count UInt64, blob_count UInt64, blob_blocks UInt64,
            blob_gas_used UInt64, gas_used UInt64, gas_limit UInt64, base_fee_sum UInt256,
            base_fee_blocks UInt64, burned_wei UInt256, fees_wei UInt256, log_count UInt64,
            withdrawal_count UInt64, cached UInt8, cached_active_addresses UInt64,
            cached_active_senders UInt64, cached_new_addresses UInt64, cached_new_senders UInt64,
            cached_active_all_parties UInt64, cached_new_all_parties UInt64
        )'))
        FROM _daily_cache(from = {from:Date}, to = {to:Date})
    ) AS days,
    arrayMap(d -> d.day, arrayFilter(d -> d.cached = 0, days)) AS stale,
    arrayMin(stale) AS stale_from,
    arrayMax(stale) AS stale_to
SELECT
    c.day AS day,
    c.first_block AS first_block,
    c.last_block AS last_block,
    c.blocks AS blocks,
    c.fingerprint AS fingerprint,
    c.complete AS complete,
    c.prior_blocks AS prior_blocks,
    c.from_genesis AS from_genesis,
    c.tx_count AS tx_count,
    c.tx_success AS tx_success,
    c.contract_creations AS contract_creations,
    c.blob_tx_count AS blob_tx_count,
    c.blob_count AS blob_count,
    c.blob_blocks AS blob_blocks,
    c.blob_gas_used AS blob_gas_used,
    c.gas_used AS gas_used,
    c.gas_limit AS gas_limit,
    c.base_fee_sum AS base_fee_sum,
    c.base_fee_blocks AS base_fee_blocks,
    c.burned_wei AS burned_wei,
    c.fees_wei AS fees_wei,
    c.log_count AS log_count,
    c.withdrawal_count AS withdrawal_count,
    c.cached AS cached,
    if(c.cached = 1, c.cached_active_addresses, a.active_addresses) AS active_addresses,
    if(c.cached = 1, c.cached_active_senders, a.active_senders) AS active_senders,
    if(c.cached = 1, c.cached_new_addresses, n.new_addresses) AS new_addresses,
    if(c.cached = 1, c.cached_new_senders, ns.new_senders) AS new_senders,
    if(c.cached = 1, c.cached_active_all_parties, a.active_all_parties) AS active_all_parties,
    if(c.cached = 1, c.cached_new_all_parties, na.new_all_parties) AS new_all_parties
FROM
(
    SELECT
        d.day AS day,
        d.first_block AS first_block,
        d.last_block AS last_block,
        d.blocks AS blocks,
        d.fingerprint AS fingerprint,
        d.complete AS complete,
        d.prior_blocks AS prior_blocks,
        d.from_genesis AS from_genesis,
        d.tx_count AS tx_count,
        d.tx_success AS tx_success,
        d.contract_creations AS contract_creations,
        d.blob_tx_count AS blob_tx_count,
        d.blob_count AS blob_count,
        d.blob_blocks AS blob_blocks,
        d.blob_gas_used AS blob_gas_used,
        d.gas_used AS gas_used,
        d.gas_limit AS gas_limit,
        d.base_fee_sum AS base_fee_sum,
        d.base_fee_blocks AS base_fee_blocks,
        d.burned_wei AS burned_wei,
        d.fees_wei AS fees_wei,
        d.log_count AS log_count,
        d.withdrawal_count AS withdrawal_count,
        d.cached AS cached,
        d.cached_active_addresses AS cached_active_addresses,
        d.cached_active_senders AS cached_active_senders,
        d.cached_new_addresses AS cached_new_addresses,
        d.cached_new_senders AS cached_new_senders,
        d.cached_active_all_parties AS cached_active_all_parties,
        d.cached_new_all_parties AS cached_new_all_parties
    FROM (SELECT arrayJoin(days) AS d)
) AS c
LEFT JOIN
(
    SELECT
        day,
        uniqExactIf(address, is_sender < 2) AS active_addresses,
        uniqExactIf(address, is_sender = 1) AS active_senders,
        uniqExactIf(address, address != toFixedString(unhex('0000000000000000000000000000000000000000'), 20)) AS active_all_parties
    FROM address_activity
    WHERE notEmpty(stale) AND day BETWEEN stale_from AND stale_to AND has(stale, day)
    GROUP BY day
) AS a ON a.day = c.day
LEFT JOIN
(
    SELECT toDate(first_time) AS day, count() AS new_addresses
    FROM
    (
        SELECT address, min(first_time) AS first_time
        FROM address_first_seen
        WHERE notEmpty(stale) AND cityHash64(address) IN
        (
            SELECT cityHash64(address)
            FROM address_first_seen
            WHERE notEmpty(stale)
              AND first_time >= toDateTime(stale_from, 'UTC')
              AND first_time < toDateTime(stale_to, 'UTC') + INTERVAL 1 DAY
              AND has(stale, toDate(first_time))
        )
        GROUP BY address
    )
    WHERE has(stale, day)
    GROUP BY day
) AS n ON n.day = c.day
LEFT JOIN
(
    SELECT toDate(first_time) AS day, count() AS new_senders
    FROM
    (
        SELECT address, min(first_time) AS first_time
        FROM address_first_role
        WHERE notEmpty(stale) AND role = 1 AND cityHash64(address) IN
        (
            SELECT cityHash64(address)
            FROM address_first_role
            WHERE notEmpty(stale) AND role = 1
              AND first_time >= toDateTime(stale_from, 'UTC')
              AND first_time < toDateTime(stale_to, 'UTC') + INTERVAL 1 DAY
              AND has(stale, toDate(first_time))
        )
        GROUP BY address
    )
    WHERE has(stale, day)
    GROUP BY day
) AS ns ON ns.day = c.day
LEFT JOIN
(
    SELECT toDate(first_time) AS day, count() AS new_all_parties
    FROM
    (
        SELECT address, min(first_time) AS first_time
        FROM
        (
            SELECT address, first_time FROM address_first_seen
            UNION ALL
            SELECT address, first_time FROM address_first_role WHERE role = 2
        )
        WHERE notEmpty(stale)
          AND address != toFixedString(unhex('0000000000000000000000000000000000000000'), 20)
          AND cityHash64(address) IN
        (
            SELECT cityHash64(address)
            FROM
            (
                SELECT address, first_time FROM address_first_seen
                UNION ALL
                SELECT address, first_time FROM address_first_role WHERE role = 2
            )
            WHERE notEmpty(stale)
              AND first_time >= toDateTime(stale_from, 'UTC')
              AND first_time < toDateTime(stale_to, 'UTC') + INTERVAL 1 DAY
              AND has(stale, toDate(first_time))
        )
        GROUP BY address
    )
    WHERE has(stale, day)
    GROUP BY day
) AS na ON na.day = c.day;
