// Package replay is a JSON-RPC server that answers the handful of Ethereum
// methods an indexer needs (eth_chainId, eth_blockNumber, eth_syncing,
// eth_getBlockByNumber, eth_getBlockReceipts, eth_getTransactionReceipt,
// batches) from blocks it holds as pre-encoded JSON.
//
// It exists so tests and benchmarks exercise the real HTTP and JSON-RPC path
// without a node: real mainnet fixtures are served at their real numbers
// (LoadFixtures, LoadJSONL for the era1 file), and mainnet-shaped synthetic
// blocks can be generated lazily for any range (Generate), canonical (real
// transaction hashes, roots, blooms and block hashes; random signatures),
// about 7 ms and 1.1 MB per 300-transaction block, kept in a bounded cache. Faults (truncated bodies, wrong blocks, bad receipts,
// 429/5xx, latency, a lagging head) can be injected to test how a client
// copes with a lying or flaky node.
package replay
