package replay

import (
	"encoding/json"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

type genBlock struct {
	Number      hexutil.Uint64 `json:"number"`
	Hash        common.Hash    `json:"hash"`
	ParentHash  common.Hash    `json:"parentHash"`
	Timestamp   hexutil.Uint64 `json:"timestamp"`
	GasUsed     hexutil.Uint64 `json:"gasUsed"`
	BlobGasUsed hexutil.Uint64 `json:"blobGasUsed"`
	Withdrawals []struct {
		Index hexutil.Uint64 `json:"index"`
	} `json:"withdrawals"`
	Transactions []struct {
		Hash       common.Hash     `json:"hash"`
		Type       hexutil.Uint64  `json:"type"`
		From       common.Address  `json:"from"`
		To         *common.Address `json:"to"`
		Value      *hexutil.Big    `json:"value"`
		BlobHashes []common.Hash   `json:"blobVersionedHashes"`
		Auths      []any           `json:"authorizationList"`
		AccessList []any           `json:"accessList"`
	} `json:"transactions"`
}

type genReceipt struct {
	TxHash          common.Hash     `json:"transactionHash"`
	Status          hexutil.Uint64  `json:"status"`
	GasUsed         hexutil.Uint64  `json:"gasUsed"`
	Cumulative      hexutil.Uint64  `json:"cumulativeGasUsed"`
	ContractAddress *common.Address `json:"contractAddress"`
	BlobGasUsed     *hexutil.Uint64 `json:"blobGasUsed"`
	Logs            []struct {
		LogIndex hexutil.Uint64 `json:"logIndex"`
	} `json:"logs"`
}

// Generated blocks look like mainnet: every transaction type, creations,
// failures, blobs, logs at mainnet density, withdrawals, a linked chain
// 12 s apart, many distinct addresses, and receipts that agree.
func TestGeneratedShape(t *testing.T) {
	s := New(Options{})
	const from, count = 1000, 40
	if err := s.Generate(GenOptions{From: from, Count: count, Seed: 1, StartTime: 1_700_000_000}); err != nil {
		t.Fatal(err)
	}
	types := map[uint64]int{}
	var txs, logs, creations, failed, blobs, bigValues int
	addrs := map[common.Address]bool{}
	var prev *genBlock
	for n := uint64(from); n < from+count; n++ {
		raw, rraw, _ := s.BlockJSON(n)
		var b genBlock
		var rs []genReceipt
		if err := json.Unmarshal(raw, &b); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(rraw, &rs); err != nil {
			t.Fatal(err)
		}
		if uint64(b.Number) != n || uint64(b.Timestamp) != 1_700_000_000+12*(n-from) {
			t.Fatalf("block %d: number %d timestamp %d", n, b.Number, b.Timestamp)
		}
		if prev != nil && b.ParentHash != prev.Hash {
			t.Fatalf("block %d does not link to %d", n, n-1)
		}
		if len(rs) != len(b.Transactions) || len(b.Withdrawals) != 16 {
			t.Fatalf("block %d: %d receipts for %d txs, %d withdrawals", n, len(rs), len(b.Transactions), len(b.Withdrawals))
		}
		var cum, blobGas uint64
		blockLogs := logs
		for i, tx := range b.Transactions {
			r := rs[i]
			types[uint64(tx.Type)]++
			addrs[tx.From] = true
			if tx.To != nil {
				addrs[*tx.To] = true
			} else {
				creations++
				if r.ContractAddress == nil {
					t.Fatalf("block %d tx %d: creation without contract address", n, i)
				}
			}
			if r.TxHash != tx.Hash || uint64(r.Cumulative) != cum+uint64(r.GasUsed) {
				t.Fatalf("block %d receipt %d does not match", n, i)
			}
			cum = uint64(r.Cumulative)
			if r.Status == 0 {
				failed++
			}
			if tx.Type == 3 {
				blobs++
				if len(tx.BlobHashes) == 0 || r.BlobGasUsed == nil || uint64(*r.BlobGasUsed) != 131072*uint64(len(tx.BlobHashes)) {
					t.Fatalf("block %d tx %d: bad blob fields", n, i)
				}
				blobGas += uint64(*r.BlobGasUsed)
			}
			if tx.Type == 4 && len(tx.Auths) == 0 {
				t.Fatalf("block %d tx %d: set-code tx without authorizations", n, i)
			}
			if (*tx.Value).ToInt().BitLen() > 64 {
				bigValues++
			}
			for _, l := range r.Logs {
				if uint64(l.LogIndex) != uint64(logs-blockLogs) {
					t.Fatalf("block %d: log index %d, want %d", n, l.LogIndex, logs-blockLogs)
				}
				logs++
			}
			txs++
		}
		if cum != uint64(b.GasUsed) || blobGas != uint64(b.BlobGasUsed) {
			t.Fatalf("block %d: gas %d/%d blob gas %d/%d", n, cum, b.GasUsed, blobGas, b.BlobGasUsed)
		}
		prev = &b
	}
	perTx := float64(logs) / float64(txs)
	t.Logf("%d txs (%.0f/block), types %v, %.2f logs/tx, %d creations, %d failed, %d blob txs, %d values > 2^64, %d addresses",
		txs, float64(txs)/count, types, perTx, creations, failed, blobs, bigValues, len(addrs))
	for ty := uint64(0); ty <= 4; ty++ {
		if types[ty] == 0 {
			t.Errorf("no transaction of type %d", ty)
		}
	}
	if perTx < 2 || perTx > 4 || creations == 0 || failed == 0 || blobs == 0 || bigValues == 0 {
		t.Errorf("not mainnet-shaped")
	}
	if float64(txs)/count < 250 || float64(txs)/count > 350 {
		t.Errorf("%.0f tx/block, want ~300", float64(txs)/count)
	}
	if len(addrs) < txs/2 {
		t.Errorf("only %d distinct addresses in %d txs", len(addrs), txs)
	}
}

func TestGenerateDeterministic(t *testing.T) {
	a, b := New(Options{}), New(Options{})
	for _, s := range []*Server{a, b} {
		if err := s.Generate(GenOptions{From: 1, Count: 3, Seed: 4}); err != nil {
			t.Fatal(err)
		}
	}
	x, xr, _ := a.BlockJSON(2)
	y, yr, _ := b.BlockJSON(2)
	if string(x) != string(y) || string(xr) != string(yr) {
		t.Fatal("same seed, different blocks")
	}
}

// TxPerBlockEnd ramps activity, so a synthetic second month grows.
func TestGenerateRamp(t *testing.T) {
	s := New(Options{})
	if err := s.Generate(GenOptions{From: 1, Count: 1000, TxPerBlock: 100, TxPerBlockEnd: 200, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	g := s.gens[0]
	first, last := 0, 0
	for n := uint64(1); n <= 50; n++ {
		first += g.txCount(n)
		last += g.txCount(1001 - n)
	}
	if last < first*17/10 {
		t.Fatalf("ramp 100->200: first 50 blocks %d txs, last 50 %d", first, last)
	}
}

func BenchmarkGenerate(b *testing.B) {
	s := New(Options{})
	if err := s.Generate(GenOptions{From: 1, Count: 1 << 30, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	g := s.gens[0]
	b.ReportAllocs()
	n, bytes := uint64(0), 0
	for b.Loop() {
		n++
		e := g.encode(n)
		bytes += len(e.full) + len(e.receiptsAll)
	}
	b.ReportMetric(float64(bytes)/float64(n), "B/block")
}
