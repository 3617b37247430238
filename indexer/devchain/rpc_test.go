package devchain

import (
	"context"
	"encoding/json"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/ethereum/go-ethereum/trie"
)

func serve(t *testing.T, c *Chain) string {
	t.Helper()
	addr, err := c.ServeRPC(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatalf("ServeRPC: %v", err)
	}
	if strings.HasSuffix(addr, ":0") {
		t.Fatalf("ServeRPC returned %s, want the bound port", addr)
	}
	return addr
}

func TestRPCOverHTTP(t *testing.T) {
	c := newChain(t, Config{Seed: 5})
	mine(t, c, 10)
	addr := serve(t, c)
	ctx := t.Context()
	cl, err := ethclient.DialContext(ctx, "http://"+addr)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()

	if id, err := cl.ChainID(ctx); err != nil || id.Uint64() != 1337 {
		t.Fatalf("chain id %v, %v; want 1337", id, err)
	}
	if n, err := cl.BlockNumber(ctx); err != nil || n != 10 {
		t.Fatalf("block number %d, %v; want 10", n, err)
	}
	for n := int64(1); n <= 10; n++ {
		block, err := cl.BlockByNumber(ctx, big.NewInt(n))
		if err != nil {
			t.Fatal(err)
		}
		receipts, err := cl.BlockReceipts(ctx, rpc.BlockNumberOrHashWithNumber(rpc.BlockNumber(n)))
		if err != nil {
			t.Fatalf("eth_getBlockReceipts(%d): %v", n, err)
		}
		checkReceipts(t, block, receipts)
		// The same receipts by hash, and one by transaction.
		byHash, err := cl.BlockReceipts(ctx, rpc.BlockNumberOrHashWithHash(block.Hash(), true))
		if err != nil || len(byHash) != len(receipts) {
			t.Fatalf("receipts by hash: %d, %v; want %d", len(byHash), err, len(receipts))
		}
		last := block.Transactions()[len(block.Transactions())-1]
		r, err := cl.TransactionReceipt(ctx, last.Hash())
		if err != nil || r.CumulativeGasUsed != block.GasUsed() {
			t.Fatalf("receipt of last tx: %v; cumulative gas %d, block gas %d", err, r.CumulativeGasUsed, block.GasUsed())
		}
	}

	// Tags, through raw JSON as a non-Go client would send them.
	raw, err := rpc.DialContext(ctx, "http://"+addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for tag, want := range map[string]uint64{"latest": 10, "safe": 0, "finalized": 0, "earliest": 0} {
		var h struct{ Number string }
		if err := raw.CallContext(ctx, &h, "eth_getBlockByNumber", tag, false); err != nil {
			t.Fatalf("%s: %v", tag, err)
		}
		if got := mustUint(t, h.Number); got != want {
			t.Errorf("%s block %d, want %d", tag, got, want)
		}
	}

	// A batch, as the backfill sends them.
	batch := []rpc.BatchElem{
		{Method: "eth_getBlockByNumber", Args: []any{"0x5", true}, Result: new(json.RawMessage)},
		{Method: "eth_getBlockReceipts", Args: []any{"0x5"}, Result: new([]*types.Receipt)},
		{Method: "web3_clientVersion", Result: new(string)},
	}
	if err := raw.BatchCallContext(ctx, batch); err != nil {
		t.Fatal(err)
	}
	for _, e := range batch {
		if e.Error != nil {
			t.Errorf("%s: %v", e.Method, e.Error)
		}
	}
	if v := *batch[2].Result.(*string); !strings.HasPrefix(v, "ethidx-devchain/") {
		t.Errorf("client version %q", v)
	}
	// Node-administration namespaces are not served.
	var ignored any
	if err := raw.CallContext(ctx, &ignored, "admin_nodeInfo"); err == nil {
		t.Error("admin_nodeInfo answered; admin must not be exposed")
	}
}

func checkReceipts(t *testing.T, block *types.Block, receipts []*types.Receipt) {
	t.Helper()
	txs := block.Transactions()
	if len(receipts) != len(txs) {
		t.Fatalf("block %d: %d receipts for %d transactions", block.NumberU64(), len(receipts), len(txs))
	}
	if types.DeriveSha(types.Receipts(receipts), trie.NewStackTrie(nil)) != block.ReceiptHash() {
		t.Errorf("block %d: receipts root differs from the header's", block.NumberU64())
	}
	var logIndex uint
	for i, r := range receipts {
		if r.TxHash != txs[i].Hash() || r.BlockHash != block.Hash() || r.BlockNumber.Uint64() != block.NumberU64() || r.TransactionIndex != uint(i) {
			t.Errorf("block %d receipt %d: tx %s block %s/%d index %d", block.NumberU64(), i, r.TxHash, r.BlockHash, r.BlockNumber, r.TransactionIndex)
		}
		if r.Type != txs[i].Type() {
			t.Errorf("block %d receipt %d: type %d, transaction type %d", block.NumberU64(), i, r.Type, txs[i].Type())
		}
		for _, l := range r.Logs {
			if l.Index != logIndex || l.TxHash != r.TxHash || l.BlockHash != block.Hash() {
				t.Errorf("block %d log %d: index %d tx %s block %s", block.NumberU64(), logIndex, l.Index, l.TxHash, l.BlockHash)
			}
			logIndex++
		}
	}
}

func TestRPCWebsocketNewHeads(t *testing.T) {
	c := newChain(t, Config{Seed: 6, MinTxs: 1, MaxTxs: 2})
	addr := serve(t, c)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cl, err := ethclient.DialContext(ctx, "ws://"+addr)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	heads := make(chan *types.Header, 16)
	sub, err := cl.SubscribeNewHead(ctx, heads)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	mine(t, c, 3)
	for want := uint64(1); want <= 3; want++ {
		select {
		case h := <-heads:
			if h.Number.Uint64() != want {
				t.Errorf("newHeads gave block %d, want %d", h.Number.Uint64(), want)
			}
		case err := <-sub.Err():
			t.Fatal(err)
		case <-ctx.Done():
			t.Fatal("no newHeads notification")
		}
	}
}

func TestServeRPCStops(t *testing.T) {
	c := newChain(t, Config{Seed: 8, MinTxs: 1, MaxTxs: 1})
	ctx, cancel := context.WithCancel(t.Context())
	addr, err := c.ServeRPC(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ServeRPC(t.Context(), addr); err == nil {
		t.Error("second ServeRPC on a bound address succeeded")
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Post("http://"+addr, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"}`))
		if err != nil {
			break
		}
		resp.Body.Close()
		if time.Now().After(deadline) {
			t.Fatal("server still answering after its context ended")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func mustUint(t *testing.T, hex string) uint64 {
	t.Helper()
	n, ok := new(big.Int).SetString(strings.TrimPrefix(hex, "0x"), 16)
	if !ok {
		t.Fatalf("bad quantity %q", hex)
	}
	return n.Uint64()
}

// TestControlAPI drives devnet_mine and devnet_reorg over HTTP, as a test
// outside the process would, and checks the reorg replaced the blocks.
func TestControlAPI(t *testing.T) {
	c := newChain(t, Config{Seed: 9})
	mine(t, c, 6)
	addr := serve(t, c)
	ctx := t.Context()
	raw, err := rpc.DialContext(ctx, "http://"+addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	cl := ethclient.NewClient(raw)

	var head string
	if err := raw.CallContext(ctx, &head, "devnet_mine"); err != nil {
		t.Fatalf("devnet_mine: %v", err)
	}
	if got := mustUint(t, head); got != 7 {
		t.Fatalf("devnet_mine returned head %d, want 7", got)
	}
	before := map[int64]common.Hash{}
	for n := int64(4); n <= 7; n++ {
		h, err := cl.HeaderByNumber(ctx, big.NewInt(n))
		if err != nil {
			t.Fatal(err)
		}
		before[n] = h.Hash()
	}
	if err := raw.CallContext(ctx, &head, "devnet_reorg", 3); err != nil {
		t.Fatalf("devnet_reorg: %v", err)
	}
	if got := mustUint(t, head); got != 8 {
		t.Fatalf("devnet_reorg returned head %d, want 8 (depth 3 replaced by 4 blocks)", got)
	}
	for n := int64(4); n <= 7; n++ {
		h, err := cl.HeaderByNumber(ctx, big.NewInt(n))
		if err != nil {
			t.Fatal(err)
		}
		if changed := h.Hash() != before[n]; changed != (n >= 5) {
			t.Errorf("block %d: hash changed %v, want %v", n, changed, n >= 5)
		}
	}
	if err := raw.CallContext(ctx, &head, "devnet_reorg", 0); err == nil {
		t.Error("devnet_reorg(0) succeeded; want an error")
	}
}
