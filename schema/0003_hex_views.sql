-- name: hex_views
-- Human- and BI-friendly views of the raw tables: 0x-hex strings instead of
-- binary, ether as Float64 beside the exact wei, one row per key (FINAL), so
-- a view never shows a duplicate even before background merges.

-- (0005_genesis_day.sql replaces blocks_hex: its day follows the genesis rule.)
CREATE OR REPLACE VIEW blocks_hex AS
SELECT
    number,
    concat('0x', lower(hex(hash))) AS hash,
    concat('0x', lower(hex(parent_hash))) AS parent_hash,
    timestamp,
    toDate(timestamp) AS day,
    concat('0x', lower(hex(miner))) AS miner,
    gas_limit,
    gas_used,
    base_fee_per_gas,
    tx_count,
    tx_success_count,
    contract_creations,
    blob_tx_count,
    blob_count,
    blob_gas_used,
    excess_blob_gas,
    log_count,
    withdrawal_count,
    burned_wei,
    toFloat64(burned_wei) / 1e18 AS burned_eth,
    fees_wei,
    size
FROM blocks FINAL;

-- (0006_signatures.sql replaces transactions_hex: it adds the signature.)
CREATE OR REPLACE VIEW transactions_hex AS
SELECT
    block_number,
    block_timestamp,
    toDate(block_timestamp) AS day,
    tx_index,
    concat('0x', lower(hex(hash))) AS hash,
    type,
    concat('0x', lower(hex(from))) AS from,
    if(isNull(to), NULL, concat('0x', lower(hex(assumeNotNull(to))))) AS to,
    nonce,
    value AS value_wei,
    toFloat64(value) / 1e18 AS value_eth,
    gas,
    gas_price,
    max_fee_per_gas,
    max_priority_fee_per_gas,
    max_fee_per_blob_gas,
    concat('0x', lower(hex(substring(input, 1, 4)))) AS method_id,
    length(input) AS input_size,
    length(access_list_addresses) AS access_list_size,
    arrayMap(h -> concat('0x', lower(hex(h))), blob_versioned_hashes) AS blob_versioned_hashes,
    arrayMap(a -> concat('0x', lower(hex(a))), auth_addresses) AS authorization_addresses,
    status,
    gas_used,
    cumulative_gas_used,
    effective_gas_price,
    gas_used * effective_gas_price AS fee_wei,
    if(isNull(contract_address), NULL, concat('0x', lower(hex(assumeNotNull(contract_address))))) AS contract_address,
    blob_gas_used,
    blob_gas_price,
    log_count
FROM transactions FINAL;

CREATE OR REPLACE VIEW logs_hex AS
SELECT
    block_number,
    block_timestamp,
    toDate(block_timestamp) AS day,
    tx_index,
    concat('0x', lower(hex(tx_hash))) AS tx_hash,
    log_index,
    concat('0x', lower(hex(address))) AS address,
    if(isNull(topic0), NULL, concat('0x', lower(hex(assumeNotNull(topic0))))) AS topic0,
    if(isNull(topic1), NULL, concat('0x', lower(hex(assumeNotNull(topic1))))) AS topic1,
    if(isNull(topic2), NULL, concat('0x', lower(hex(assumeNotNull(topic2))))) AS topic2,
    if(isNull(topic3), NULL, concat('0x', lower(hex(assumeNotNull(topic3))))) AS topic3,
    topic_count,
    concat('0x', lower(hex(data))) AS data
FROM logs FINAL;

CREATE OR REPLACE VIEW withdrawals_hex AS
SELECT
    block_number,
    block_timestamp,
    toDate(block_timestamp) AS day,
    withdrawal_index,
    validator_index,
    concat('0x', lower(hex(address))) AS address,
    amount_gwei,
    amount_gwei / 1e9 AS amount_eth
FROM withdrawals FINAL;
