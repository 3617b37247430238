-- name: address_rollups
-- Derived address tables behind the activity metrics, maintained by
-- materialized views as transactions arrive.
--
-- Both keep min(first_block) per key. That makes them idempotent (writing a
-- block twice yields the same minimum) and repairable after a reorg without
-- a rebuild: deleting the rows whose first_block is at or past the fork
-- removes exactly the appearances that only orphaned blocks produced, while
-- any row with an earlier first_block stands for an appearance that is
-- still canonical.

-- One row per (day, address, role): the address was active that UTC day.
-- role 1 = sender; role 0 = recipient or created contract. Keeping the roles
-- apart keeps the reorg repair exact for "active senders" too.
CREATE TABLE IF NOT EXISTS address_activity
(
    day         Date,
    address     FixedString(20),
    is_sender   UInt8,
    first_block SimpleAggregateFunction(min, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, address, is_sender);

CREATE MATERIALIZED VIEW IF NOT EXISTS address_activity_mv TO address_activity AS
SELECT
    toDate(block_timestamp) AS day,
    a.1 AS address,
    a.2 AS is_sender,
    block_number AS first_block
FROM transactions
ARRAY JOIN arrayConcat(
    [(from, toUInt8(1))],
    if(isNull(to), [], [(assumeNotNull(to), toUInt8(0))]),
    if(isNull(contract_address), [], [(assumeNotNull(contract_address), toUInt8(0))])
) AS a;

-- One row per address: the first block (and its time) in which it was the
-- sender, recipient or created contract of a transaction.
CREATE TABLE IF NOT EXISTS address_first_seen
(
    address     FixedString(20),
    first_block SimpleAggregateFunction(min, UInt64),
    first_time  SimpleAggregateFunction(min, DateTime('UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY address;

CREATE MATERIALIZED VIEW IF NOT EXISTS address_first_seen_mv TO address_first_seen AS
SELECT
    a AS address,
    min(block_number) AS first_block,
    min(block_timestamp) AS first_time
FROM transactions
ARRAY JOIN arrayConcat(
    [from],
    if(isNull(to), [], [assumeNotNull(to)]),
    if(isNull(contract_address), [], [assumeNotNull(contract_address)])
) AS a
GROUP BY a;
