// Package rpcsource reads checked blocks from Ethereum nodes over JSON-RPC:
// eth_getBlockByNumber with full transactions plus eth_getBlockReceipts,
// falling back to per-transaction eth_getTransactionReceipt on nodes that
// lack it. With Options.Traces it also reads every block's call frames,
// from debug_traceBlockByHash with callTracer or, on nodes without it,
// trace_block, flattened and checked against the block and its receipts
// (traces.go). Single calls and ws/IPC endpoints go through go-ethereum's
// rpc client; bulk block batches over HTTP go through a lean transport that
// reads each response once (transport.go says why, with numbers).
//
// Nodes lie and fail: they return truncated bodies, the wrong block,
// receipts of another fork, changed values, 429s and 5xxs. Every block is
// checked before it is returned (number, parent links, receipts matching
// transactions one by one, logs matching receipts, gas adding up) and, by
// default, proven against its header (verify.go: transaction hashes, the
// transactions, receipts and withdrawals roots, blooms, the block hash).
// Failures are retried with backoff on the next URL, and what still fails
// comes back as an *indexer.BlockError naming the block, the problem and
// the node, never as a partial block.
//
// Every client's JSON decodes the same: a null field means an absent one,
// unknown fields are skipped at any depth, quantities may carry leading
// zeros, upper-case digits or be bare JSON numbers, and what a node leaves
// out but has one right value (effective gas price, a typed transaction's
// parity, a sender when verifying) is derived.
//
// Responses are decoded by a small purpose-built JSON reader straight into
// indexer rows (see DecodeBlock): decoding is the CPU cost of indexing, and
// this path is several times faster than encoding/json.
package rpcsource
