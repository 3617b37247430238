package rpcsource

import (
	"log/slog"
	"time"
)

// Options configures a Source. Only URLs is required.
type Options struct {
	// URLs are the nodes to read from, in order of preference. On a failed
	// call the Source moves to the next one (round-robin).
	URLs []string
	// ChainID, if set, is checked against every node's eth_chainId at New.
	ChainID uint64
	// RPS caps JSON-RPC calls per second across all URLs (a batch of k
	// calls counts k, as providers count them); 0 means no limit.
	RPS float64
	// MaxRetries is how many times a failed call is retried (default 5;
	// negative: never). Attempts that make progress (some blocks of a
	// range arrive) are not counted.
	MaxRetries int
	// Timeout bounds each HTTP request (default 30s).
	Timeout time.Duration
	// BatchSize is the most calls in one JSON-RPC batch (default 20: ten
	// blocks with their receipts, about 12 MB for mainnet blocks, under
	// geth's 25 MB batch response limit).
	BatchSize int
	// MaxResponseSize bounds every answer read from a node, in bytes
	// (default DefaultMaxResponseSize(BatchSize)); a larger one fails the
	// call on that node, and the call moves to the next URL.
	MaxResponseSize int64
	// RetryBase is the first retry's backoff (default 250ms); it doubles per
	// retry up to RetryMax (default 10s), with jitter.
	RetryBase, RetryMax time.Duration
	// Proof says how much of each block is proven against its header
	// before it is returned; the zero value is ProofRoots.
	Proof Proof
	// Traces says every block also gets its call frames (Block.Traced and
	// Block.Traces), from debug_traceBlockByHash with callTracer or, on
	// nodes without it, trace_block; New refuses, with an error wrapping
	// ErrNoTraces, a node that serves neither.
	Traces bool
	// traceMethod, if set, is the only trace method asked for: tests use
	// it to take the trace_block path on nodes that serve both.
	traceMethod string
	// OnError, if set, is called for every failed call attempt, retried or
	// not, except answers that a block is not there yet (e.g. to count RPC
	// errors in metrics). It must be cheap and safe for concurrent use.
	OnError func(err error)
	Logger  *slog.Logger
}

func (o *Options) setDefaults() {
	if o.MaxRetries == 0 {
		o.MaxRetries = 5
	}
	if o.MaxRetries < 0 {
		o.MaxRetries = 0
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 20
	}
	if o.MaxResponseSize <= 0 {
		o.MaxResponseSize = DefaultMaxResponseSize(o.BatchSize)
	}
	if o.RetryBase <= 0 {
		o.RetryBase = 250 * time.Millisecond
	}
	if o.RetryMax <= 0 {
		o.RetryMax = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}
