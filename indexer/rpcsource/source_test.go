package rpcsource

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/replay"
	"github.com/ethidx/ethidx/internal/fixtures"
)

// serve starts a replay server holding the mainnet fixtures.
func serve(t testing.TB, opts replay.Options) (*replay.Server, string) {
	t.Helper()
	srv := replay.New(opts)
	for _, set := range []string{fixtures.Mainnet, fixtures.MainnetExtra} {
		if _, err := srv.LoadFixtures(fixtures.Dir(t, set)); err != nil {
			t.Fatal(err)
		}
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return srv, hs.URL
}

// quick are options that make retries fast enough for tests.
func quick(urls ...string) Options {
	return Options{URLs: urls, RetryBase: time.Millisecond, RetryMax: 5 * time.Millisecond, Timeout: 5 * time.Second}
}

func open(t testing.TB, opts Options) *Source {
	t.Helper()
	src, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(src.Close)
	return src
}

// TestFixtures fetches every mainnet fixture through the replay server and
// compares the rows with the reference decode of the same JSON.
func TestFixtures(t *testing.T) {
	for _, noBlockReceipts := range []bool{false, true} {
		t.Run(fmt.Sprintf("noBlockReceipts=%v", noBlockReceipts), func(t *testing.T) {
			srv, url := serve(t, replay.Options{NoBlockReceipts: noBlockReceipts})
			src := open(t, quick(url))
			for _, f := range loadFixtures(t) {
				got, err := src.Blocks(context.Background(), f.number, f.number)
				if err != nil {
					t.Fatalf("block %d: %v", f.number, err)
				}
				want, err := refDecode(f.block, f.receipts)
				if err != nil {
					t.Fatal(err)
				}
				compareBlocks(t, got[0], want)
			}
			if noBlockReceipts {
				if n := srv.Calls("eth_getBlockReceipts"); n != 1 {
					t.Errorf("eth_getBlockReceipts called %d times, want one probe", n)
				}
				if srv.Calls("eth_getTransactionReceipt") == 0 {
					t.Error("no eth_getTransactionReceipt calls in fallback mode")
				}
			}
		})
	}
}

// compareBlocks compares rows through their JSON encoding, which shows big
// integers by value and nil pointers as null, and reports the first
// differing row.
func compareBlocks(t *testing.T, got, want *indexer.Block) {
	t.Helper()
	js := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if js(got) == js(want) {
		return
	}
	if len(got.Transactions) != len(want.Transactions) {
		t.Fatalf("block %d: %d transactions, want %d", want.Number, len(got.Transactions), len(want.Transactions))
	}
	for i := range want.Transactions {
		if g, w := js(got.Transactions[i]), js(want.Transactions[i]); g != w {
			t.Fatalf("block %d tx %d:\n got %s\nwant %s", want.Number, i, g, w)
		}
	}
	if len(got.Logs) != len(want.Logs) {
		t.Fatalf("block %d: %d logs, want %d", want.Number, len(got.Logs), len(want.Logs))
	}
	for i := range want.Logs {
		if g, w := js(got.Logs[i]), js(want.Logs[i]); g != w {
			t.Fatalf("block %d log %d:\n got %s\nwant %s", want.Number, i, g, w)
		}
	}
	g, w := *got, *want
	g.Transactions, g.Logs, w.Transactions, w.Logs = nil, nil, nil, nil
	t.Fatalf("block %d:\n got %s\nwant %s", want.Number, js(g), js(w))
}

// TestManifest checks the rows against the facts MANIFEST.json states
// about each fixture, a third opinion independent of both decoders.
func TestManifest(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(fixtures.Dir(t, fixtures.Mainnet), "MANIFEST.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest []struct {
		Block       uint64   `json:"block"`
		Hash        string   `json:"hash"`
		Txs         int      `json:"txs"`
		TxTypes     []string `json:"tx_types"`
		Creations   int      `json:"contract_creations"`
		Failed      int      `json:"failed"`
		Withdrawals int      `json:"withdrawals"`
		BlobGasUsed *string  `json:"blob_gas_used"`
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	_, url := serve(t, replay.Options{})
	src := open(t, quick(url))
	for _, m := range manifest {
		bs, err := src.Blocks(context.Background(), m.Block, m.Block)
		if err != nil {
			t.Fatal(err)
		}
		b := bs[0]
		types := map[string]bool{}
		creations, failed := 0, 0
		for _, tx := range b.Transactions {
			types[fmt.Sprintf("0x%x", tx.Type)] = true
			if tx.To == nil {
				creations++
				if succeeded := tx.Status == nil || *tx.Status == 1; succeeded != (tx.ContractAddress != nil) {
					t.Errorf("block %d tx %d: creation (succeeded %v) with contract address %v", m.Block, tx.Index, succeeded, tx.ContractAddress)
				}
			}
			if tx.Status != nil && *tx.Status == 0 {
				failed++
			}
		}
		if b.Hash.Hex() != m.Hash || len(b.Transactions) != m.Txs || creations != m.Creations ||
			failed != m.Failed || len(b.Withdrawals) != m.Withdrawals || len(types) != len(m.TxTypes) {
			t.Errorf("block %d: hash %s txs %d creations %d failed %d withdrawals %d types %v; manifest %+v",
				m.Block, b.Hash.Hex(), len(b.Transactions), creations, failed, len(b.Withdrawals), types, m)
		}
		for _, ty := range m.TxTypes {
			if !types[ty] {
				t.Errorf("block %d: no tx of type %s", m.Block, ty)
			}
		}
		switch {
		case m.BlobGasUsed == nil && b.BlobGasUsed != nil:
			t.Errorf("block %d: blob gas %d, want none", m.Block, *b.BlobGasUsed)
		case m.BlobGasUsed != nil && (b.BlobGasUsed == nil || fmt.Sprintf("0x%x", *b.BlobGasUsed) != *m.BlobGasUsed):
			t.Errorf("block %d: blob gas %v, want %s", m.Block, b.BlobGasUsed, *m.BlobGasUsed)
		}
		if m.Block == 468179 && b.Transactions[0].Status != nil {
			t.Errorf("Frontier receipt has a status")
		}
	}
}

// TestConsecutiveFixtures reads the two linked Dencun blocks as one range.
func TestConsecutiveFixtures(t *testing.T) {
	_, url := serve(t, replay.Options{})
	src := open(t, quick(url))
	bs, err := src.Blocks(context.Background(), 19433902, 19433903)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 2 || bs[1].ParentHash != bs[0].Hash {
		t.Fatalf("got %d blocks, link ok=%v", len(bs), len(bs) == 2 && bs[1].ParentHash == bs[0].Hash)
	}
}

func TestHeadAndHeader(t *testing.T) {
	srv, url := serve(t, replay.Options{SafeLag: 1, FinalizedLag: 3_000_000})
	src := open(t, quick(url))
	ctx := context.Background()
	id, err := src.ChainID(ctx)
	if err != nil || id != 1 {
		t.Fatalf("chain id %d, %v", id, err)
	}
	for f, want := range map[indexer.Finality]uint64{indexer.Latest: 22869878, indexer.Safe: 22431084, indexer.Finalized: 19433903} {
		h, err := src.Head(ctx, f)
		if err != nil || h.Number != want {
			t.Errorf("%s head %d, %v; want %d", f, h.Number, err, want)
		}
	}
	h, err := src.Header(ctx, 19433903)
	if err != nil {
		t.Fatal(err)
	}
	if h.Hash.Hex() != "0xb39d99cc81a35570c4d5765d9273cb282e424324cd5aae059cc00de7d59afb69" || h.ParentHash.Hex() != "0x8ec7bd37afa247fde16aa96317c77055b7a633aa8dc9ae27d0d5c776b58fef04" {
		t.Fatalf("header %+v", h)
	}
	srv.SetHead(19433902)
	if _, err := src.Header(ctx, 19433903); err == nil {
		t.Fatal("header above the head: no error")
	}
}

func TestChainIDMismatch(t *testing.T) {
	_, url := serve(t, replay.Options{ChainID: 5})
	_, err := New(context.Background(), Options{URLs: []string{url}, ChainID: 1})
	if err == nil {
		t.Fatal("no error for chain 5 when asking for chain 1")
	}
	t.Log(err)
}
