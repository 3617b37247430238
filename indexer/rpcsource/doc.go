// Package rpcsource reads checked blocks from Ethereum nodes over JSON-RPC:
// eth_getBlockByNumber with full transactions plus eth_getBlockReceipts,
// falling back to per-transaction eth_getTransactionReceipt on nodes that
// lack it. Single calls and ws/IPC endpoints go through go-ethereum's rpc
// client; bulk block batches over HTTP go through a lean transport that
// reads each response once (transport.go says why, with numbers).
//
// Nodes lie and fail: they return truncated bodies, the wrong block,
// receipts of another fork, 429s and 5xxs. Every block is checked before it
// is returned (number, parent links, receipts matching transactions one by
// one, logs matching receipts, gas adding up), failures are retried with
// backoff on the next URL, and what still fails comes back as an
// *indexer.BlockError naming the block and the problem, never as a
// partial block.
//
// Responses are decoded by a small purpose-built JSON reader straight into
// indexer rows (see DecodeBlock): decoding is the CPU cost of indexing, and
// this path is several times faster than encoding/json.
package rpcsource
