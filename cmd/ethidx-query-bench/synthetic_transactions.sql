-- Synthetic mainnet-scale transactions for the query benchmark: {blocks}
-- blocks from block {first_block} at unix time {start}, one every 12 s (7,200 a
-- day), {tx_per_block} transactions each; contract calls carry calldata. Inserted into
-- transactions, so the materialized views fill address_activity and
-- address_first_seen exactly as the pipeline's writes do.
--
-- Addresses are 20 pseudo-random bytes derived from an integer id, so they
-- hash and compress like real ones. {day_index} numbers the days across
-- calls, so pools continue from one month to the next:
--   senders     8% fresh (a new address every time), the rest drawn from
--               a window of 1,500 × tx_per_block ids that slides by 40,000
--               a day (returning users, and new ones entering the window)
--   recipients  40% a popular contract (log-uniform over ~16k ids, a few
--               very hot), 59.5% an account from a wider sliding window,
--               0.5% contract creations (to NULL, a fresh contract address)
-- About 3% fail, 0.5% carry 1-6 blobs. At 208 tx/block that is ~1.5M
-- transactions, ~614k active and ~170k new addresses a day.
INSERT INTO transactions (block_number, block_timestamp, block_hash, tx_index, hash, type, from, to, nonce, value, gas, gas_price, max_fee_per_gas, max_priority_fee_per_gas, max_fee_per_blob_gas, input, blob_versioned_hashes, status, gas_used, cumulative_gas_used, effective_gas_price, contract_address, blob_gas_used, blob_gas_price, log_count)
WITH
    {tx_per_block:UInt32} AS tpb,
    {first_block:UInt64} + intDiv(number, tpb) AS bn,
    toUInt32(number % tpb) AS ix,
    {day_index:UInt32} + intDiv(number, tpb * 7200) AS dayk,
    cityHash64(bn, ix) AS r,
    r % 1000 AS roll,
    (id -> toFixedString(concat(reinterpretAsFixedString(cityHash64(id)), reinterpretAsFixedString(cityHash64(id, 1)), substring(reinterpretAsFixedString(cityHash64(id, 2)), 1, 4)), 20)) AS addr,
    (a, b) -> toFixedString(concat(reinterpretAsFixedString(cityHash64(a, b, 1)), reinterpretAsFixedString(cityHash64(a, b, 2)), reinterpretAsFixedString(cityHash64(a, b, 3)), reinterpretAsFixedString(cityHash64(a, b, 4))), 32) AS h32,
    if(roll < 80, 1000000000000 + bn * 1000 + ix, dayk * 40000 + cityHash64(r, 1) % (1500 * tpb)) AS sender_id,
    (cityHash64(r, 5) % 1000) AS roll2,
    multiIf(roll2 < 400, 10000000000000 + toUInt64(exp2((cityHash64(r, 2) % 14000) / 1000)),
            roll2 < 995, dayk * 40000 + cityHash64(r, 4) % (2500 * tpb),
            0) AS to_id,
    roll2 >= 995 AS creates,
    roll >= 995 AS blob,
    toUInt8(1 + cityHash64(r, 6) % 6) AS nblobs,
    toUInt256(5000000000 + (bn % 7200) * 100000) AS base_fee,
    21000 + cityHash64(r, 7) % 200000 AS gu
SELECT
    bn, toDateTime({start:UInt32}, 'UTC') + 12 * intDiv(number, tpb), h32(bn, 0), ix, h32(bn, ix + 1),
    if(blob, 3, 2), addr(sender_id), if(creates, NULL, addr(to_id)), cityHash64(r, 8) % 5000,
    toUInt256(cityHash64(r, 9) % 1000000000000000000), gu * 2, base_fee + 1000000000,
    base_fee * 2, toUInt256(1000000000), if(blob, toUInt256(1000000000), NULL),
    if(creates OR roll2 < 400, unhex('a9059cbb'), ''),
    if(blob, arrayMap(i -> h32(bn * 1000 + ix, i + 100), range(nblobs)), []),
    toUInt8(if(cityHash64(r, 10) % 100 < 3, 0, 1)),
    gu, gu * (ix + 1), base_fee + 1000000000,
    if(creates, addr(2000000000000 + bn * 1000 + ix), NULL),
    if(blob, 131072 * nblobs, NULL), if(blob, toUInt256(1), NULL),
    toUInt32(cityHash64(r, 11) % 6)
FROM numbers({blocks:UInt32} * tpb)
SETTINGS max_insert_threads = 2
