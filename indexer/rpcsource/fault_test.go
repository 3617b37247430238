package rpcsource

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/rpc"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/replay"
)

// The two consecutive Dencun fixtures: a range with a parent link, blob
// transactions and ~170 transactions each.
const (
	dencunA = 19433902
	dencunB = 19433903
)

// faulty serves the fixtures with one fault and returns a quick-retrying
// source with the given retry budget.
func faulty(t *testing.T, retries int, f replay.Fault) (*replay.Server, *Source) {
	t.Helper()
	srv, url := serve(t, replay.Options{})
	srv.AddFault(f)
	opts := quick(url)
	opts.MaxRetries = retries
	if retries == 0 {
		opts.MaxRetries = -1 // no retries
	}
	return srv, open(t, opts)
}

// mustBlockError checks err is a BlockError for block n whose reason says
// what went wrong.
func mustBlockError(t *testing.T, err error, n uint64, reason string) {
	t.Helper()
	var be *indexer.BlockError
	if !errors.As(err, &be) {
		t.Fatalf("want a BlockError for block %d, got %v", n, err)
	}
	if be.Number != n || !strings.Contains(be.Reason, reason) {
		t.Fatalf("BlockError{%d, %q}: want block %d, reason containing %q", be.Number, be.Reason, n, reason)
	}
}

func fetchDencun(src *Source) ([]*indexer.Block, error) {
	return src.Blocks(context.Background(), dencunA, dencunB)
}

// Every bad answer, when persistent, is refused with a BlockError naming
// the block and the problem; when it happens once, a retry gets the good
// block.
func TestLyingNode(t *testing.T) {
	cases := []struct {
		name   string
		fault  replay.Fault
		reason string
	}{
		{"wrong block", replay.Fault{Kind: replay.FaultWrongBlock, Method: "eth_getBlockByNumber", Blocks: []uint64{dencunA}}, "node returned block 19433903"},
		{"wrong block's receipts", replay.Fault{Kind: replay.FaultWrongBlock, Method: "eth_getBlockReceipts", Blocks: []uint64{dencunB}}, "is for transaction"},
		{"short receipts", replay.Fault{Kind: replay.FaultShortReceipts, Blocks: []uint64{dencunB}}, "171 receipts for 172 transactions"},
		{"foreign receipt hashes", replay.Fault{Kind: replay.FaultForeignReceipts, Blocks: []uint64{dencunA}}, "receipt 0 is for transaction"},
		{"null receipts", replay.Fault{Kind: replay.FaultNull, Method: "eth_getBlockReceipts", Blocks: []uint64{dencunA}}, "no receipts"},
	}
	for _, c := range cases {
		t.Run(c.name+"/always", func(t *testing.T) {
			srv, src := faulty(t, 2, c.fault)
			bs, err := fetchDencun(src)
			if bs != nil {
				t.Fatal("blocks returned with an error")
			}
			n := c.fault.Blocks[0]
			if c.name == "wrong block's receipts" {
				n = dencunB
			}
			mustBlockError(t, err, n, c.reason)
			// The first attempt completes the other block: progress, which
			// does not count against the budget. Then 1 + 2 retries.
			if srv.Fired(c.fault.Kind) != 4 {
				t.Errorf("fault fired %d times, want 4", srv.Fired(c.fault.Kind))
			}
		})
		t.Run(c.name+"/once", func(t *testing.T) {
			f := c.fault
			f.Times = 1
			_, src := faulty(t, 2, f)
			bs, err := fetchDencun(src)
			if err != nil || len(bs) != 2 {
				t.Fatalf("after one bad answer: %d blocks, %v", len(bs), err)
			}
		})
	}
}

func TestTruncatedBody(t *testing.T) {
	srv, src := faulty(t, 3, replay.Fault{Kind: replay.FaultTruncate, Times: 2})
	if _, err := fetchDencun(src); err != nil {
		t.Fatalf("after two truncated bodies: %v", err)
	}
	if srv.Fired(replay.FaultTruncate) != 2 {
		t.Fatalf("fired %d", srv.Fired(replay.FaultTruncate))
	}

	_, src = faulty(t, 1, replay.Fault{Kind: replay.FaultTruncate})
	_, err := fetchDencun(src)
	if err == nil || !strings.Contains(err.Error(), "19433902-19433903") {
		t.Fatalf("always truncated: want an error naming the range, got %v", err)
	}
	t.Log(err)
}

func TestRateLimited(t *testing.T) {
	srv, src := faulty(t, 5, replay.Fault{Kind: replay.FaultStatus, Status: 429, Times: 3})
	if _, err := fetchDencun(src); err != nil {
		t.Fatalf("after three 429s: %v", err)
	}
	if srv.Fired(replay.FaultStatus) != 3 {
		t.Fatalf("fired %d", srv.Fired(replay.FaultStatus))
	}
}

