package indexer_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/chsink"
	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
	"github.com/ethidx/ethidx/indexer/devchain"
	"github.com/ethidx/ethidx/indexer/rpcsource"
)

// sourceOf serves a dev chain of cfg, mined to height, and reads it.
func sourceOf(t *testing.T, cfg devchain.Config, height uint64) indexer.Source {
	cfg.BlockInterval, cfg.MinTxs, cfg.MaxTxs = 12*time.Second, 2, 4
	_, src := servedChain(t, cfg, height)
	return src
}

// servedChain is a dev chain of cfg, mined to height and served over
// JSON-RPC, and a source reading it; both close with the test.
func servedChain(t *testing.T, cfg devchain.Config, height uint64) (*devchain.Chain, *rpcsource.Source) {
	t.Helper()
	ctx := context.Background()
	chain, err := devchain.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { chain.Close() })
	for chain.Head().Number.Uint64() < height {
		if _, err := chain.Mine(ctx); err != nil {
			t.Fatal(err)
		}
	}
	addr, err := chain.ServeRPC(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	src, err := rpcsource.New(ctx, rpcsource.Options{URLs: []string{"http://" + addr}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(src.Close)
	return chain, src
}

// A range that does not link by parent hash to the stored blocks next to
// it, below or above, is refused before any of it is written, naming the
// stored range to repair.
func TestSeamsLinkBothSides(t *testing.T) {
	ctx := context.Background()
	start := time.Now().Add(-24 * time.Hour).Truncate(time.Hour)
	a := sourceOf(t, devchain.Config{Seed: 3, GenesisTime: start}, 40)
	b := sourceOf(t, devchain.Config{Seed: 3, GenesisTime: start.Add(time.Hour)}, 40)
	conn, _ := chsinktest.Conn(t)
	sink := chsink.New(conn)
	load := func(src indexer.Source, r indexer.Range) error {
		_, err := indexer.Backfill(ctx, src, sink, indexer.BackfillOptions{Range: r, BatchSize: 5})
		return err
	}
	if err := load(a, indexer.Range{From: 10, To: 19}); err != nil {
		t.Fatal(err)
	}
	blocks := chsinktest.Count(t, conn, "SELECT count() FROM blocks")
	for _, c := range []struct {
		r      indexer.Range
		stored uint64
	}{{indexer.Range{From: 20, To: 24}, 19}, {indexer.Range{From: 5, To: 9}, 10}} {
		err := load(b, c.r)
		var seam *indexer.SeamError
		if !errors.As(err, &seam) || seam.Stored != c.stored || seam.Repair != (indexer.Range{From: 10, To: 19}) {
			t.Fatalf("another chain's blocks %s next to stored 10-19: %v; want a SeamError at stored block %d naming 10-19", c.r, err, c.stored)
		}
		if n := chsinktest.Count(t, conn, "SELECT count() FROM blocks"); n != blocks {
			t.Fatalf("the refused range %s wrote %d block rows", c.r, n-blocks)
		}
	}
	// The same chain links on both sides.
	if err := load(a, indexer.Range{From: 5, To: 24}); err != nil {
		t.Fatal(err)
	}
}
