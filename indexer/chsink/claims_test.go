package chsink_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/chsink"
	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
	"github.com/ethidx/ethidx/store/inspect"
)

// Of two writers claiming overlapping ranges, the first holds them and the
// second is told who does; ranges that do not overlap are both taken; a
// release frees the range for the other writer.
func TestClaimsOneWriterPerRange(t *testing.T) {
	conn, _ := chsinktest.Conn(t)
	ctx := context.Background()
	a, b := chsink.NewClaims(conn, "follow"), chsink.NewClaims(conn, "backfill")
	r := indexer.Range{From: 100, To: 199}
	if err := a.Claim(ctx, r); err != nil {
		t.Fatalf("first claim: %v", err)
	}
	var held *indexer.ClaimedError
	err := b.Claim(ctx, indexer.Range{From: 150, To: 250})
	if !errors.As(err, &held) || held.Kind != "follow" || held.Held != r {
		t.Fatalf("overlapping claim: %v, want the first writer's follow claim on %s", err, r)
	}
	if err := b.Claim(ctx, indexer.Range{From: 200, To: 299}); err != nil {
		t.Fatalf("disjoint claim: %v", err)
	}
	// The refused claim left nothing behind: a reads none of b's on r.
	if err := a.Claim(ctx, indexer.Range{From: 120, To: 180}); err != nil {
		t.Fatalf("the holder claiming within its range: %v", err)
	}
	if err := a.Release(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := a.Release(ctx, indexer.Range{From: 120, To: 180}); err != nil {
		t.Fatal(err)
	}
	if err := b.Claim(ctx, indexer.Range{From: 150, To: 199}); err != nil {
		t.Fatalf("claim after release: %v", err)
	}
	// A stopped writer's claims are released.
	stop := b.Start(ctx)
	stop()
	if err := a.Claim(ctx, indexer.Range{From: 0, To: 1000}); err != nil {
		t.Fatalf("claim after the other writer stopped: %v", err)
	}
}

// A load that stopped before completing its range leaves rows outside
// every completed range: while its writer lives they are its own business;
// once it gave the range up (or died) they are damage naming the backfill
// that completes them, and that backfill clears it.
func TestUnfinishedLoadIsDamage(t *testing.T) {
	conn, _ := chsinktest.Conn(t)
	ctx := context.Background()
	s := chsink.New(conn)
	blocks := chsinktest.Blocks(1, 20, 0)
	if err := s.Write(ctx, blocks[:10]); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDone(ctx, indexer.Range{From: 1, To: 10}); err != nil {
		t.Fatal(err)
	}
	w := chsink.NewClaims(conn, "backfill")
	batch := indexer.Range{From: 11, To: 20}
	if err := w.Claim(ctx, batch); err != nil {
		t.Fatal(err)
	}
	// Half the batch written, not recorded as complete.
	if err := s.Write(ctx, blocks[10:15]); err != nil {
		t.Fatal(err)
	}
	if d, err := inspect.CheckStore(ctx, conn); err != nil || len(d) != 0 {
		t.Fatalf("while the writer holds the batch: %v %v", d, err)
	}
	if err := w.Abandon(ctx, batch); err != nil {
		t.Fatal(err)
	}
	d, err := inspect.CheckStore(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	if len(d) != 1 || !d[0].Unfinished || d[0].Blocks != (indexer.Range{From: 11, To: 15}) ||
		!strings.Contains(d[0].Repair, "ethidx backfill --from 11 --to 15") || !d.Unfinished() {
		t.Fatalf("after the load was given up: %+v", d)
	}
	// The repair: the range loaded again and recorded.
	if err := s.Write(ctx, blocks[10:]); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDone(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if d, err := inspect.CheckStore(ctx, conn); err != nil || len(d) != 0 {
		t.Fatalf("after the range was loaded again: %v %v", d, err)
	}
}

// The completion ledger records what each completed range received; a
// table's rows lost together with the block rows that counted them are
// still found short of it.
func TestLedgerFindsRowsLostWithTheirBlocks(t *testing.T) {
	conn, _ := chsinktest.Conn(t)
	ctx := context.Background()
	s := chsink.New(conn)
	blocks := chsinktest.Blocks(1, 20, 0)
	for _, r := range []indexer.Range{{From: 1, To: 10}, {From: 11, To: 20}} {
		if err := s.Write(ctx, blocks[r.From-1:r.To]); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkDone(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if d, err := inspect.CheckStore(ctx, conn); err != nil || len(d) != 0 {
		t.Fatalf("whole store: %v %v", d, err)
	}
	// The logs of blocks 11-20 lost, and their block rows' counts with them
	// (the block rows rewritten as if they had no logs).
	for _, stmt := range []string{
		"ALTER TABLE logs DELETE WHERE block_number >= 11 SETTINGS mutations_sync = 2",
		"ALTER TABLE blocks UPDATE log_count = 0 WHERE number >= 11 SETTINGS mutations_sync = 2",
	} {
		if err := conn.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	d, err := inspect.CheckStore(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	if len(d) != 1 || d[0].Table != "logs" || !strings.Contains(d[0].Reason, "completion ledger") ||
		!strings.Contains(d[0].Repair, "ethidx backfill --from 1 --to 20") {
		t.Fatalf("logs lost with their counts: %+v", d)
	}
}
