package queries_test

import (
	"context"
	"fmt"
	"math/big"
	"sort"
	"testing"
	"time"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/queries/querytest"
)

// TestExtras checks daily_coverage, daily_fees, daily_blobs and
// top_contracts against figures recomputed from the blocks, on an index
// with a gap, re-written blocks and a history that does not start at
// genesis.
func TestExtras(t *testing.T) {
	ctx := context.Background()
	conn := open(t)
	chain := querytest.Chain(0, 120, 1)
	stored := append(append([]*indexer.Block(nil), chain[3:50]...), chain[53:]...) // blocks 50-52 missing
	write(t, conn, stored)
	write(t, conn, chain[60:70])

	type day struct {
		Day         time.Time `ch:"day"`
		FirstBlock  uint64    `ch:"first_block"`
		LastBlock   uint64    `ch:"last_block"`
		Blocks      uint64    `ch:"blocks"`
		Missing     uint64    `ch:"missing_blocks"`
		Complete    uint8     `ch:"complete"`
		FromGenesis uint8     `ch:"from_genesis"`
		GasUsed     uint64    `ch:"gas_used"`
		GasLimit    uint64    `ch:"gas_limit"`
		Burned      big.Int   `ch:"burned_wei"`
		Fees        big.Int   `ch:"fees_wei"`
		Tips        big.Int   `ch:"tips_wei"`
		BlobBlocks  uint64    `ch:"blocks_with_blobs"`
		BlobTxs     uint64    `ch:"blob_txs"`
		Blobs       uint64    `ch:"blobs"`
		BlobGas     uint64    `ch:"blob_gas_used"`
	}
	want := map[string]*day{}
	var order []string
	have := map[uint64]bool{}
	for _, b := range stored {
		have[b.Number] = true
	}
	for _, b := range stored {
		k := time.Unix(int64(b.Timestamp), 0).UTC().Format(time.DateOnly)
		d := want[k]
		if d == nil {
			d = &day{FirstBlock: b.Number}
			want[k] = d
			order = append(order, k)
		}
		d.LastBlock = b.Number
		d.Blocks++
		d.GasUsed += b.GasUsed
		d.GasLimit += b.GasLimit
		d.Burned.Add(&d.Burned, new(big.Int).Mul(new(big.Int).SetUint64(b.GasUsed), b.BaseFeePerGas))
		blobs := 0
		for _, tx := range b.Transactions {
			d.Fees.Add(&d.Fees, new(big.Int).Mul(new(big.Int).SetUint64(tx.GasUsed), tx.EffectiveGasPrice))
			if len(tx.BlobHashes) > 0 {
				d.BlobTxs++
				blobs += len(tx.BlobHashes)
			}
		}
		d.Blobs += uint64(blobs)
		if blobs > 0 {
			d.BlobBlocks++
		}
		if b.BlobGasUsed != nil {
			d.BlobGas += *b.BlobGasUsed
		}
	}
	for _, k := range order {
		d := want[k]
		d.Missing = d.LastBlock - d.FirstBlock + 1 - d.Blocks
		if d.Missing == 0 && have[d.FirstBlock-1] && have[d.LastBlock+1] {
			d.Complete = 1
		}
		d.Tips.Sub(&d.Fees, &d.Burned)
	}

	var coverage, fees, blobs []day
	for _, q := range []struct {
		dest *[]day
		sql  string
	}{
		{&coverage, "SELECT * FROM daily_coverage"},
		{&fees, "SELECT day, complete, blocks, gas_used, gas_limit, burned_wei, fees_wei, tips_wei FROM daily_fees"},
		{&blobs, "SELECT day, complete, blocks, blocks_with_blobs, blob_txs, blobs, blob_gas_used FROM daily_blobs"},
	} {
		if err := conn.Select(ctx, q.dest, q.sql); err != nil {
			t.Fatal(err)
		}
		if len(*q.dest) != len(order) {
			t.Fatalf("%s: %d days, want %d", q.sql, len(*q.dest), len(order))
		}
	}
	for i, k := range order {
		w := *want[k]
		c, f, b := coverage[i], fees[i], blobs[i]
		check := func(what string, got, want any) {
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s %s = %v, want %v", k, what, got, want)
			}
		}
		check("day", c.Day.UTC().Format(time.DateOnly), k)
		check("coverage", [6]uint64{c.FirstBlock, c.LastBlock, c.Blocks, c.Missing, uint64(c.Complete), uint64(c.FromGenesis)},
			[6]uint64{w.FirstBlock, w.LastBlock, w.Blocks, w.Missing, uint64(w.Complete), 0})
		check("fees", []any{f.Complete, f.GasUsed, f.GasLimit, f.Burned.String(), f.Fees.String(), f.Tips.String()},
			[]any{w.Complete, w.GasUsed, w.GasLimit, w.Burned.String(), w.Fees.String(), w.Tips.String()})
		check("blobs", [4]uint64{b.BlobBlocks, b.BlobTxs, b.Blobs, b.BlobGas}, [4]uint64{w.BlobBlocks, w.BlobTxs, w.Blobs, w.BlobGas})
	}

	blobDays := 0
	for _, d := range want {
		if d.Blobs > 0 {
			blobDays++
		}
	}
	if blobDays < 3 {
		t.Fatalf("only %d days with blobs: the chain does not exercise daily_blobs", blobDays)
	}
	// top_contracts over three days.
	type top struct {
		Address string `ch:"address"`
		Calls   uint64 `ch:"calls"`
		Failed  uint64 `ch:"failed"`
		Callers uint64 `ch:"callers"`
		First   uint64 `ch:"first_block"`
		Last    uint64 `ch:"last_block"`
	}
	from, to := "2025-12-01", "2025-12-03"
	agg := map[string]*top{}
	callers := map[string]map[string]bool{}
	for _, b := range stored {
		d := time.Unix(int64(b.Timestamp), 0).UTC().Format(time.DateOnly)
		if d < from || d > to {
			continue
		}
		for _, tx := range b.Transactions {
			if tx.To == nil || len(tx.Input) == 0 {
				continue
			}
			a := fmt.Sprintf("0x%x", tx.To[:])
			if agg[a] == nil {
				agg[a] = &top{Address: a, First: b.Number}
				callers[a] = map[string]bool{}
			}
			agg[a].Calls++
			if *tx.Status == 0 {
				agg[a].Failed++
			}
			callers[a][tx.From.Hex()] = true
			agg[a].Last = b.Number
		}
	}
	var wantTop []top
	for a, x := range agg {
		x.Callers = uint64(len(callers[a]))
		wantTop = append(wantTop, *x)
	}
	sort.Slice(wantTop, func(i, j int) bool {
		if wantTop[i].Calls != wantTop[j].Calls {
			return wantTop[i].Calls > wantTop[j].Calls
		}
		return wantTop[i].Address < wantTop[j].Address
	})
	if len(wantTop) < 4 {
		t.Fatalf("only %d called addresses: the chain does not exercise top_contracts", len(wantTop))
	}
	wantTop = wantTop[:3]
	var gotTop []top
	if err := conn.Select(withRange(from, to), &gotTop, "SELECT address, calls, failed, callers, first_block, last_block FROM top_contracts_between(from = {from:Date}, to = {to:Date}, limit = 3)"); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(gotTop) != fmt.Sprint(wantTop) || len(wantTop) == 0 {
		t.Errorf("top_contracts:\n got %v\nwant %v", gotTop, wantTop)
	}
}
