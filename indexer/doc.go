// Package indexer is the domain core of ethidx: the rows it stores (blocks,
// transactions with their receipts merged, logs, withdrawals), the Source
// and Sink interfaces the pipeline moves them between, block ranges, and the
// backfill and follow loops.
//
// Adapters live in sub-packages named after what they wrap (the JSON-RPC
// source, the ClickHouse sink, the embedded engine); this package imports
// none of them, so the core reads without them. Its pure parts (ranges)
// are tested with neither a node nor a database; the loops are tested
// against a real node (replay, dev chain) and the real engine.
package indexer
