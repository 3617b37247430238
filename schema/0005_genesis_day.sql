-- name: genesis_day
-- blocks_hex.day follows the genesis rule of the saved queries: the genesis
-- block counts on the day of block 1, so mainnet's block 0 (timestamp 0)
-- is on 2015-07-30 instead of making a 1970-01-01 day. Only the view
-- changes; no stored column does (a transaction, log or withdrawal is never
-- in block 0, so the other views' day, the date of the row's block
-- timestamp, is already that day). While block 1 is not stored, block 0's
-- day is the date of its own timestamp.

CREATE OR REPLACE VIEW blocks_hex AS
SELECT
    number,
    concat('0x', lower(hex(hash))) AS hash,
    concat('0x', lower(hex(parent_hash))) AS parent_hash,
    timestamp,
    -- The genesis rule (see queries/install/02_daily_blocks.sql): block 0
    -- (mainnet's is stamped 0) is on block 1's day; block 1's timestamp is
    -- one row, found by the key.
    toDate(if(number = 0, greatest(timestamp, (SELECT max(timestamp) FROM blocks FINAL WHERE number = 1)), timestamp)) AS day,
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
