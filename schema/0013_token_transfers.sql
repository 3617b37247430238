-- name: token_transfers
-- Token transfers decoded from the stored logs, kept by a materialized view
-- as logs arrive (no extra RPC), keyed by chain position like logs, so
-- FINAL is exact, a block written again replaces its rows, and a reorg or
-- `ethidx rebuild` deletes and derives them by block number.
--
-- The rules (a log of any other shape is not a transfer):
--   erc20    Transfer(address,address,uint256): topic0 ddf252ad…, exactly
--            3 topics and exactly 32 bytes of data (the amount)
--   erc721   the same event with exactly 4 topics (topic3 the token id)
--            and no data; amount 1
--   erc1155  TransferSingle (c3d58168…, 4 topics: operator, from, to; data
--            id and value, exactly 64 bytes) gives one row; TransferBatch
--            (4a39dc06…, 4 topics; data the ABI encoding of uint256[] ids,
--            uint256[] values) gives one row per id, batch_index its
--            position. A batch whose offsets or lengths do not fit its data,
--            or whose arrays differ in length, gives no row (the log stays
--            in logs).
-- Addresses are the low 20 bytes of their topic. Zero amounts and the zero
-- address are kept here (mints, burns, address poisoning); the address
-- definitions of the saved queries leave them out.

CREATE TABLE IF NOT EXISTS token_transfers
(
    block_number      UInt64 CODEC(Delta, ZSTD(1)),
    block_timestamp   DateTime('UTC') CODEC(Delta, ZSTD(1)),
    transaction_index UInt32,
    log_index         UInt32 CODEC(Delta, ZSTD(1)),
    batch_index       UInt32,
    standard          Enum8('erc20' = 1, 'erc721' = 2, 'erc1155' = 3),
    token             FixedString(20),
    from              FixedString(20),
    to                FixedString(20),
    token_id          Nullable(UInt256),
    amount            UInt256
)
ENGINE = ReplacingMergeTree
PARTITION BY intDiv(block_number, 1000000)
ORDER BY (block_number, log_index, batch_index);

-- Keep the expressions in step with indexer/chsink/sql/rebuild_derived.sql.
-- The inner WHERE passes only the three event topics, so the view costs one
-- comparison per log; ABI decoding runs for TransferBatch logs only.
CREATE MATERIALIZED VIEW IF NOT EXISTS token_transfers_mv TO token_transfers AS
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
    FROM logs
    WHERE topic0 IN (
        unhex('ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef'),
        unhex('c3d58168c5ae7397731d063d5bbf3d657854427343f4c083240f7aacaa2d0f62'),
        unhex('4a39dc06d4c0dbc64b70af90fd698a233a518aa5d07e595d983b8c0526c8f7fb'))
)
ARRAY JOIN items AS item;

CREATE OR REPLACE VIEW token_transfers_hex AS
SELECT
    block_number,
    block_timestamp,
    toDate(block_timestamp) AS day,
    transaction_index,
    log_index,
    batch_index,
    standard,
    concat('0x', lower(hex(token))) AS token,
    concat('0x', lower(hex(from))) AS from,
    concat('0x', lower(hex(to))) AS to,
    token_id,
    amount
FROM token_transfers FINAL;
