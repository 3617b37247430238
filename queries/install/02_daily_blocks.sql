-- _daily_blocks(from, to): one row per UTC day in [from, to] that has at
-- least one stored block, with the day's block-level sums (from the
-- per-block rollup columns, so one row per block is read, never the
-- transactions) and its coverage:
--
--   day           the UTC date of the block's timestamp; the genesis
--                 block counts on the day of block 1. Mainnet's block 0 has
--                 timestamp 0 (1970-01-01) and belongs with the chain's
--                 first day, 2015-07-30. Timestamps increase with the
--                 number, so block 0 is the only block that can be stamped
--                 before block 1, and no other block moves. Until block 1 is
--                 stored, block 0 belongs to no day (its day is not known
--                 yet), so mainnet shows no 1970 day. Transactions are never
--                 in block 0, so the address tables, which take the day of
--                 each transaction's block timestamp, already follow the
--                 rule.
--   complete      every block whose timestamp falls on the day is stored.
--                 Block timestamps strictly increase with the number, so a
--                 day's blocks are one run of numbers; the day is complete
--                 when its stored blocks have no gap (count = last - first
--                 + 1) and both neighbours are stored too: block first-1
--                 (or first is genesis) and block last+1, which then lie on
--                 other days. A day at the head of the index is therefore
--                 incomplete until the next day's first block is stored. The
--                 neighbours are looked for one day either side, so a chain
--                 that made no block for a whole day (never on mainnet)
--                 would leave the next day marked incomplete: conservative.
--   prior_blocks  stored blocks numbered below the day's first block.
--   from_genesis  prior_blocks = first_block: every block from genesis up
--                 to the day is stored, so first appearances are exact.
--   fingerprint   xor of cityHash64(hash) of the day's blocks; with the
--                 other columns it tells whether a cached row still applies
--                 (see _daily_rollup_v2).
--
-- blocks is read with FINAL: a re-written block counts once.
CREATE OR REPLACE VIEW _daily_blocks AS
WITH
    -- The scan covers a day more on each side, for the neighbours of the
    -- first and last days (1970-01-01 has none before it).
    if({from:Date} = toDate(0), toDateTime(0, 'UTC'), toDateTime({from:Date}, 'UTC') - INTERVAL 1 DAY) AS scan_from,
    toDateTime({to:Date}, 'UTC') + INTERVAL 2 DAY AS scan_to,
    -- The genesis rule needs block 1's timestamp (0 while block 1 is not
    -- stored) and block 0's row: one row each, found by the key.
    (SELECT max(timestamp) FROM blocks FINAL WHERE number = 1) AS block1_time,
    (SELECT (count(), max(timestamp)) FROM blocks FINAL WHERE number = 0) AS genesis,
    -- Block 0 is in the scan when block 1's day is. The scans below filter
    -- on the raw timestamp, as a filter on it alone is the cheapest to
    -- evaluate over every block, and correct block 0 by these constants.
    block1_time > 0 AND block1_time >= scan_from AND block1_time < scan_to AS genesis_in,
    -- blocks is keyed by number, and FINAL reads every column of every row
    -- before a filter on timestamp. So first find the numbers: min and max
    -- over all row versions without FINAL read only two cheap columns, and
    -- bound the numbers of the final versions too.
    (
        SELECT (min(number), max(number)) FROM blocks WHERE timestamp >= scan_from AND timestamp < scan_to
    ) AS span
SELECT
    day,
    first_block,
    last_block,
    blocks,
    fingerprint,
    toUInt8(blocks = last_block - first_block + 1
        AND (first_block = 0 OR prev_next_block = first_block)
        AND next_first_block = last_block + 1) AS complete,
    prior_blocks,
    toUInt8(prior_blocks = first_block) AS from_genesis,
    tx_count,
    tx_success,
    contract_creations,
    blob_tx_count,
    blob_count,
    blob_blocks,
    blob_gas_used,
    gas_used,
    gas_limit,
    base_fee_sum,
    base_fee_blocks,
    burned_wei,
    fees_wei,
    log_count,
    withdrawal_count
FROM
(
    SELECT
        *,
        lagInFrame(last_block + 1, 1, 0) OVER neighbours AS prev_next_block,
        leadInFrame(first_block, 1, 0) OVER neighbours AS next_first_block,
        -- The count takes block 0 by its raw timestamp; it is before the
        -- scan only if block 1 is (and it has no day without block 1).
        toUInt64(ifNull((
            SELECT count()
            FROM blocks FINAL
            WHERE timestamp < scan_from
        ), 0)
            - toUInt64(genesis.1 > 0 AND genesis.2 < scan_from AND NOT (block1_time > 0 AND block1_time < scan_from))
            + sum(blocks) OVER earlier - blocks) AS prior_blocks
    FROM
    (
        SELECT
            toDate(if(number = 0, block1_time, timestamp)) AS day,
            min(number) AS first_block,
            max(number) AS last_block,
            count() AS blocks,
            groupBitXor(cityHash64(hash)) AS fingerprint,
            sum(tx_count) AS tx_count,
            sum(tx_success_count) AS tx_success,
            sum(contract_creations) AS contract_creations,
            sum(blob_tx_count) AS blob_tx_count,
            sum(blob_count) AS blob_count,
            countIf(blocks.blob_count > 0) AS blob_blocks,
            sum(ifNull(blob_gas_used, 0)) AS blob_gas_used,
            sum(gas_used) AS gas_used,
            sum(gas_limit) AS gas_limit,
            sum(ifNull(base_fee_per_gas, 0)) AS base_fee_sum,
            countIf(isNotNull(base_fee_per_gas)) AS base_fee_blocks,
            sum(burned_wei) AS burned_wei,
            sum(fees_wei) AS fees_wei,
            sum(log_count) AS log_count,
            sum(withdrawal_count) AS withdrawal_count
        FROM blocks FINAL
        WHERE number BETWEEN if(genesis_in, 0, span.1) AND span.2
          AND if(number = 0, genesis_in, timestamp >= scan_from AND timestamp < scan_to)
        GROUP BY day
    )
    WINDOW
        neighbours AS (ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING),
        earlier AS (ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)
WHERE day BETWEEN {from:Date} AND {to:Date};
