-- name: traces
-- Call frames, for ranges loaded with --traces: every frame of every
-- transaction, the top-level call included, as the node's call tracer
-- reports it (debug_traceBlockByHash with callTracer, or trace_block),
-- after the top-level frames were checked against the transactions and
-- their receipts. Keyed by chain position (block, transaction, the frame's
-- index in execution order), so FINAL is exact, a block written again
-- replaces its rows, and a reorg deletes them by block number.
--
--   trace_address  the path from the top-level frame: [] for it, [0] for
--                  its first child, [0, 2] for that child's third
--   depth          length(trace_address)
--   call_type      CALL, STATICCALL, DELEGATECALL, CALLCODE, CREATE,
--                  CREATE2 or SELFDESTRUCT
--   to             the callee, the created contract or the self-destruct's
--                  beneficiary; NULL for a creation that failed
--   error          the frame's own failure ('' when it succeeded)
--   status         1 when the frame's effects stand: it and every frame
--                  above it succeeded (a successful call inside a reverted
--                  one has status 0 and no error)
--
-- blocks.trace_count is each block's own count of frames: NULL for a block
-- loaded without traces, so "is this block traced" and "are all its frames
-- stored" are both answered from the block row, as tx_count does for
-- transactions. The completion ledger records the frames each range
-- received (0 for a range loaded without traces).

CREATE TABLE IF NOT EXISTS traces
(
    block_number      UInt64 CODEC(Delta, ZSTD(1)),
    block_timestamp   DateTime('UTC') CODEC(Delta, ZSTD(1)),
    transaction_index UInt32,
    transaction_hash  FixedString(32),
    frame             UInt32,
    trace_address     Array(UInt32),
    depth             UInt32,
    call_type         LowCardinality(String),
    from              FixedString(20),
    to                Nullable(FixedString(20)),
    value             UInt256,
    gas               UInt64,
    gas_used          UInt64,
    input_selector    FixedString(4),
    input_size        UInt32,
    error             String,
    status            UInt8
)
ENGINE = ReplacingMergeTree
PARTITION BY intDiv(block_number, 1000000)
ORDER BY (block_number, transaction_index, frame);

ALTER TABLE blocks ADD COLUMN IF NOT EXISTS trace_count Nullable(UInt32);

ALTER TABLE range_ledger ADD COLUMN IF NOT EXISTS traces UInt64 DEFAULT 0;

-- Internal value transfers make parties under the all_parties definition
-- (0014_definitions.sql, role 2, beside token transfers): a frame below
-- the top level whose effects stand and that moved value — a CALL with
-- value, a creation's endowment, a self-destruct's balance. DELEGATECALL,
-- STATICCALL and CALLCODE move nothing to another address. The zero address
-- is never a party. Keep the conditions in step with
-- indexer/chsink/sql/rebuild_derived.sql and the views below.
CREATE MATERIALIZED VIEW IF NOT EXISTS address_activity_traces_mv TO address_activity AS
SELECT
    toDate(block_timestamp) AS day,
    a AS address,
    toUInt8(2) AS is_sender,
    min(block_number) AS first_block
FROM traces
ARRAY JOIN [from, assumeNotNull(to)] AS a
WHERE depth > 0 AND value > 0 AND status = 1 AND isNotNull(to)
  AND call_type IN ('CALL', 'CREATE', 'CREATE2', 'SELFDESTRUCT')
  AND a != toFixedString(unhex('0000000000000000000000000000000000000000'), 20)
GROUP BY day, address;

CREATE MATERIALIZED VIEW IF NOT EXISTS address_first_role_traces_mv TO address_first_role AS
SELECT
    a AS address,
    toUInt8(2) AS role,
    min(block_number) AS first_block,
    min(block_timestamp) AS first_time
FROM traces
ARRAY JOIN [from, assumeNotNull(to)] AS a
WHERE depth > 0 AND value > 0 AND status = 1 AND isNotNull(to)
  AND call_type IN ('CALL', 'CREATE', 'CREATE2', 'SELFDESTRUCT')
  AND a != toFixedString(unhex('0000000000000000000000000000000000000000'), 20)
GROUP BY address;

CREATE OR REPLACE VIEW traces_hex AS
SELECT
    block_number,
    block_timestamp,
    toDate(block_timestamp) AS day,
    transaction_index,
    concat('0x', lower(hex(transaction_hash))) AS transaction_hash,
    frame,
    trace_address,
    depth,
    call_type,
    concat('0x', lower(hex(from))) AS from,
    if(isNull(to), NULL, concat('0x', lower(hex(assumeNotNull(to))))) AS to,
    value AS value_wei,
    toFloat64(value) / 1e18 AS value_eth,
    gas,
    gas_used,
    concat('0x', lower(hex(input_selector))) AS method_id,
    input_size,
    error,
    status
FROM traces FINAL;

-- Native value moved by calls below the top level, whose effects stand:
-- what block explorers list as internal transactions.
CREATE OR REPLACE VIEW internal_transfers AS
SELECT
    block_number,
    block_timestamp,
    toDate(block_timestamp) AS day,
    transaction_index,
    concat('0x', lower(hex(transaction_hash))) AS transaction_hash,
    trace_address,
    call_type,
    concat('0x', lower(hex(from))) AS from,
    concat('0x', lower(hex(assumeNotNull(to)))) AS to,
    value AS value_wei,
    toFloat64(value) / 1e18 AS value_eth
FROM traces FINAL
WHERE depth > 0 AND value > 0 AND status = 1 AND isNotNull(to)
  AND call_type IN ('CALL', 'CREATE', 'CREATE2', 'SELFDESTRUCT');

-- Contracts a contract created (CREATE or CREATE2 below the top level)
-- whose creation stands; top-level creations are transactions.contract_address.
CREATE OR REPLACE VIEW contracts_created_by_contracts AS
SELECT
    block_number,
    block_timestamp,
    toDate(block_timestamp) AS day,
    transaction_index,
    concat('0x', lower(hex(transaction_hash))) AS transaction_hash,
    trace_address,
    call_type,
    concat('0x', lower(hex(from))) AS creator,
    concat('0x', lower(hex(assumeNotNull(to)))) AS contract,
    value AS value_wei
FROM traces FINAL
WHERE depth > 0 AND status = 1 AND isNotNull(to) AND call_type IN ('CREATE', 'CREATE2');
