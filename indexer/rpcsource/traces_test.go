package rpcsource

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/devchain"
	"github.com/ethidx/ethidx/indexer/replay"
)

// tracedHeight is how many blocks the shared traced dev chain has: enough
// for every kind of internal frame several times over.
const tracedHeight = 200

var (
	tracedOnce  sync.Once
	tracedChain *devchain.Chain
	tracedURL   string
	tracedErr   error
)

// sharedTracedChain is one dev chain, mined once for the trace tests and
// served over HTTP; the tests only read it.
func sharedTracedChain(t *testing.T) (*devchain.Chain, string) {
	t.Helper()
	tracedOnce.Do(func() {
		ctx := context.Background()
		tracedChain, tracedErr = devchain.New(devchain.Config{Seed: 21, MinTxs: 12, MaxTxs: 16,
			GenesisTime: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), BlockInterval: 12 * time.Second})
		if tracedErr != nil {
			return
		}
		for tracedChain.Head().Number.Uint64() < tracedHeight && tracedErr == nil {
			_, tracedErr = tracedChain.Mine(ctx)
		}
		if tracedErr == nil {
			var addr string
			addr, tracedErr = tracedChain.ServeRPC(ctx, "127.0.0.1:0")
			tracedURL = "http://" + addr
		}
	})
	if tracedErr != nil {
		t.Fatal(tracedErr)
	}
	return tracedChain, tracedURL
}

// refFrame is a callTracer frame as go-ethereum writes it, read with
// encoding/json: the test's own decoding, apart from the source's.
type refFrame struct {
	Type    string          `json:"type"`
	From    common.Address  `json:"from"`
	To      *common.Address `json:"to"`
	Value   *hexutil.Big    `json:"value"`
	Gas     hexutil.Uint64  `json:"gas"`
	GasUsed hexutil.Uint64  `json:"gasUsed"`
	Input   hexutil.Bytes   `json:"input"`
	Error   string          `json:"error"`
	Calls   []refFrame      `json:"calls"`
}

// refTraces asks the node for debug_traceBlockByNumber with callTracer
// through go-ethereum's rpc client and flattens the trees recursively.
func refTraces(t *testing.T, c *rpc.Client, b *indexer.Block) []indexer.Trace {
	t.Helper()
	var res []struct {
		TxHash common.Hash `json:"txHash"`
		Result refFrame    `json:"result"`
	}
	if err := c.Call(&res, "debug_traceBlockByNumber", hexutil.Uint64(b.Number), map[string]string{"tracer": "callTracer"}); err != nil {
		t.Fatal(err)
	}
	var out []indexer.Trace
	for i, r := range res {
		frame := uint32(0)
		var walk func(f refFrame, path []uint32)
		walk = func(f refFrame, path []uint32) {
			tr := indexer.Trace{BlockNumber: b.Number, BlockTimestamp: b.Timestamp, TxIndex: uint32(i), TxHash: r.TxHash,
				Frame: frame, TraceAddress: path, CallType: f.Type, From: f.From, To: f.To, Value: new(big.Int),
				Gas: uint64(f.Gas), GasUsed: uint64(f.GasUsed), InputSize: uint32(len(f.Input)), Error: f.Error}
			copy(tr.Selector[:], f.Input)
			if f.Value != nil && f.Type != "DELEGATECALL" && f.Type != "STATICCALL" {
				tr.Value = f.Value.ToInt()
			}
			if (f.Type == "CREATE" || f.Type == "CREATE2") && f.Error != "" {
				tr.To = nil
			}
			frame++
			out = append(out, tr)
			for k, ch := range f.Calls {
				walk(ch, append(slices.Clip(path), uint32(k)))
			}
		}
		walk(r.Result, []uint32{})
	}
	return out
}

func traceString(tr *indexer.Trace) string {
	return fmt.Sprintf("block %d tx %d (%s) frame %d %v %s %s->%s value %s gas %d/%d sel %x size %d err %q",
		tr.BlockNumber, tr.TxIndex, tr.TxHash, tr.Frame, tr.TraceAddress, tr.CallType, tr.From, addrString(tr.To),
		tr.Value, tr.Gas, tr.GasUsed, tr.Selector, tr.InputSize, tr.Error)
}

