-- name: signatures
-- Each transaction's signature, as signed: content verification rebuilds
-- transaction hashes from it, and recovering a sender needs it.
--   v         as the node reports it: 27/28, or 35 + 2·chain_id + parity
--             for EIP-155 legacy transactions, the parity for typed ones
--   r, s      the signature's two numbers
--   y_parity  the recovery bit, derived from v where a node leaves it out
--   chain_id  the chain the transaction was signed for; NULL only for a
--             legacy transaction without replay protection
-- Rows written before this migration read 0 and NULL here; backfilling
-- their range again fills them. transactions_hex shows them too (its
-- definition here replaces the one in 0003_hex_views.sql).

ALTER TABLE transactions
    ADD COLUMN IF NOT EXISTS v UInt256,
    ADD COLUMN IF NOT EXISTS r UInt256,
    ADD COLUMN IF NOT EXISTS s UInt256,
    ADD COLUMN IF NOT EXISTS y_parity UInt8,
    ADD COLUMN IF NOT EXISTS chain_id Nullable(UInt256);

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
    log_count,
    v,
    r,
    s,
    y_parity,
    chain_id
FROM transactions FINAL;
