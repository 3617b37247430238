package indexer_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/chsink"
	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
	"github.com/ethidx/ethidx/indexer/replay"
	"github.com/ethidx/ethidx/indexer/rpcsource"
)

// generated serves count synthetic mainnet-shaped blocks from 1 and returns
// a Source reading them.
func generated(t *testing.T, count uint64, txPerBlock int) (*rpcsource.Source, *replay.Server) {
	t.Helper()
	srv := replay.New(replay.Options{})
	if err := srv.Generate(replay.GenOptions{From: 1, Count: count, TxPerBlock: txPerBlock, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	url, stop, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	src, err := rpcsource.New(context.Background(), rpcsource.Options{URLs: []string{url}})
	if err != nil {
		t.Fatal(err)
	}
	return src, srv
}

func backfill(t *testing.T, src indexer.Source, conn driver.Conn, r indexer.Range, batch uint64) indexer.BackfillStats {
	t.Helper()
	st, err := indexer.Backfill(context.Background(), src, chsink.New(conn), indexer.BackfillOptions{Range: r, BatchSize: batch, Workers: 3})
	if err != nil {
		t.Fatalf("backfill %s: %v", r, err)
	}
	return st
}

// Loading a range twice, or overlapping ranges, changes nothing a reader
// can see; a second run skips what is complete.
func TestBackfillIdempotent(t *testing.T) {
	src, _ := generated(t, 120, 40)
	conn, addr := chsinktest.Conn(t)

	st := backfill(t, src, conn, indexer.Range{From: 1, To: 100}, 7)
	if st.Blocks != 100 || st.Transactions == 0 {
		t.Fatalf("first load: %+v", st)
	}
	if got := chsinktest.Count(t, conn, "SELECT count() FROM blocks FINAL"); got != 100 {
		t.Fatalf("blocks = %d, want 100", got)
	}
	if got := chsinktest.Count(t, conn, "SELECT toUInt64(sum(tx_count)) FROM blocks FINAL"); got != st.Transactions {
		t.Fatalf("stored tx_count sum %d != loaded %d", got, st.Transactions)
	}

	again := backfill(t, src, conn, indexer.Range{From: 1, To: 100}, 7)
	if again.Blocks != 0 || again.Skipped != 100 {
		t.Errorf("rerun loaded %d blocks, skipped %d; want 0 and 100", again.Blocks, again.Skipped)
	}
	// Force real rewrites: a different batch size over an overlapping range
	// and a Sink write of blocks already stored.
	backfill(t, src, conn, indexer.Range{From: 50, To: 120}, 13)
	blocks, err := src.Blocks(context.Background(), 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	if err := chsink.New(conn).Write(context.Background(), blocks); err != nil {
		t.Fatal(err)
	}

	clean := chsinktest.Database(t, addr, "clean")
	backfill(t, src, clean, indexer.Range{From: 1, To: 120}, 50)
	got, ref := chsinktest.Pair(t, conn, clean)
	chsinktest.Same(t, "after reloads vs a clean load of 1-120", got, ref)
}

// --worker i/N shards cover the range exactly once between them.
func TestBackfillShards(t *testing.T) {
	src, _ := generated(t, 60, 10)
	conn, addr := chsinktest.Conn(t)
	for i := 0; i < 3; i++ {
		_, err := indexer.Backfill(context.Background(), src, chsink.New(conn), indexer.BackfillOptions{
			Range: indexer.Range{From: 1, To: 60}, BatchSize: 4, Shard: i, Shards: 3})
		if err != nil {
			t.Fatal(err)
		}
	}
	done, err := chsink.New(conn).Done(context.Background())
	if err != nil || len(done) != 1 || done[0] != (indexer.Range{From: 1, To: 60}) {
		t.Fatalf("done after three shards = %v, %v", done, err)
	}
	clean := chsinktest.Database(t, addr, "clean")
	backfill(t, src, clean, indexer.Range{From: 1, To: 60}, 60)
	if got, ref := chsinktest.Pair(t, conn, clean); got["transactions"] != ref["transactions"] || got["blocks"] != ref["blocks"] {
		t.Errorf("sharded load %v != single load %v", got, ref)
	}
}

// Lost rows of a store loaded by shards are reloaded by the shard that owns
// their batch, and by no other: every worker's rerun audits the whole
// range, but reloads (and reports) only the batches of its own share.
func TestBackfillShardsRepairTheirOwn(t *testing.T) {
	src, _ := generated(t, 60, 10)
	conn, addr := chsinktest.Conn(t)
	r := indexer.Range{From: 1, To: 60}
	load := func(shard int) (indexer.BackfillStats, string) {
		t.Helper()
		var logged bytes.Buffer
		st, err := indexer.Backfill(context.Background(), src, chsink.New(conn), indexer.BackfillOptions{
			Range: r, BatchSize: 4, Shard: shard, Shards: 3, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
		if err != nil {
			t.Fatalf("shard %d: %v", shard, err)
		}
		return st, logged.String()
	}
	for i := 0; i < 3; i++ {
		load(i)
	}
	// Blocks 5-8 are the second batch: shard 1's.
	if err := conn.Exec(context.Background(), "DELETE FROM transactions WHERE block_number BETWEEN 5 AND 8"); err != nil {
		t.Fatal(err)
	}
	for _, shard := range []int{0, 2, 1} {
		st, logged := load(shard)
		want := uint64(0)
		if shard == 1 {
			want = 4
		}
		if st.Blocks != want {
			t.Errorf("shard %d reloaded %d blocks, want %d", shard, st.Blocks, want)
		}
		if warned := strings.Contains(logged, "lost rows"); warned != (want > 0) || want > 0 && !strings.Contains(logged, "batches=1 blocks=4") {
			t.Errorf("shard %d logged:\n%s\nwant a lost-rows warning only for its own batch", shard, logged)
		}
	}
	clean := chsinktest.Database(t, addr, "clean")
	backfill(t, src, clean, r, 60)
	got, want := chsinktest.Pair(t, conn, clean)
	chsinktest.Same(t, "shards after repairing their own batches vs a single load", got, want)
}