// Every frame the source returns for a few hundred dev-chain blocks equals
// the node's own callTracer answer, flattened independently; and the
// traffic holds the internal frames traces exist for.
func TestTracesMatchCallTracer(t *testing.T) {
	chain, url := sharedTracedChain(t)
	opts := quick(url)
	opts.Traces = true
	src := open(t, opts)
	if m := src.eps[0].traces.Load(); m != tracesDebug {
		t.Fatalf("probed trace method %d, want debug_traceBlockByHash", m)
	}
	blocks, err := src.Blocks(context.Background(), 1, tracedHeight)
	if err != nil {
		t.Fatal(err)
	}
	var (
		frames, internal                                int
		paid, fromContract, revertedInner, delegate, st int
		failedInnerCreate                               int
		bytesTotal                                      int
	)
	rc := chain.Client().Client()
	for _, b := range blocks {
		if !b.Traced {
			t.Fatalf("block %d not traced", b.Number)
		}
		want := refTraces(t, rc, b)
		if len(b.Traces) != len(want) {
			t.Fatalf("block %d: %d frames, node's callTracer has %d", b.Number, len(b.Traces), len(want))
		}
		for k := range want {
			got, w := traceString(&b.Traces[k]), traceString(&want[k])
			if got != w {
				t.Fatalf("frame %d differs:\n got  %s\n want %s", k, got, w)
			}
		}
		var raw json.RawMessage
		if err := rc.Call(&raw, "debug_traceBlockByHash", b.Hash, callTracer); err != nil {
			t.Fatal(err)
		}
		bytesTotal += len(raw)
		for k := range b.Traces {
			tr := &b.Traces[k]
			frames++
			if tr.Depth() == 0 {
				continue
			}
			internal++
			status := b.Transactions[tr.TxIndex].Status
			switch {
			case tr.CallType == "CALL" && tr.Value.Sign() > 0 && tr.Error == "":
				paid++
			case (tr.CallType == "CREATE" || tr.CallType == "CREATE2") && tr.Error == "" && tr.To != nil:
				fromContract++
			case (tr.CallType == "CREATE" || tr.CallType == "CREATE2") && tr.Error != "" && tr.To == nil:
				failedInnerCreate++
			case tr.CallType == "CALL" && tr.Error != "" && status != nil && *status == 1:
				revertedInner++
			case tr.CallType == "DELEGATECALL":
				delegate++
			case tr.CallType == "STATICCALL":
				st++
			}
		}
	}
	t.Logf("%d blocks: %d frames, %d internal (%d paying, %d contracts created by contracts, %d failed inner creations, "+
		"%d reverted inner calls in successful txs, %d DELEGATECALL, %d STATICCALL); %d bytes of callTracer JSON a block",
		len(blocks), frames, internal, paid, fromContract, failedInnerCreate, revertedInner, delegate, st, bytesTotal/len(blocks))
	if paid == 0 || fromContract == 0 || failedInnerCreate == 0 || revertedInner == 0 || delegate == 0 || st == 0 {
		t.Error("the dev chain's traffic lacks a kind of internal frame")
	}
}

// traceProxy forwards JSON-RPC to a node and lets edit change the result
// of every call of method (default debug_traceBlockByHash) in a batch,
// decoded as generic JSON; it counts the edits.
type traceProxy struct {
	upstream string
	method   string
	edit     func(result []any) any
	mu       sync.Mutex
	edits    int
}

