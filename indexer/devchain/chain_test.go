package devchain

import (
	"bytes"
	"context"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto/kzg4844"
	"github.com/ethereum/go-ethereum/rpc"
)

func newChain(t *testing.T, cfg Config) *Chain {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

func mine(t *testing.T, c *Chain, n int) {
	t.Helper()
	for range n {
		if _, err := c.Mine(t.Context()); err != nil {
			t.Fatalf("Mine: %v", err)
		}
	}
}

func TestTrafficMix(t *testing.T) {
	c := newChain(t, Config{Seed: 7})
	mine(t, c, 30)
	s, err := c.Stats(t.Context(), 1, 30)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", s)
	if s.Blocks != 30 || s.Txs < 30*20 || s.Txs > 30*60 {
		t.Errorf("%d blocks with %d transactions, want 30 blocks of 20 to 60", s.Blocks, s.Txs)
	}
	for typ, n := range s.TxsByType {
		if n == 0 {
			t.Errorf("no transactions of type %d", typ)
		}
	}
	if s.Failed == 0 || s.ContractCreations == 0 || s.TransferLogs == 0 || s.Withdrawals != 30*withdrawalsPerBlock {
		t.Errorf("want failed txs, creations, transfer logs and 16 withdrawals a block: %+v", s)
	}
	// Fresh recipients make new addresses appear late in the chain too.
	late, err := c.Stats(t.Context(), 25, 30)
	if err != nil {
		t.Fatal(err)
	}
	if late.NewAddresses < 6 {
		t.Errorf("blocks 25-30 have %d new addresses, want several per block", late.NewAddresses)
	}

	ctx := t.Context()
	cl := c.Client()
	var sawCreation, sawDelegatedLog, sawBlobGas bool
	for n := int64(1); n <= 30; n++ {
		block, err := cl.BlockByNumber(ctx, big.NewInt(n))
		if err != nil {
			t.Fatal(err)
		}
		for _, tx := range block.Transactions() {
			r, err := cl.TransactionReceipt(ctx, tx.Hash())
			if err != nil {
				t.Fatalf("receipt of %s: %v", tx.Hash(), err)
			}
			switch {
			case tx.To() == nil:
				code, err := cl.CodeAt(ctx, r.ContractAddress, nil)
				if err != nil {
					t.Fatal(err)
				}
				if r.Status == types.ReceiptStatusSuccessful && bytes.Equal(code, tokenRuntime) {
					sawCreation = true
				}
			case tx.Type() == types.SetCodeTxType && r.Status == types.ReceiptStatusSuccessful:
				for _, l := range r.Logs {
					sawDelegatedLog = sawDelegatedLog || l.Address == *tx.To()
				}
			case tx.Type() == types.BlobTxType:
				sawBlobGas = sawBlobGas || (r.BlobGasUsed > 0 && len(tx.BlobHashes()) > 0)
			}
		}
	}
	if !sawCreation || !sawDelegatedLog || !sawBlobGas {
		t.Errorf("want a deployed token (%v), a log emitted by a 7702-delegated EOA (%v), blob gas used (%v)",
			sawCreation, sawDelegatedLog, sawBlobGas)
	}
}

func TestFinality(t *testing.T) {
	c := newChain(t, Config{Seed: 1, MinTxs: 1, MaxTxs: 3})
	tag := func(n rpc.BlockNumber) uint64 {
		h, err := c.Client().HeaderByNumber(t.Context(), big.NewInt(n.Int64()))
		if err != nil {
			t.Fatalf("header %v: %v", n, err)
		}
		return h.Number.Uint64()
	}
	if f, s := tag(rpc.FinalizedBlockNumber), tag(rpc.SafeBlockNumber); f != 0 || s != 0 {
		t.Errorf("at genesis finalized %d safe %d, want 0 and 0", f, s)
	}
	mine(t, c, 70)
	if f, s, l := tag(rpc.FinalizedBlockNumber), tag(rpc.SafeBlockNumber), tag(rpc.LatestBlockNumber); f != 6 || s != 38 || l != 70 {
		t.Errorf("finalized %d safe %d latest %d, want 6 38 70", f, s, l)
	}
}

func TestReorg(t *testing.T) {
	c := newChain(t, Config{Seed: 2, MinTxs: 12, MaxTxs: 16})
	mine(t, c, 70)
	ctx := t.Context()
	for _, depth := range []int{1, 2, 7, 64} {
		head := c.Head().Number.Uint64()
		fork := head - uint64(depth)
		old := canonicalHashes(t, c, fork, head)
		oldTx := c.bc.GetBlockByNumber(head).Transactions()[0].Hash()

		if err := c.Reorg(ctx, depth); err != nil {
			t.Fatalf("Reorg(%d): %v", depth, err)
		}
		if got := c.Head().Number.Uint64(); got != head+1 {
			t.Fatalf("depth %d: head %d after reorg, want %d", depth, got, head+1)
		}
		now := canonicalHashes(t, c, fork, head+1)
		if now[0] != old[0] {
			t.Errorf("depth %d: fork block %d changed", depth, fork)
		}
		for i := 1; i < len(old); i++ {
			if now[i] == old[i] {
				t.Errorf("depth %d: block %d kept hash %s", depth, fork+uint64(i), now[i])
			}
		}
		checkContinuity(t, c, fork-1, head+1)
		if _, err := c.Client().TransactionReceipt(ctx, oldTx); !errors.Is(err, ethereum.NotFound) {
			t.Errorf("depth %d: receipt of a replaced transaction: err %v, want not found", depth, err)
		}
		if _, err := c.Stats(ctx, fork, head+1); err != nil {
			t.Errorf("depth %d: new branch unreadable: %v", depth, err)
		}
	}
	if err := c.Reorg(ctx, 65); !errors.Is(err, ErrTooDeep) {
		t.Errorf("Reorg(65) = %v, want ErrTooDeep", err)
	}
	mine(t, c, 2)
	checkContinuity(t, c, 0, c.Head().Number.Uint64())
}

// canonicalHashes reads hashes through RPC, as an indexer would see them.
func canonicalHashes(t *testing.T, c *Chain, from, to uint64) []common.Hash {
	t.Helper()
	var hashes []common.Hash
	for n := from; n <= to; n++ {
		h, err := c.Client().HeaderByNumber(t.Context(), new(big.Int).SetUint64(n))
		if err != nil {
			t.Fatalf("header %d: %v", n, err)
		}
		hashes = append(hashes, h.Hash())
	}
	return hashes
}

func checkContinuity(t *testing.T, c *Chain, from, to uint64) {
	t.Helper()
	hashes := canonicalHashes(t, c, from, to)
	for i := 1; i < len(hashes); i++ {
		h, err := c.Client().HeaderByHash(t.Context(), hashes[i])
		if err != nil {
			t.Fatal(err)
		}
		if h.ParentHash != hashes[i-1] {
			t.Errorf("block %d: parent %s, canonical %d is %s", from+uint64(i), h.ParentHash, from+uint64(i)-1, hashes[i-1])
		}
	}
}

func TestDeterministic(t *testing.T) {
	cfg := Config{Seed: 3, GenesisTime: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), BlockInterval: 12 * time.Second}
	a, b := newChain(t, cfg), newChain(t, cfg)
	for _, c := range []*Chain{a, b} {
		mine(t, c, 4)
		if err := c.Reorg(t.Context(), 2); err != nil {
			t.Fatal(err)
		}
	}
	if a.Head().Hash() != b.Head().Hash() {
		t.Errorf("same seed and clock, different heads %s and %s", a.Head().Hash(), b.Head().Hash())
	}
	if got, want := a.Head().Time, uint64(cfg.GenesisTime.Unix())+5*12; got != want {
		t.Errorf("head time %d, want %d", got, want)
	}
	other := newChain(t, Config{Seed: 4, GenesisTime: cfg.GenesisTime, BlockInterval: cfg.BlockInterval})
	mine(t, other, 5)
	if other.Head().Hash() == a.Head().Hash() {
		t.Error("different seeds gave the same chain")
	}
}

