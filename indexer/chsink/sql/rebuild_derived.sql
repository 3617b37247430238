-- name: rebuild_derived
-- Recomputes the derived address tables from the transactions of blocks
-- {from:UInt64} and above (`ethidx rebuild`): for repairs after a manual
-- edit, a bug fix in the derivation, or a cluster node restored from an
-- old backup. Rows whose first appearance is before {from} stand (see
-- 0002_address_rollups.sql: min-aggregates make that exact); the rest are
-- deleted and derived again, with the same expressions as the
-- materialized views in 0002_address_rollups.sql (keep them in step).
DELETE FROM address_activity WHERE first_block >= {from:UInt64};
DELETE FROM address_first_seen WHERE first_block >= {from:UInt64};
INSERT INTO address_activity (day, address, is_sender, first_block)
SELECT
    toDate(block_timestamp) AS day,
    a.1 AS address,
    a.2 AS is_sender,
    min(block_number) AS first_block
FROM transactions FINAL
ARRAY JOIN arrayConcat(
    [(from, toUInt8(1))],
    if(isNull(to), [], [(assumeNotNull(to), toUInt8(0))]),
    if(isNull(contract_address), [], [(assumeNotNull(contract_address), toUInt8(0))])
) AS a
WHERE block_number >= {from:UInt64}
GROUP BY day, address, is_sender;
INSERT INTO address_first_seen (address, first_block, first_time)
SELECT
    a AS address,
    min(block_number) AS first_block,
    min(block_timestamp) AS first_time
FROM transactions FINAL
ARRAY JOIN arrayConcat(
    [from],
    if(isNull(to), [], [assumeNotNull(to)]),
    if(isNull(contract_address), [], [assumeNotNull(contract_address)])
) AS a
WHERE block_number >= {from:UInt64}
GROUP BY a;