func (p *traceProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	resp, err := http.Post(p.upstream, "application/json", bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	var reqs []struct {
		ID     int    `json:"id"`
		Method string `json:"method"`
	}
	var answers []map[string]any
	if json.Unmarshal(body, &reqs) == nil && json.Unmarshal(out, &answers) == nil {
		methods := map[float64]string{}
		for _, q := range reqs {
			methods[float64(q.ID)] = q.Method
		}
		for _, a := range answers {
			id, _ := a["id"].(float64)
			res, ok := a["result"].([]any)
			method := p.method
			if method == "" {
				method = methodDebugTrace
			}
			if methods[id] == method && ok && len(res) > 0 {
				a["result"] = p.edit(res)
				p.mu.Lock()
				p.edits++
				p.mu.Unlock()
			}
		}
		out, _ = json.Marshal(answers)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(out)
}

func top(res []any, i int) map[string]any {
	return res[i].(map[string]any)["result"].(map[string]any)
}

// firstWithCalls is the index of the first transaction whose top-level
// frame has calls.
func firstWithCalls(res []any) int {
	for i := range res {
		if calls, _ := top(res, i)["calls"].([]any); len(calls) > 0 {
			return i
		}
	}
	return -1
}

// A node whose traces lie about what the block and its receipts say is
// refused, retried like any other lying node, with a BlockError naming the
// problem; an answer bigger than the response limit fails cleanly.
func TestTracesTampered(t *testing.T) {
	_, url := sharedTracedChain(t)
	cases := []struct {
		name   string
		edit   func(res []any) any
		reason string
	}{
		{"top-level from", func(res []any) any {
			top(res, 0)["from"] = "0x00000000000000000000000000000000000000aa"
			return res
		}, "top-level trace frame is from"},
		{"top-level value", func(res []any) any {
			top(res, 0)["value"] = "0xde0b6b3a7640001"
			return res
		}, "wei, the transaction"},
		{"top-level status", func(res []any) any {
			for i := range res {
				if f := top(res, i); f["error"] == nil {
					f["error"] = "execution reverted"
					return res
				}
			}
			panic("no successful transaction")
		}, "but the receipt says status 1"},
		{"top-level recipient", func(res []any) any {
			for i := range res {
				if f := top(res, i); f["type"] == "CALL" {
					f["to"] = "0x00000000000000000000000000000000000000bb"
					return res
				}
			}
			panic("no call")
		}, "top-level trace frame calls"},
		{"missing transaction", func(res []any) any { return res[:len(res)-1] }, "traces of"},
		{"extra transaction", func(res []any) any { return append(res, res[0]) }, "traces of"},
		{"transactions swapped", func(res []any) any {
			res[0], res[1] = res[1], res[0]
			return res
		}, "trace 0 is of transaction"},
		{"child from", func(res []any) any {
			i := firstWithCalls(res)
			top(res, i)["calls"].([]any)[0].(map[string]any)["from"] = "0x00000000000000000000000000000000000000cc"
			return res
		}, "but its parent runs as"},
		{"child type", func(res []any) any {
			i := firstWithCalls(res)
			top(res, i)["calls"].([]any)[0].(map[string]any)["type"] = "JUMP"
			return res
		}, "has type"},
		{"traced transaction failed", func(res []any) any {
			res[2] = map[string]any{"txHash": res[2].(map[string]any)["txHash"], "error": "tracing failed"}
			return res
		}, "could not trace transaction 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := &traceProxy{upstream: url, edit: c.edit}
			hs := httptest.NewServer(p)
			defer hs.Close()
			opts := quick(hs.URL)
			opts.Traces, opts.MaxRetries = true, 2
			src := open(t, opts)
			bs, err := src.Blocks(context.Background(), 5, 7)
			if bs != nil {
				t.Fatal("blocks returned with an error")
			}
			mustBlockError(t, err, 5, c.reason)
			if p.edits < 3 {
				t.Errorf("%d edited answers: the lie was not retried", p.edits)
			}
		})
	}

	t.Run("too large", func(t *testing.T) {
		pad := strings.Repeat("ab", 1<<20)
		p := &traceProxy{upstream: url, edit: func(res []any) any {
			top(res, 0)["output"] = "0x" + pad
			return res
		}}
		hs := httptest.NewServer(p)
		defer hs.Close()
		opts := quick(hs.URL)
		opts.Traces, opts.MaxResponseSize = true, 1<<20
		src := open(t, opts)
		_, err := src.Blocks(context.Background(), 5, 5)
		var tl *ResponseTooLargeError
		if !errors.As(err, &tl) {
			t.Fatalf("want a ResponseTooLargeError, got %v", err)
		}
	})
}

// A node that serves neither trace method is refused by New with an error
// naming both methods and the node; without Traces it is used as before.
func TestNoTraceMethod(t *testing.T) {
	_, url := serve(t, replay.Options{})
	opts := quick(url)
	opts.Traces = true
	_, err := New(context.Background(), opts)
	if !errors.Is(err, ErrNoTraces) || !strings.Contains(err.Error(), "debug_traceBlockByHash") ||
		!strings.Contains(err.Error(), "trace_block") || !strings.Contains(err.Error(), redact(url)) {
		t.Fatalf("want ErrNoTraces naming both methods and the node, got %v", err)
	}
	t.Log(err)
	opts.Traces = false
	open(t, opts)
}
