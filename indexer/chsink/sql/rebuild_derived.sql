-- name: rebuild_derived
-- Recomputes the derived address tables from the transactions of blocks
-- {from:UInt64} and above, and the token transfers from their logs
-- (`ethidx rebuild`): for repairs after a manual edit, a bug fix in the
-- derivation, or a cluster node restored from an old backup. Rows whose first appearance is before {from} stand (see
-- 0002_address_rollups.sql: min-aggregates make that exact); the rest are
-- deleted and derived again, with the same expressions as the
-- materialized views in 0002_address_rollups.sql and
-- 0013_token_transfers.sql (keep them in step). Inserting the token
-- transfers again runs 0014_definitions.sql's views on them, which derive
-- the token parties' address rows (role 2) deleted above; the parties of
-- internal value transfers (role 2 too) are derived from the stored
-- traces with 0015_traces.sql's conditions.
DELETE FROM address_activity WHERE first_block >= {from:UInt64};
DELETE FROM address_first_seen WHERE first_block >= {from:UInt64};
DELETE FROM address_first_role WHERE first_block >= {from:UInt64};
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
INSERT INTO address_first_role (address, role, first_block, first_time)
SELECT
    from AS address,
    toUInt8(1) AS role,
    min(block_number) AS first_block,
    min(block_timestamp) AS first_time
FROM transactions FINAL
WHERE block_number >= {from:UInt64}
GROUP BY address;
INSERT INTO address_activity (day, address, is_sender, first_block)
SELECT
    toDate(block_timestamp) AS day,
    a AS address,
    toUInt8(2) AS is_sender,
    min(block_number) AS first_block
FROM traces FINAL
ARRAY JOIN [from, assumeNotNull(to)] AS a
WHERE block_number >= {from:UInt64}
  AND depth > 0 AND value > 0 AND status = 1 AND isNotNull(to)
  AND call_type IN ('CALL', 'CREATE', 'CREATE2', 'SELFDESTRUCT')
  AND a != toFixedString(unhex('0000000000000000000000000000000000000000'), 20)
GROUP BY day, address;
INSERT INTO address_first_role (address, role, first_block, first_time)
SELECT
    a AS address,
    toUInt8(2) AS role,
    min(block_number) AS first_block,
    min(block_timestamp) AS first_time
FROM traces FINAL
ARRAY JOIN [from, assumeNotNull(to)] AS a
WHERE block_number >= {from:UInt64}
  AND depth > 0 AND value > 0 AND status = 1 AND isNotNull(to)
  AND call_type IN ('CALL', 'CREATE', 'CREATE2', 'SELFDESTRUCT')
  AND a != toFixedString(unhex('0000000000000000000000000000000000000000'), 20)
GROUP BY address;
DELETE FROM token_transfers WHERE block_number >= {from:UInt64};
INSERT INTO token_transfers (block_number, block_timestamp, transaction_index, log_index, batch_index, standard, token, from, to, token_id, amount)
WITH
    length(data) AS len,
    reinterpretAsUInt256(reverse(substring(data, 1, 32))) AS w0,
    reinterpretAsUInt256(reverse(substring(data, 33, 32))) AS w1,
    multiIf(
        topic0 = unhex('ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef') AND topic_count = 3 AND len = 32, 1,
        topic0 = unhex('ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef') AND topic_count = 4 AND len = 0, 2,
        topic0 = unhex('c3d58168c5ae7397731d063d5bbf3d657854427343f4c083240f7aacaa2d0f62') AND topic_count = 4 AND len = 64, 3,
        topic0 = unhex('4a39dc06d4c0dbc64b70af90fd698a233a518aa5d07e595d983b8c0526c8f7fb') AND topic_count = 4, 4,
        0) AS shape,
    -- TransferBatch: whole words, both offsets leave room for a length
    -- word, both lengths agree and both arrays fit in the data.
    shape = 4 AND len >= 64 AND len % 32 = 0 AND w0 <= toUInt256(len - 32) AND w1 <= toUInt256(len - 32) AS offsets_fit,
    if(offsets_fit, reinterpretAsUInt256(reverse(substring(data, toUInt64(w0) + 1, 32))), toUInt256(0)) AS n0,
    if(offsets_fit, reinterpretAsUInt256(reverse(substring(data, toUInt64(w1) + 1, 32))), toUInt256(0)) AS n1,
    offsets_fit AND n0 = n1
        AND n0 <= intDiv(toUInt256(len) - w0 - 32, 32)
        AND n1 <= intDiv(toUInt256(len) - w1 - 32, 32) AS batch_fits,
    CAST(multiIf(
        shape = 1, [(0, NULL, w0)],
        shape = 2, [(0, reinterpretAsUInt256(reverse(assumeNotNull(topic3))), toUInt256(1))],
        shape = 3, [(0, w0, w1)],
        batch_fits, arrayMap(i -> (i,
            reinterpretAsUInt256(reverse(substring(data, toUInt64(w0) + 33 + 32 * i, 32))),
            reinterpretAsUInt256(reverse(substring(data, toUInt64(w1) + 33 + 32 * i, 32)))),
            range(toUInt32(if(batch_fits, n0, 0)))),
        []), 'Array(Tuple(UInt32, Nullable(UInt256), UInt256))') AS items
SELECT
    block_number,
    block_timestamp,
    tx_index AS transaction_index,
    log_index,
    item.1 AS batch_index,
    CAST(greatest(least(shape, 3), 1), 'Enum8(\'erc20\' = 1, \'erc721\' = 2, \'erc1155\' = 3)') AS standard,
    address AS token,
    toFixedString(substring(assumeNotNull(if(shape <= 2, topic1, topic2)), 13, 20), 20) AS from,
    toFixedString(substring(assumeNotNull(if(shape <= 2, topic2, topic3)), 13, 20), 20) AS to,
    item.2 AS token_id,
    item.3 AS amount
FROM
(
    SELECT block_number, block_timestamp, tx_index, log_index, address, topic0, topic1, topic2, topic3, topic_count, data
    FROM logs FINAL
    WHERE block_number >= {from:UInt64} AND topic0 IN (
        unhex('ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef'),
        unhex('c3d58168c5ae7397731d063d5bbf3d657854427343f4c083240f7aacaa2d0f62'),
        unhex('4a39dc06d4c0dbc64b70af90fd698a233a518aa5d07e595d983b8c0526c8f7fb'))
)
ARRAY JOIN items AS item;
