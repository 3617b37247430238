package indexer_test

import (
	"context"
	"testing"
	"time"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/chsink"
	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
	"github.com/ethidx/ethidx/indexer/devchain"
	"github.com/ethidx/ethidx/queries"
)

// A reorg at the head of a backfilled range cuts the completed range at
// the fork point and keeps the part below it: after backfilling 0-193 as
// 0-99 and 100-193 and a reorg of depth 10, the completed ranges are one
// run from 0 to the new head, and the store equals a clean index.
func TestReorgKeepsCompletedBelowFork(t *testing.T) {
	ctx := context.Background()
	chain, src := servedChain(t, devchain.Config{Seed: 12, MinTxs: 3, MaxTxs: 6, FinalizedDepth: 100, SafeDepth: 50,
		GenesisTime: time.Now().Add(-24 * time.Hour), BlockInterval: 12 * time.Second}, 193)
	conn, sqlAddr := chsinktest.Conn(t)
	if err := queries.Install(ctx, conn); err != nil {
		t.Fatal(err)
	}
	sink := chsink.New(conn)
	if _, err := indexer.Backfill(ctx, src, sink, indexer.BackfillOptions{Range: indexer.Range{From: 0, To: 193}, BatchSize: 100}); err != nil {
		t.Fatal(err)
	}
	if err := chain.ReorgTo(ctx, 10, 12); err != nil {
		t.Fatal(err)
	}
	if err := indexer.Follow(ctx, src, sink, indexer.FollowOptions{Finality: indexer.Latest, Once: true, BatchSize: 16}); err != nil {
		t.Fatal(err)
	}
	head := chain.Head().Number.Uint64()
	done, err := sink.Done(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(done) != 1 || done[0] != (indexer.Range{From: 0, To: head}) {
		t.Fatalf("completed ranges after a reorg of depth 10: %v, want 0-%d with no gap", done, head)
	}
	clean := chsinktest.Database(t, sqlAddr, "clean")
	if err := queries.Install(ctx, clean); err != nil {
		t.Fatal(err)
	}
	if _, err := indexer.Backfill(ctx, src, chsink.New(clean), indexer.BackfillOptions{Range: indexer.Range{From: 0, To: head}, BatchSize: 50}); err != nil {
		t.Fatal(err)
	}
	got, want := chsinktest.Pair(t, conn, clean)
	chsinktest.Same(t, "after the reorg, vs a clean index", got, want)
}
