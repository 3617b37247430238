-- name: bind_chain
-- Records the chain (id and genesis hash) of the node the database is first
-- loaded from; a node of another chain is refused afterwards (see
-- Sink.BindChain).
INSERT INTO chain (chain_id, genesis_hash) VALUES (?, ?);
