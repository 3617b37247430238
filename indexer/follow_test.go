package indexer_test

import (
	"context"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/chsink"
	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
	"github.com/ethidx/ethidx/indexer/devchain"
	"github.com/ethidx/ethidx/indexer/rpcsource"
)

type reorgCounter struct {
	indexer.Observer
	depths []uint64
}

func (r *reorgCounter) Head(indexer.Header)              {}
func (r *reorgCounter) Indexed(indexer.Header)           {}
func (r *reorgCounter) Wrote(int, int, time.Duration)    {}
func (r *reorgCounter) Reorg(d uint64, _, _ common.Hash) { r.depths = append(r.depths, d) }

// Under --finality latest, the follower converges to the canonical chain
// after reorgs of depth 1, 2, 7 and 64: every table equals a clean index of
// the canonical chain.
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
	for i, depth := range []int{1, 2, 7, 64} {
		if err := chain.Reorg(ctx, depth); err != nil {
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
		head := chain.Head().Number.Uint64()
		if _, err := indexer.Backfill(ctx, src, chsink.New(clean), indexer.BackfillOptions{Range: indexer.Range{From: 0, To: head}, BatchSize: 25}); err != nil {
			t.Fatal(err)
		}
		got, want := chsinktest.Snapshot(t, conn), chsinktest.Snapshot(t, clean)
		for table := range want {
			if got[table] != want[table] {
				t.Errorf("reorg depth %d: %s = %s, clean index = %s", depth, table, got[table], want[table])
			}
		}
	}
}