func TestBlobConstants(t *testing.T) {
	for i := range blobCommitments {
		c := kzg4844.Commitment(hexutil.MustDecode(blobCommitments[i]))
		p := kzg4844.Proof(hexutil.MustDecode(blobProofs[i]))
		if err := kzg4844.VerifyBlobProof(fixedBlob(i), c, p); err != nil {
			t.Errorf("blob %d: %v", i, err)
		}
	}
}

func TestTokenTopics(t *testing.T) {
	if want := common.HexToHash("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"); transferTopic != want {
		t.Errorf("Transfer topic %s, want %s", transferTopic, want)
	}
	if got := hexutil.Encode(transferSelector); got != "0xa9059cbb" {
		t.Errorf("transfer selector %s", got)
	}
}

func TestRun(t *testing.T) {
	c := newChain(t, Config{Seed: 10, MinTxs: 1, MaxTxs: 2})
	// Run mines on its ticker until its context ends: here once the head
	// reaches 3, or after a minute, which only a Run that stopped mining
	// takes.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	go func() {
		for ctx.Err() == nil && c.Head().Number.Uint64() < 3 {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	if err := c.Run(ctx, 20*time.Millisecond); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if n := c.Head().Number.Uint64(); n < 3 {
		t.Errorf("head %d after a minute of 20ms blocks", n)
	}
	if err := c.Run(t.Context(), 0); err == nil {
		t.Error("Run with a zero block time succeeded")
	}
}

func TestReorgLimit(t *testing.T) {
	c := newChain(t, Config{Seed: 12, MinTxs: 1, MaxTxs: 2, FinalizedDepth: 200})
	mine(t, c, MaxReorgDepth+2)
	if err := c.Reorg(t.Context(), MaxReorgDepth); err != nil {
		t.Fatalf("Reorg(%d): %v", MaxReorgDepth, err)
	}
	if err := c.Reorg(t.Context(), MaxReorgDepth+1); !errors.Is(err, ErrTooDeep) {
		t.Errorf("Reorg(%d) = %v, want ErrTooDeep", MaxReorgDepth+1, err)
	}
	if err := c.Reorg(t.Context(), 0); err == nil {
		t.Error("Reorg(0) succeeded")
	}
}
