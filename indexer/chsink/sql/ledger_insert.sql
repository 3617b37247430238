-- name: ledger_insert
-- A completed range's ledger row (see schema/0011_range_ledger.sql),
-- written right after its ranges_done row.
INSERT INTO range_ledger (from_block, to_block, last_hash, blocks, transactions, logs, withdrawals) VALUES (?, ?, ?, ?, ?, ?, ?);
