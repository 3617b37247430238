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

// Repair finds the first stored block that is no longer the node's (the
// fork of a reorg under a backfilled range), reloads from there, and
// leaves the store equal to a clean index; on a canonical store it finds
// nothing and changes nothing.
func TestRepairReloadsFromTheFirstStaleBlock(t *testing.T) {
	ctx := context.Background()
	chain, src := servedChain(t, devchain.Config{Seed: 13, MinTxs: 3, MaxTxs: 6, FinalizedDepth: 100, SafeDepth: 50,
		GenesisTime: time.Now().Add(-24 * time.Hour), BlockInterval: 12 * time.Second}, 90)
	conn, sqlAddr := chsinktest.Conn(t)
	if err := queries.Install(ctx, conn); err != nil {
		t.Fatal(err)
	}
	sink := chsink.New(conn)
	opt := indexer.BackfillOptions{Range: indexer.Range{From: 0, To: 90}, BatchSize: 20}
	if _, err := indexer.Backfill(ctx, src, sink, opt); err != nil {
		t.Fatal(err)
	}
	if ok, err := sink.Linked(ctx, opt.Range); err != nil || !ok {
		t.Fatalf("Linked(0-90) after a backfill = %v, %v; want true", ok, err)
	}
	if ok, err := sink.Linked(ctx, indexer.Range{From: 0, To: 91}); err != nil || ok {
		t.Fatalf("Linked(0-91), 91 not stored = %v, %v; want false", ok, err)
	}
	st, err := indexer.Repair(ctx, src, sink, opt)
	if err != nil || st.Found || st.Checked != 91 || st.Blocks != 0 {
		t.Fatalf("Repair of a canonical store: %+v, %v; want 91 blocks checked, none stale, none loaded", st, err)
	}
	if err := chain.ReorgTo(ctx, 7, 7); err != nil {
		t.Fatal(err)
	}
	st, err = indexer.Repair(ctx, src, sink, opt)
	if err != nil || !st.Found || st.Stale != 84 {
		t.Fatalf("Repair after a reorg of depth 7 at 90: %+v, %v; want the first stale block 84", st, err)
	}
	clean := chsinktest.Database(t, sqlAddr, "clean")
	if err := queries.Install(ctx, clean); err != nil {
		t.Fatal(err)
	}
	if _, err := indexer.Backfill(ctx, src, chsink.New(clean), indexer.BackfillOptions{Range: opt.Range, BatchSize: 50}); err != nil {
		t.Fatal(err)
	}
	got, want := chsinktest.Pair(t, conn, clean)
	chsinktest.Same(t, "after the repair, vs a clean index", got, want)
	done, err := sink.Done(ctx)
	if err != nil || len(done) != 1 || done[0] != opt.Range {
		t.Errorf("completed ranges after the repair: %v, %v; want 0-90", done, err)
	}
}
