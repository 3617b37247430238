-- The chain before the synthetic months, blocks table only: blocks 0 to
-- {blocks}-1, timestamps evenly spread from 2015-07-30 up to {end} (unix
-- seconds). It gives the blocks table mainnet's size (~24M rows), which
-- the coverage checks and the history-from-genesis test scan, while the
-- transactions stay the two generated months.
INSERT INTO blocks (number, hash, parent_hash, timestamp, miner, gas_limit, gas_used, difficulty, size, extra_data, state_root, transactions_root, receipts_root, tx_count, tx_success_count, burned_wei, fees_wei)
WITH
    (a, b) -> toFixedString(concat(reinterpretAsFixedString(cityHash64(a, b, 1)), reinterpretAsFixedString(cityHash64(a, b, 2)), reinterpretAsFixedString(cityHash64(a, b, 3)), reinterpretAsFixedString(cityHash64(a, b, 4))), 32) AS h32,
    toUInt64(1438214400) AS first_ts
SELECT
    number, h32(number, 0), h32(number - 1, 0),
    toDateTime(first_ts + intDiv(number * ({end:UInt64} - first_ts), {blocks:UInt64}), 'UTC'),
    toFixedString(substring(h32(number % 50, 9), 1, 20), 20), 30000000, 0, 0, 600, '', h32(number, 10), h32(number, 11), h32(number, 12),
    0, 0, 0, 0
FROM numbers({blocks:UInt64})
SETTINGS max_insert_threads = 2
