-- name: chain_genesis
-- A store belongs to one chain, not to a chain id: two chains can share an
-- id (a restarted dev chain, a fork of a testnet), and their blocks would
-- mix under the same numbers. The binding is the chain id and the genesis
-- hash (block 0's, asked of the node before the first write). It is kept
-- in two places, so losing one never rebinds the store: the chain table,
-- and every completion ledger row, written with each completed range
-- (see indexer/chsink/chain.go). Rows written before this migration read
-- a zero hash and chain id 0 here: unknown, proven again from the stored
-- blocks on the next load.

ALTER TABLE chain ADD COLUMN IF NOT EXISTS genesis_hash FixedString(32);

ALTER TABLE range_ledger
    ADD COLUMN IF NOT EXISTS chain_id UInt64,
    ADD COLUMN IF NOT EXISTS genesis_hash FixedString(32);