func TestServerErrors(t *testing.T) {
	_, src := faulty(t, 2, replay.Fault{Kind: replay.FaultStatus, Status: 503})
	_, err := fetchDencun(src)
	var he rpc.HTTPError
	if !errors.As(err, &he) || he.StatusCode != 503 {
		t.Fatalf("want HTTP 503 after retries, got %v", err)
	}
	// A 4xx other than 429 will not get better by waiting: no retries.
	srv, src := faulty(t, 5, replay.Fault{Kind: replay.FaultStatus, Status: 403})
	if _, err := fetchDencun(src); err == nil {
		t.Fatal("403: no error")
	}
	if srv.Fired(replay.FaultStatus) != 1 {
		t.Fatalf("403 retried: fired %d times", srv.Fired(replay.FaultStatus))
	}
}

func TestSlowNode(t *testing.T) {
	srv, url := serve(t, replay.Options{})
	// The slow answer takes 10 s; cut at 1 s and retried, the fetch
	// ends well before it, however loaded the machine.
	const slow = 10 * time.Second
	srv.AddFault(replay.Fault{Kind: replay.FaultLatency, Delay: slow, Times: 1})
	opts := quick(url)
	opts.Timeout = time.Second // for each call: room for a loaded machine
	src := open(t, opts)
	start := time.Now()
	if _, err := fetchDencun(src); err != nil {
		t.Fatalf("after one slow answer: %v", err)
	}
	if d := time.Since(start); d >= slow/2 {
		t.Fatalf("took %v: the timeout did not cut the slow request", d)
	}

	srv.AddFault(replay.Fault{Kind: replay.FaultLatency, Delay: time.Second})
	opts.Timeout = 200 * time.Millisecond
	opts.MaxRetries = 1
	src = open(t, opts)
	_, err := fetchDencun(src)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("always slow: want a deadline error, got %v", err)
	}
}

func TestNodeBehind(t *testing.T) {
	srv, src := faulty(t, 3, replay.Fault{})
	srv.SetHead(dencunA)
	_, err := fetchDencun(src)
	if !errors.Is(err, indexer.ErrNotFound) || !strings.Contains(err.Error(), "block 19433903") || !strings.Contains(err.Error(), "node head is 19433902") {
		t.Fatalf("want ErrNotFound naming block 19433903 and the head, got %v", err)
	}
	t.Log(err)
	if n := srv.Calls("eth_getBlockByNumber"); n != 2 {
		t.Errorf("%d block calls: a missing block should not be retried on the only node", n)
	}
}

