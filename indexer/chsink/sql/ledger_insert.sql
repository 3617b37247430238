-- name: ledger_insert
-- A completed range's ledger row (see schema/0011_range_ledger.sql), with
-- the chain the sink is bound to (schema/0012_chain_genesis.sql), written
-- right after its ranges_done row; traces is what the range's call frames
-- received (schema/0015_traces.sql).
INSERT INTO range_ledger (from_block, to_block, last_hash, blocks, transactions, logs, withdrawals, chain_id, genesis_hash, traces) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?);
