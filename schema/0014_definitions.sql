-- name: definitions
-- What the address definitions beside today's need (see queries/README.md):
--
--   participants  sender, recipient or created contract of a top-level
--                 transaction (address_activity roles 0 and 1,
--                 address_first_seen): today's figures, unchanged
--   senders       sender of a top-level transaction (role 1; first
--                 appearance: address_first_role role 1)
--   all_parties   participants plus the from and to of token transfers
--                 (role 2; first appearance: address_first_seen and
--                 address_first_role role 2)
--
-- A token transfer of amount 0 makes no party (the address-poisoning
-- pattern); nor does the zero address (mints and burns). A TransferBatch
-- has one from and one to, so "no party unless some amount is non-zero"
-- is the same as leaving out its zero-amount rows.
--
-- Same repair rule as 0002_address_rollups.sql: min(first_block) per key,
-- so a reorg or rebuild deletes rows with first_block >= F and is exact.

CREATE MATERIALIZED VIEW IF NOT EXISTS address_activity_tokens_mv TO address_activity AS
SELECT
    toDate(block_timestamp) AS day,
    a AS address,
    toUInt8(2) AS is_sender,
    min(block_number) AS first_block
FROM token_transfers
ARRAY JOIN [from, to] AS a
WHERE amount > 0 AND a != toFixedString(unhex('0000000000000000000000000000000000000000'), 20)
GROUP BY day, address;

-- One row per (address, role): the first block (and its time) in which the
-- address had that role. Role 1 = sender of a transaction, 2 = party to a
-- token transfer (role 0 alone is not needed: address_first_seen covers
-- roles 0 and 1 together).
CREATE TABLE IF NOT EXISTS address_first_role
(
    address     FixedString(20),
    role        UInt8,
    first_block SimpleAggregateFunction(min, UInt64),
    first_time  SimpleAggregateFunction(min, DateTime('UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY (address, role);

CREATE MATERIALIZED VIEW IF NOT EXISTS address_first_role_senders_mv TO address_first_role AS
SELECT
    from AS address,
    toUInt8(1) AS role,
    min(block_number) AS first_block,
    min(block_timestamp) AS first_time
FROM transactions
GROUP BY address;

CREATE MATERIALIZED VIEW IF NOT EXISTS address_first_role_tokens_mv TO address_first_role AS
SELECT
    a AS address,
    toUInt8(2) AS role,
    min(block_number) AS first_block,
    min(block_timestamp) AS first_time
FROM token_transfers
ARRAY JOIN [from, to] AS a
WHERE amount > 0 AND a != toFixedString(unhex('0000000000000000000000000000000000000000'), 20)
GROUP BY address;

-- The day cache with the new definitions' figures: a new format, a new
-- table (see 0008_day_cache.sql); the old one is left unused, and the views
-- compute uncached days live until the next refresh.
CREATE TABLE IF NOT EXISTS _daily_rollup_v2
(
    day                Date,
    first_block        UInt64,
    last_block         UInt64,
    blocks             UInt64,
    fingerprint        UInt64,
    prior_blocks       UInt64,
    active_addresses   UInt64,
    active_senders     UInt64,
    new_addresses      UInt64,
    new_senders        UInt64,
    active_all_parties UInt64,
    new_all_parties    UInt64,
    computed_at        DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = ReplacingMergeTree(computed_at)
ORDER BY day;