// A block whose parent is not the block before it (the chain moved, or
// nodes disagree) is refused after retries.
func TestBrokenParentLink(t *testing.T) {
	srv := replay.New(replay.Options{})
	if err := srv.Generate(replay.GenOptions{From: dencunA, Count: 1, Seed: 1, TxPerBlock: 5}); err != nil {
		t.Fatal(err)
	}
	for _, f := range loadFixtures(t) {
		if f.number == dencunB {
			if err := srv.AddBlock(f.block, f.receipts); err != nil {
				t.Fatal(err)
			}
		}
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	opts := quick(hs.URL)
	opts.MaxRetries = 2
	_, err := fetchDencun(open(t, opts))
	mustBlockError(t, err, dencunB, "parent hash")
}

// With several URLs, a failing node is skipped for the next.
func TestFailover(t *testing.T) {
	bad, badURL := serve(t, replay.Options{})
	bad.AddFault(replay.Fault{Kind: replay.FaultStatus, Status: 502})
	good, goodURL := serve(t, replay.Options{})
	src := open(t, quick(badURL, goodURL))
	for range 3 {
		if _, err := fetchDencun(src); err != nil {
			t.Fatal(err)
		}
	}
	if bad.Fired(replay.FaultStatus) != 1 {
		t.Errorf("bad node asked %d times; want once, then stay on the good one", bad.Fired(replay.FaultStatus))
	}
	if good.Calls("eth_getBlockByNumber") != 6 {
		t.Errorf("good node served %d blocks, want 6", good.Calls("eth_getBlockByNumber"))
	}

	// A node that is behind: the other one has the block.
	behind, behindURL := serve(t, replay.Options{Head: dencunA})
	_, aheadURL := serve(t, replay.Options{})
	src = open(t, quick(behindURL, aheadURL))
	if _, err := fetchDencun(src); err != nil {
		t.Fatalf("one node behind, one ahead: %v", err)
	}
	_ = behind
}

// The receipt fallback checks receipts as strictly as the block path.
func TestFallbackFaults(t *testing.T) {
	srv, url := serve(t, replay.Options{NoBlockReceipts: true})
	srv.AddFault(replay.Fault{Kind: replay.FaultForeignReceipts, Method: "eth_getTransactionReceipt", Blocks: []uint64{dencunB}})
	opts := quick(url)
	opts.MaxRetries = 1
	_, err := fetchDencun(open(t, opts))
	mustBlockError(t, err, dencunB, "is for transaction")

	srv.ClearFaults()
	srv.AddFault(replay.Fault{Kind: replay.FaultNull, Method: "eth_getTransactionReceipt", Blocks: []uint64{dencunA}, Times: 1})
	if _, err := fetchDencun(open(t, opts)); err != nil {
		t.Fatalf("one missing receipt, then retry: %v", err)
	}
}

func TestRateLimit(t *testing.T) {
	_, url := serve(t, replay.Options{})
	opts := quick(url)
	opts.RPS = 20
	src := open(t, opts)
	start := time.Now()
	// Ten calls of two blocks are 40 JSON-RPC calls: the first 20 are the
	// bucket's burst, the next 20 take a second at 20/s.
	for range 10 {
		if _, err := src.Blocks(context.Background(), dencunA, dencunB); err != nil {
			t.Fatal(err)
		}
	}
	// At least the second the limiter owes; the upper bound only catches
	// a limiter far slower than asked, with room for a loaded machine.
	if d := time.Since(start); d < 800*time.Millisecond || d > 15*time.Second {
		t.Fatalf("40 calls at 20/s with a burst of 20 took %v, want about 1s", d)
	}
}

// A node that answers only part of each batch (geth past its batch
// response size) still gets the range done: attempts that make progress
// do not use up retries.
func TestPartialBatches(t *testing.T) {
	srv, url := serve(t, replay.Options{BatchResponseLimit: 400_000})
	opts := quick(url)
	opts.MaxRetries = 1
	src := open(t, opts)
	bs, err := fetchDencun(src)
	if err != nil || len(bs) != 2 {
		t.Fatalf("%d blocks, %v", len(bs), err)
	}
	if n := srv.Calls("eth_getBlockReceipts"); n < 3 {
		t.Fatalf("%d receipt calls: the limit did not bite", n)
	}
}

// Every node behind one Source must serve one chain: nodes that disagree
// are refused at New, and a node that was down then is checked before its
// first use, so a failover never reads another chain's blocks.
func TestChainAgreement(t *testing.T) {
	_, mainURL := serve(t, replay.Options{ChainID: 1})
	_, otherURL := serve(t, replay.Options{ChainID: 5})
	if _, err := New(context.Background(), quick(mainURL, otherURL)); !errors.Is(err, ErrChainMismatch) {
		t.Fatalf("New over chains 1 and 5: %v; want ErrChainMismatch", err)
	}
	if _, err := New(context.Background(), Options{URLs: []string{otherURL}, ChainID: 1}); !errors.Is(err, ErrChainMismatch) {
		t.Fatalf("New with ChainID 1 on a chain-5 node: %v; want ErrChainMismatch", err)
	}

	// The chain-5 node is down at New (its first answer is a 502), the
	// chain-1 node serves until it fails for good; the Source then fails
	// over, finds the other chain and refuses it rather than read it.
	main, mainURL := serve(t, replay.Options{ChainID: 1})
	other, otherURL := serve(t, replay.Options{ChainID: 5})
	other.AddFault(replay.Fault{Kind: replay.FaultStatus, Status: 502, Times: 1})
	opts := quick(otherURL, mainURL)
	opts.MaxRetries = 2
	src := open(t, opts)
	if _, err := fetchDencun(src); err != nil {
		t.Fatalf("with the chain-1 node up: %v", err)
	}
	if other.Calls("eth_getBlockByNumber") != 0 {
		t.Fatal("the unchecked node served blocks")
	}
	main.AddFault(replay.Fault{Kind: replay.FaultStatus, Status: 503})
	_, err := fetchDencun(src)
	if !errors.Is(err, ErrChainMismatch) {
		t.Fatalf("after failover to the chain-5 node: %v; want ErrChainMismatch", err)
	}
	if n := other.Calls("eth_getBlockByNumber"); n != 0 {
		t.Errorf("the chain-5 node served %d block calls, want 0", n)
	}
}

// Nodes that cannot tell their chain id (minimal or replaying servers
// answering null) are still usable, alone or behind failover, and
// ChainID fails at once for them instead of retrying.
func TestNodeWithoutChainID(t *testing.T) {
	a, aURL := serve(t, replay.Options{})
	b, bURL := serve(t, replay.Options{})
	for _, srv := range []*replay.Server{a, b} {
		srv.AddFault(replay.Fault{Kind: replay.FaultNull, Method: "eth_chainId"})
	}
	src := open(t, quick(aURL, bURL))
	if _, err := fetchDencun(src); err != nil {
		t.Fatalf("fetching from nodes without a chain id: %v", err)
	}
	if _, err := src.ChainID(context.Background()); !errors.Is(err, ErrNoChainID) {
		t.Fatalf("ChainID on nodes answering null: %v; want ErrNoChainID", err)
	}
	if n := a.Calls("eth_chainId") + b.Calls("eth_chainId"); n > 4 {
		t.Errorf("eth_chainId asked %d times; want each node once at New and once by ChainID", n)
	}

	// A node that does not answer is not one that cannot tell: the guard
	// must not be skipped because a node was down.
	down, downURL := serve(t, replay.Options{})
	down.AddFault(replay.Fault{Kind: replay.FaultStatus, Status: 503, Method: "eth_chainId"})
	opts := quick(downURL)
	opts.MaxRetries = 1
	if _, err := open(t, opts).ChainID(context.Background()); err == nil || errors.Is(err, ErrNoChainID) {
		t.Errorf("ChainID on a node answering 503: %v; want an error that is not ErrNoChainID", err)
	}
}
