package replay

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// post sends a raw JSON-RPC body and returns the raw answer.
func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

type answer struct {
	ID     int             `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code int `json:"code"`
	} `json:"error"`
}

func batch(t *testing.T, url, body string) []answer {
	t.Helper()
	code, raw := post(t, url, body)
	if code != 200 {
		t.Fatalf("status %d: %s", code, raw)
	}
	var as []answer
	if err := json.Unmarshal([]byte(raw), &as); err != nil {
		t.Fatalf("%v: %.200s", err, raw)
	}
	return as
}

func TestRPCSurface(t *testing.T) {
	s := New(Options{ChainID: 5, SafeLag: 2, FinalizedLag: 5})
	if err := s.Generate(GenOptions{From: 10, Count: 10, Seed: 3, TxPerBlock: 4}); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	defer hs.Close()

	as := batch(t, hs.URL, `[
		{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]},
		{"jsonrpc":"2.0","id":2,"method":"eth_blockNumber","params":[]},
		{"jsonrpc":"2.0","id":3,"method":"eth_syncing","params":[]},
		{"jsonrpc":"2.0","id":4,"method":"eth_getBlockByNumber","params":["safe",false]},
		{"jsonrpc":"2.0","id":5,"method":"eth_getBlockByNumber","params":["finalized",false]},
		{"jsonrpc":"2.0","id":6,"method":"eth_getBlockByNumber","params":["0x20",true]},
		{"jsonrpc":"2.0","id":7,"method":"eth_nope","params":[]},
		{"jsonrpc":"2.0","id":8,"method":"eth_getBlockReceipts","params":["latest"]}
	]`)
	if len(as) != 8 {
		t.Fatalf("%d answers", len(as))
	}
	want := map[int]string{1: `"0x5"`, 2: `"0x13"`, 3: `false`, 6: `null`}
	for id, w := range want {
		if string(as[id-1].Result) != w {
			t.Errorf("answer %d: %s, want %s", id, as[id-1].Result, w)
		}
	}
	for id, n := range map[int]string{4: "0x11", 5: "0xe"} {
		var h struct{ Number string }
		json.Unmarshal(as[id-1].Result, &h)
		if h.Number != n {
			t.Errorf("tag answer %d: block %s, want %s", id, h.Number, n)
		}
	}
	if as[6].Error == nil || as[6].Error.Code != -32601 {
		t.Errorf("unknown method: %+v", as[6])
	}
	var rs []struct{ TransactionHash string }
	if err := json.Unmarshal(as[7].Result, &rs); err != nil || len(rs) == 0 {
		t.Fatalf("latest receipts: %v %s", err, as[7].Result)
	}

	// A single call, and a receipt looked up by transaction hash.
	_, raw := post(t, hs.URL, `{"jsonrpc":"2.0","id":"x","method":"eth_getTransactionReceipt","params":["`+rs[0].TransactionHash+`"]}`)
	if !strings.Contains(raw, `"id":"x"`) || !strings.Contains(raw, rs[0].TransactionHash) {
		t.Fatalf("receipt by hash: %.300s", raw)
	}

	// The head can be lowered: blocks above it are null, as on a lagging node.
	s.SetHead(12)
	as = batch(t, hs.URL, `[{"jsonrpc":"2.0","id":1,"method":"eth_getBlockByNumber","params":["0xd",false]},{"jsonrpc":"2.0","id":2,"method":"eth_blockNumber"}]`)
	if string(as[0].Result) != "null" || string(as[1].Result) != `"0xc"` {
		t.Fatalf("lowered head: %s %s", as[0].Result, as[1].Result)
	}

	if code, _ := post(t, hs.URL, `{not json`); code != 200 {
		t.Fatalf("garbage: status %d, want a JSON-RPC parse error", code)
	}
}

// Regenerating from a block replaces the chain from there (a reorg) and
// links to the block before.
func TestRegenerateIsReorg(t *testing.T) {
	s := New(Options{})
	s.Generate(GenOptions{From: 1, Count: 20, Seed: 1, TxPerBlock: 3})
	old, _, _ := s.BlockJSON(12)
	s.Generate(GenOptions{From: 11, Count: 15, Seed: 2, TxPerBlock: 3})
	if s.Head() != 25 {
		t.Fatalf("head %d after regenerating 11-25", s.Head())
	}
	now, _, _ := s.BlockJSON(12)
	if bytes.Equal(old, now) {
		t.Fatal("block 12 unchanged after reorg")
	}
	var b10, b11 struct{ Hash, ParentHash string }
	raw10, _, _ := s.BlockJSON(10)
	raw11, _, _ := s.BlockJSON(11)
	json.Unmarshal(raw10, &b10)
	json.Unmarshal(raw11, &b11)
	if b11.ParentHash != b10.Hash {
		t.Fatal("new branch does not link to the old chain")
	}
}

// Faults fire as many times as asked, on the methods and blocks asked.
func TestFaultTargeting(t *testing.T) {
	s := New(Options{})
	s.Generate(GenOptions{From: 1, Count: 3, Seed: 1, TxPerBlock: 3})
	s.AddFault(Fault{Kind: FaultStatus, Status: 429, Method: "eth_getBlockReceipts", Blocks: []uint64{2}, Times: 2})
	hs := httptest.NewServer(s.Handler())
	defer hs.Close()
	other := `{"jsonrpc":"2.0","id":1,"method":"eth_getBlockReceipts","params":["0x1"]}`
	target := `{"jsonrpc":"2.0","id":1,"method":"eth_getBlockReceipts","params":["0x2"]}`
	for i, c := range []struct {
		body string
		code int
	}{{other, 200}, {target, 429}, {target, 429}, {target, 200}} {
		if code, _ := post(t, hs.URL, c.body); code != c.code {
			t.Fatalf("request %d: status %d, want %d", i, code, c.code)
		}
	}
}
