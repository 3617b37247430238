-- The blocks of synthetic_transactions.sql, with the per-block rollup
-- columns computed from the stored transactions as the writer computes
-- them from a block (so the figures agree whichever table a query reads).
INSERT INTO blocks (number, hash, parent_hash, timestamp, miner, gas_limit, gas_used, base_fee_per_gas, difficulty, size, extra_data, state_root, transactions_root, receipts_root, blob_gas_used, excess_blob_gas, parent_beacon_block_root, withdrawals_root, tx_count, tx_success_count, contract_creations, blob_tx_count, blob_count, log_count, withdrawal_count, burned_wei, fees_wei)
WITH
    (a, b) -> toFixedString(concat(reinterpretAsFixedString(cityHash64(a, b, 1)), reinterpretAsFixedString(cityHash64(a, b, 2)), reinterpretAsFixedString(cityHash64(a, b, 3)), reinterpretAsFixedString(cityHash64(a, b, 4))), 32) AS h32,
    toUInt256(5000000000 + (block_number % 7200) * 100000) AS base_fee
SELECT
    block_number, h32(block_number, 0), h32(block_number - 1, 0), any(block_timestamp),
    toFixedString(substring(h32(block_number % 50, 9), 1, 20), 20), 36000000, sum(gas_used), base_fee, 0, 150000,
    'synthetic', h32(block_number, 10), h32(block_number, 11), h32(block_number, 12),
    sum(ifNull(blob_gas_used, 0)), 0, h32(block_number, 13), h32(block_number, 14),
    count(), countIf(status = 1), countIf(isNotNull(contract_address)), countIf(type = 3),
    sum(length(blob_versioned_hashes)), sum(log_count), 16, sum(gas_used) * base_fee,
    sum(gas_used * effective_gas_price)
FROM transactions
WHERE block_number BETWEEN {first_block:UInt64} AND {first_block:UInt64} + {blocks:UInt32} - 1
GROUP BY block_number
