package rpcsource

import (
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/replay"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// summary is a stable one-line digest of a block's rows: counts, totals
// and a hash of every row, so any change in decoding shows in review.
func summary(b *indexer.Block) string {
	var creations, failed, noStatus int
	types := map[uint8]int{}
	value, fees := new(big.Int), new(big.Int)
	senders := map[[20]byte]bool{}
	for _, t := range b.Transactions {
		types[t.Type]++
		if t.To == nil {
			creations++
		}
		switch {
		case t.Status == nil:
			noStatus++
		case *t.Status == 0:
			failed++
		}
		value.Add(value, t.Value)
		fees.Add(fees, new(big.Int).Mul(t.EffectiveGasPrice, new(big.Int).SetUint64(t.GasUsed)))
		senders[t.From] = true
	}
	rows, _ := json.Marshal(b)
	return fmt.Sprintf("%d %s txs=%d logs=%d withdrawals=%d types=%v creations=%d failed=%d nostatus=%d senders=%d value=%s fees=%s rows=%x",
		b.Number, b.Hash.Hex()[:10], len(b.Transactions), len(b.Logs), len(b.Withdrawals), types,
		creations, failed, noStatus, len(senders), value, fees, sha256.Sum256(rows))
}

func TestGolden(t *testing.T) {
	var lines []string
	for _, f := range loadFixtures(t) {
		b, err := DecodeBlock(f.block, f.receipts, ProofRoots)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, summary(b))
	}
	got := strings.Join(lines, "\n") + "\n"
	path := filepath.Join("testdata", "fixtures.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Fatalf("summaries changed (go test -update if intended):\n got:\n%s\nwant:\n%s", got, want)
	}
}

// Generated blocks pass every check and decode like the reference.
func TestGenerated(t *testing.T) {
	srv := replay.New(replay.Options{})
	if err := srv.Generate(replay.GenOptions{From: 500, Count: 20, Seed: 9, TxPerBlock: 120}); err != nil {
		t.Fatal(err)
	}
	for n := uint64(500); n < 520; n++ {
		blk, rec, _ := srv.BlockJSON(n)
		got, err := DecodeBlock(blk, rec, ProofRoots)
		if err != nil {
			t.Fatal(err)
		}
		want, err := refDecode(blk, rec)
		if err != nil {
			t.Fatal(err)
		}
		compareBlocks(t, got, want)
	}
}

// mini trims a fixture to its first two transactions (and withdrawals),
// keeping it valid: the fuzzer crawls on megabyte inputs.
func mini(t testing.TB, fx fixture) (block, receipts []byte) {
	var b map[string]json.RawMessage
	var txs, rs, ws []json.RawMessage
	if err := json.Unmarshal(fx.block, &b); err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(b["transactions"], &txs)
	json.Unmarshal(fx.receipts, &rs)
	json.Unmarshal(b["withdrawals"], &ws)
	k := min(2, len(txs))
	txs, rs = txs[:k], rs[:k]
	if len(ws) > 2 {
		b["withdrawals"], _ = json.Marshal(ws[:2])
	}
	b["transactions"], _ = json.Marshal(txs)
	if k > 0 {
		var last struct {
			Cum json.RawMessage `json:"cumulativeGasUsed"`
		}
		json.Unmarshal(rs[k-1], &last)
		b["gasUsed"] = last.Cum
	}
	block, _ = json.Marshal(b)
	receipts, _ = json.Marshal(rs)
	return block, receipts
}

func FuzzDecodeBlock(f *testing.F) {
	for _, fx := range loadFixtures(f) {
		blk, rec := mini(f, fx)
		if _, err := DecodeBlock(blk, rec, ProofStructure); err != nil {
			f.Fatalf("trimmed fixture %d: %v", fx.number, err)
		}
		f.Add(blk, rec)
	}
	f.Add([]byte(`{"number":"0x1","hash":"0x`+strings.Repeat("ab", 32)+`","gasUsed":"0x0","transactions":[]}`), []byte(`[]`))
	f.Add([]byte(`null`), []byte(`null`))
	// Whole small blocks, which verify: the fuzzer's changes to them must
	// be refused by the roots, or mean nothing.
	for _, fx := range loadFixtures(f) {
		if len(fx.block) < 12_000 {
			f.Add(fx.block, fx.receipts)
		}
	}
	f.Fuzz(func(t *testing.T, block, receipts []byte) {
		b, err := DecodeBlock(block, receipts, ProofStructure)
		v, verr := DecodeBlock(block, receipts, ProofRoots)
		if verr == nil {
			// Verifying only adds checks and fills what the roots prove.
			if err != nil {
				t.Fatalf("verified, yet the structure is refused: %v", err)
			}
			if v.Hash != b.Hash || len(v.Transactions) != len(b.Transactions) || len(v.Logs) != len(b.Logs) {
				t.Fatal("verified rows differ from the structural decode")
			}
		}
		if err != nil {
			return
		}
		// Whatever was accepted is consistent.
		logs := 0
		var cum uint64
		for i, tx := range b.Transactions {
			if int(tx.Index) != i || tx.BlockNumber != b.Number || tx.BlockHash != b.Hash || tx.Value == nil {
				t.Fatalf("tx %d: bad position fields", i)
			}
			if tx.CumulativeGasUsed-cum != tx.GasUsed {
				t.Fatalf("tx %d: gas does not add up", i)
			}
			cum = tx.CumulativeGasUsed
			for k := 0; k < int(tx.LogCount); k++ {
				l := b.Logs[logs]
				if l.TxIndex != uint32(i) || l.TxHash != tx.Hash || int(l.Index) != logs {
					t.Fatalf("log %d: bad position fields", logs)
				}
				logs++
			}
		}
		if logs != len(b.Logs) || cum != b.GasUsed {
			t.Fatalf("logs %d of %d, gas %d of %d", logs, len(b.Logs), cum, b.GasUsed)
		}
	})
}
