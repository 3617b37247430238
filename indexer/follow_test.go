package indexer_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/chsink"
	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
	"github.com/ethidx/ethidx/indexer/devchain"
	"github.com/ethidx/ethidx/indexer/replay"
	"github.com/ethidx/ethidx/indexer/rpcsource"
	"github.com/ethidx/ethidx/queries"
)

type reorgCounter struct {
	indexer.Observer
	depths  []uint64
	indexed indexer.Header
}

func (r *reorgCounter) Head(indexer.Header)              {}
func (r *reorgCounter) Indexed(h indexer.Header)         { r.indexed = h }
func (r *reorgCounter) Wrote(int, int, time.Duration)    {}
func (r *reorgCounter) Reorg(d uint64, _, _ common.Hash) { r.depths = append(r.depths, d) }

// Under --finality latest, the follower converges to the canonical chain
// after reorgs of depth 1, 2, 7 and 64, and to a branch of the same height
// or shorter: every table and saved view equals a clean index of the
// canonical chain.
func TestFollowReorgs(t *testing.T) {
	ctx := context.Background()
	chain, err := devchain.New(devchain.Config{Seed: 11, MinTxs: 12, MaxTxs: 20, FinalizedDepth: 100, SafeDepth: 80,
		GenesisTime: time.Now().Add(-24 * time.Hour), BlockInterval: 12 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer chain.Close()
	addr, err := chain.ServeRPC(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	src, err := rpcsource.New(ctx, rpcsource.Options{URLs: []string{"http://" + addr}})
	if err != nil {
		t.Fatal(err)
	}
	conn, sqlAddr := chsinktest.Conn(t)
	if err := queries.Install(ctx, conn); err != nil {
		t.Fatal(err)
	}
	sink := chsink.New(conn)
	zero := uint64(0)
	obs := &reorgCounter{}
	follow := func() {
		t.Helper()
		err := indexer.Follow(ctx, src, sink, indexer.FollowOptions{Finality: indexer.Latest, Start: &zero, Once: true, BatchSize: 16, Observer: obs})
		if err != nil {
			t.Fatal(err)
		}
	}
	mine := func(n int) {
		t.Helper()
		for i := 0; i < n; i++ {
			if _, err := chain.Mine(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	mine(70)
	follow()
	// Branches one block longer (as a heavier branch comes), then one of
	// the same height and a shorter one, which only the check of the
	// stored tip against the node can notice.
	for i, tc := range []struct{ depth, length int }{{1, 2}, {2, 3}, {7, 8}, {64, 65}, {3, 3}, {5, 2}} {
		depth := tc.depth
		if err := chain.ReorgTo(ctx, depth, tc.length); err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 {
			mine(1) // sometimes the new branch grows before we look
		}
		follow()
		if len(obs.depths) != i+1 || obs.depths[i] < uint64(depth) {
			t.Fatalf("after reorg of depth %d the follower saw reorgs %v", depth, obs.depths)
		}
		clean := chsinktest.Database(t, sqlAddr, "clean"+string(rune('a'+i)))
		if err := queries.Install(ctx, clean); err != nil {
			t.Fatal(err)
		}
		head := chain.Head().Number.Uint64()
		if obs.indexed.Number != head || obs.indexed.Hash != chain.Head().Hash() || obs.indexed.Timestamp != chain.Head().Time {
			t.Errorf("reorg depth %d: observer's indexed block %d %s, want the head %d %s", depth, obs.indexed.Number, obs.indexed.Hash, head, chain.Head().Hash())
		}
		if _, err := indexer.Backfill(ctx, src, chsink.New(clean), indexer.BackfillOptions{Range: indexer.Range{From: 0, To: head}, BatchSize: 25}); err != nil {
			t.Fatal(err)
		}
		got, want := chsinktest.Pair(t, conn, clean)
		if _, ok := want["view monthly_growth"]; !ok {
			t.Fatal("snapshot lacks the saved views")
		}
		chsinktest.Same(t, fmt.Sprintf("reorg depth %d, branch of %d, vs a clean index", depth, tc.length), got, want)
	}

	// A restarted follower with nothing new to load still reports the
	// stored tip, so its lag metrics are right from the start.
	restarted := &reorgCounter{}
	if err := indexer.Follow(ctx, src, sink, indexer.FollowOptions{Finality: indexer.Latest, Once: true, Observer: restarted}); err != nil {
		t.Fatal(err)
	}
	if head := chain.Head(); restarted.indexed.Number != head.Number.Uint64() || restarted.indexed.Timestamp != head.Time {
		t.Errorf("restarted follower reported indexed block %d (time %d), want %d (time %d)",
			restarted.indexed.Number, restarted.indexed.Timestamp, head.Number.Uint64(), head.Time)
	}
}

// Far behind a settled horizon, the follower loads in parallel like a
// backfill, then hands over to block-by-block loading: every block lands
// once, none is skipped at the seam, and the tables equal a plain backfill.
func TestFollowCatchUpHandOver(t *testing.T) {
	ctx := context.Background()
	src, srv := generated(t, 260, 30)
	conn, sqlAddr := chsinktest.Conn(t)
	one := uint64(1)
	obs := &reorgCounter{}
	err := indexer.Follow(ctx, src, chsink.New(conn), indexer.FollowOptions{
		Finality: indexer.Finalized, Start: &one, Once: true, BatchSize: 20, CatchUp: 50, Workers: 3, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	if obs.indexed.Number != 260 {
		t.Errorf("observer's indexed block %d, want 260", obs.indexed.Number)
	}
	// Grow the chain by less than the catch-up threshold: block by block.
	if err := srv.Generate(replay.GenOptions{From: 261, Count: 15, TxPerBlock: 30, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	if err := indexer.Follow(ctx, src, chsink.New(conn), indexer.FollowOptions{Finality: indexer.Finalized, Once: true, BatchSize: 20}); err != nil {
		t.Fatal(err)
	}
	clean := chsinktest.Database(t, sqlAddr, "clean")
	backfill(t, src, clean, indexer.Range{From: 1, To: 275}, 25)
	got, want := chsinktest.Pair(t, conn, clean)
	chsinktest.Same(t, "follower vs a plain backfill", got, want)
	if n := chsinktest.Count(t, conn, "SELECT count() FROM blocks"); n != 275 {
		t.Errorf("blocks holds %d rows (with duplicates), want 275: a block was written twice at the seam", n)
	}
}
