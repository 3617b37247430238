-- name: core_tables
-- The raw chain: blocks, transactions (receipt fields merged), logs and
-- withdrawals. Binary FixedString for hashes and addresses, UInt256 for wei.
--
-- Every table is a ReplacingMergeTree keyed by chain position, so writing a
-- block again replaces the same rows instead of adding new ones; read with
-- FINAL (the hex views below do) to see exactly one row per key even before
-- background merges. A reorg rewrite first deletes the orphaned positions
-- (see the sink's Rewind), so a shorter canonical block leaves no leftovers.
--
-- Partitions hold one million blocks: about 150M transactions each at
-- today's mainnet rate, so a 3.5-billion-transaction table has a few dozen
-- partitions and deletes for a reorg touch only the newest one.

CREATE TABLE IF NOT EXISTS blocks
(
    number                   UInt64 CODEC(Delta, ZSTD(1)),
    hash                     FixedString(32),
    parent_hash              FixedString(32),
    timestamp                DateTime('UTC') CODEC(Delta, ZSTD(1)),
    miner                    FixedString(20),
    gas_limit                UInt64,
    gas_used                 UInt64,
    base_fee_per_gas         Nullable(UInt256),
    difficulty               UInt256,
    size                     UInt64,
    extra_data               String CODEC(ZSTD(3)),
    state_root               FixedString(32),
    transactions_root        FixedString(32),
    receipts_root            FixedString(32),
    blob_gas_used            Nullable(UInt64),
    excess_blob_gas          Nullable(UInt64),
    parent_beacon_block_root Nullable(FixedString(32)),
    withdrawals_root         Nullable(FixedString(32)),
    -- Per-block rollups, computed by the writer, so daily figures read one
    -- row per block instead of scanning transactions.
    tx_count                 UInt32,
    tx_success_count         UInt32,
    contract_creations       UInt32,
    blob_tx_count            UInt32,
    blob_count               UInt32,
    log_count                UInt32,
    withdrawal_count         UInt32,
    burned_wei               UInt256,
    fees_wei                 UInt256
)
ENGINE = ReplacingMergeTree
PARTITION BY intDiv(number, 1000000)
ORDER BY number;

CREATE TABLE IF NOT EXISTS transactions
(
    block_number             UInt64 CODEC(Delta, ZSTD(1)),
    block_timestamp          DateTime('UTC') CODEC(Delta, ZSTD(1)),
    block_hash               FixedString(32),
    tx_index                 UInt32 CODEC(Delta, ZSTD(1)),
    hash                     FixedString(32),
    type                     UInt8,
    from                     FixedString(20),
    to                       Nullable(FixedString(20)),
    nonce                    UInt64,
    value                    UInt256,
    gas                      UInt64,
    gas_price                UInt256,
    max_fee_per_gas          Nullable(UInt256),
    max_priority_fee_per_gas Nullable(UInt256),
    max_fee_per_blob_gas     Nullable(UInt256),
    input                    String CODEC(ZSTD(3)),
    access_list_addresses    Array(FixedString(20)),
    access_list_storage_keys Array(Array(FixedString(32))),
    blob_versioned_hashes    Array(FixedString(32)),
    auth_chain_ids           Array(UInt256),
    auth_addresses           Array(FixedString(20)),
    auth_nonces              Array(UInt64),
    auth_y_parities          Array(UInt8),
    auth_rs                  Array(UInt256),
    auth_ss                  Array(UInt256),
    -- receipt
    status                   Nullable(UInt8),
    gas_used                 UInt64,
    cumulative_gas_used      UInt64,
    effective_gas_price      UInt256,
    contract_address         Nullable(FixedString(20)),
    blob_gas_used            Nullable(UInt64),
    blob_gas_price           Nullable(UInt256),
    log_count                UInt32
)
ENGINE = ReplacingMergeTree
PARTITION BY intDiv(block_number, 1000000)
ORDER BY (block_number, tx_index);

CREATE TABLE IF NOT EXISTS logs
(
    block_number    UInt64 CODEC(Delta, ZSTD(1)),
    block_timestamp DateTime('UTC') CODEC(Delta, ZSTD(1)),
    block_hash      FixedString(32),
    tx_index        UInt32,
    tx_hash         FixedString(32),
    log_index       UInt32 CODEC(Delta, ZSTD(1)),
    address         FixedString(20),
    topic0          Nullable(FixedString(32)),
    topic1          Nullable(FixedString(32)),
    topic2          Nullable(FixedString(32)),
    topic3          Nullable(FixedString(32)),
    topic_count     UInt8,
    data            String CODEC(ZSTD(3))
)
ENGINE = ReplacingMergeTree
PARTITION BY intDiv(block_number, 1000000)
ORDER BY (block_number, log_index);

CREATE TABLE IF NOT EXISTS withdrawals
(
    block_number     UInt64 CODEC(Delta, ZSTD(1)),
    block_timestamp  DateTime('UTC') CODEC(Delta, ZSTD(1)),
    withdrawal_index UInt64 CODEC(Delta, ZSTD(1)),
    validator_index  UInt64,
    address          FixedString(20),
    amount_gwei      UInt64
)
ENGINE = ReplacingMergeTree
PARTITION BY intDiv(block_number, 1000000)
ORDER BY (block_number, withdrawal_index);

-- Completed block ranges, written only after every row of the range is.
-- Overlapping rows are fine: readers merge them.
CREATE TABLE IF NOT EXISTS ranges_done
(
    from_block  UInt64,
    to_block    UInt64,
    written_at  DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree(written_at)
ORDER BY (from_block, to_block);
