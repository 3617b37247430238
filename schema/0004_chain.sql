-- name: chain
-- The chain a database holds. ethidx records the node's chain id with the
-- first write and refuses to load another chain's blocks into the same
-- database: rows are keyed by block number, so a second chain would
-- silently overwrite the first one's rows (a mainnet node and a testnet
-- node behind one failover list, or a wrong --rpc in a cron job).
CREATE TABLE IF NOT EXISTS chain
(
    chain_id    UInt64,
    recorded_at DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree
ORDER BY chain_id;
