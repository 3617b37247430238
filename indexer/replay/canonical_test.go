package replay

import (
	"encoding/json"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/trie"
)

// Generated blocks are canonical, checked with go-ethereum's own JSON
// decoding (independent of ethidx's decoder and of the generator's
// encoder): each transaction hashes to its "hash", the roots and blooms
// are those of what is served, the block hash is the keccak of the header,
// and each block links to its parent's real hash. A reorg branch links to
// the block it forks from.
func TestGeneratedIsCanonical(t *testing.T) {
	s := New(Options{})
	if err := s.Generate(GenOptions{From: 100, Count: 6, Seed: 2, TxPerBlock: 80}); err != nil {
		t.Fatal(err)
	}
	check := func(n uint64) common.Hash {
		t.Helper()
		raw, rraw, ok := s.BlockJSON(n)
		if !ok {
			t.Fatalf("block %d not served", n)
		}
		var h types.Header
		if err := json.Unmarshal(raw, &h); err != nil {
			t.Fatal(err)
		}
		var body struct {
			Hash         common.Hash          `json:"hash"`
			Transactions []*types.Transaction `json:"transactions"`
			Withdrawals  []*types.Withdrawal  `json:"withdrawals"`
		}
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatal(err)
		}
		var rs []*types.Receipt
		if err := json.Unmarshal(rraw, &rs); err != nil {
			t.Fatal(err)
		}
		if h.Hash() != body.Hash {
			t.Fatalf("block %d: header hashes to %s, served as %s", n, h.Hash(), body.Hash)
		}
		if got := types.DeriveSha(types.Transactions(body.Transactions), trie.NewStackTrie(nil)); got != h.TxHash {
			t.Fatalf("block %d: transactions root %s, header %s", n, got, h.TxHash)
		}
		for i, r := range rs {
			if r.TxHash != body.Transactions[i].Hash() {
				t.Fatalf("block %d receipt %d: for %s, transaction hashes to %s", n, i, r.TxHash, body.Transactions[i].Hash())
			}
			if types.CreateBloom(r) != r.Bloom {
				t.Fatalf("block %d receipt %d: bloom is not its logs'", n, i)
			}
		}
		if got := types.DeriveSha(types.Receipts(rs), trie.NewStackTrie(nil)); got != h.ReceiptHash {
			t.Fatalf("block %d: receipts root %s, header %s", n, got, h.ReceiptHash)
		}
		if types.MergeBloom(rs) != h.Bloom {
			t.Fatalf("block %d: header bloom is not its receipts'", n)
		}
		if got := types.DeriveSha(types.Withdrawals(body.Withdrawals), trie.NewStackTrie(nil)); h.WithdrawalsHash == nil || got != *h.WithdrawalsHash {
			t.Fatalf("block %d: withdrawals root %s, header %v", n, got, h.WithdrawalsHash)
		}
		return h.ParentHash
	}
	// Served out of order: the block hash chain is built on demand.
	for _, n := range []uint64{104, 101, 105, 100, 103, 102} {
		parent := check(n)
		if n > 100 {
			if prev, _, _ := s.BlockJSON(n - 1); parent != hashOf(t, prev) {
				t.Fatalf("block %d does not link to block %d", n, n-1)
			}
		}
	}
	if err := s.Generate(GenOptions{From: 103, Count: 3, Seed: 9, TxPerBlock: 20}); err != nil {
		t.Fatal(err)
	}
	if parent := check(103); parent != hashOf(t, mustBlock(t, s, 102)) {
		t.Fatal("the reorg branch does not link to block 102")
	}
}

func mustBlock(t *testing.T, s *Server, n uint64) []byte {
	b, _, ok := s.BlockJSON(n)
	if !ok {
		t.Fatalf("block %d not served", n)
	}
	return b
}

func hashOf(t *testing.T, raw []byte) common.Hash {
	var b struct {
		Hash common.Hash `json:"hash"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatal(err)
	}
	return b.Hash
}
