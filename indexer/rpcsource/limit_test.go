package rpcsource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/replay"
)

// hugeNode answers eth_chainId like mainnet and everything else with an
// answer larger than any limit: endless (streamed without a length) or
// declaring a huge Content-Length.
func hugeNode(t *testing.T, endless bool) string {
	t.Helper()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var one struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		if json.Unmarshal(body, &one) == nil && one.Method == "eth_chainId" {
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":"0x1"}`, one.ID)
			return
		}
		if !endless {
			w.Header().Set("Content-Length", "1099511627776")
			w.WriteHeader(200)
			io.WriteString(w, "[")
			return
		}
		io.WriteString(w, `[{"jsonrpc":"2.0","id":0,"result":"`)
		chunk := []byte(strings.Repeat("ab", 32<<10))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	t.Cleanup(hs.Close)
	return hs.URL
}

// TestResponseLimit: an oversized or endless answer fails on its node
// with an error naming it, the call moves to the next URL, and memory
// does not grow with the answer.
func TestResponseLimit(t *testing.T) {
	_, good := serve(t, replay.Options{})
	const limit = 8 << 20
	for _, endless := range []bool{true, false} {
		t.Run(fmt.Sprintf("endless=%v", endless), func(t *testing.T) {
			bad := hugeNode(t, endless)
			opts := quick(bad)
			opts.MaxResponseSize = limit
			opts.MaxRetries = -1
			src := open(t, opts)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := fetchDencun(src)
			runtime.ReadMemStats(&after)
			var tl *ResponseTooLargeError
			if !errors.As(err, &tl) || !strings.Contains(err.Error(), strings.TrimPrefix(bad, "http://")) {
				t.Fatalf("want an error naming the node %s, got %v", bad, err)
			}
			if a := after.TotalAlloc - before.TotalAlloc; a > 8*limit {
				t.Fatalf("reading the answer allocated %d bytes (limit %d)", a, limit)
			}
			// Single calls (go-ethereum's client) are read within it too.
			if _, err := src.Head(context.Background(), indexer.Latest); !errors.As(err, &tl) {
				t.Fatalf("single call: want the response size error, got %v", err)
			}

			// With a good node next, the call fails over to it.
			opts = quick(bad, good)
			opts.MaxResponseSize = limit
			opts.ChainID = 1
			src = open(t, opts)
			blocks, err := fetchDencun(src)
			if err != nil || len(blocks) != 2 {
				t.Fatalf("failover: %d blocks, %v", len(blocks), err)
			}
		})
	}
	if got := DefaultMaxResponseSize(20); got != 80<<20 {
		t.Fatalf("default for batches of 20: %d", got)
	}
}
