-- name: daily_fees
-- description: Per UTC day: gas used and limit, base fee, ETH burned and paid in fees.
-- params: from Date = 1970-01-01 (first day), to Date = 2105-12-31 (last day)
-- views: daily_fees_between(from, to); daily_fees (every day)
--
-- One row per UTC day in [from, to] with at least one stored block, from the
-- per-block rollup columns of blocks (read with FINAL).
--
--   day               UTC date of the block timestamp; the genesis block
--                     (timestamp 0 on mainnet) counts on the day of
--                     block 1, so no 1970 day appears (README.md)
--   complete          1 when every block of the day is stored (see
--                     daily_coverage)
--   blocks            stored blocks
--   gas_used          execution gas used by all transactions
--   gas_limit         sum of the blocks' gas limits
--   gas_utilization   gas_used / gas_limit
--   avg_base_fee_gwei mean base fee per gas over blocks that have one
--                     (London and later), in gwei
--   burned_wei        base fee × gas used, summed over blocks: the ETH
--                     destroyed by EIP-1559 for execution gas (blob fees,
--                     also burned, are in daily_blobs)
--   fees_wei          gas used × effective gas price over all transactions:
--                     what senders paid for execution (burn plus tips)
--   tips_wei          fees_wei − burned_wei: the priority fees validators got
--   burned_eth, fees_eth, tips_eth   the same in ETH, as Float64
SELECT
    day,
    complete,
    blocks,
    gas_used,
    gas_limit,
    if(gas_limit > 0, gas_used / gas_limit, 0) AS gas_utilization,
    if(base_fee_blocks > 0, toFloat64(base_fee_sum) / base_fee_blocks / 1e9, NULL) AS avg_base_fee_gwei,
    burned_wei,
    fees_wei,
    if(fees_wei >= burned_wei, toUInt256(fees_wei - burned_wei), toUInt256(0)) AS tips_wei,
    toFloat64(burned_wei) / 1e18 AS burned_eth,
    toFloat64(fees_wei) / 1e18 AS fees_eth,
    toFloat64(tips_wei) / 1e18 AS tips_eth
FROM _daily_blocks(from = {from:Date}, to = {to:Date})
ORDER BY day
