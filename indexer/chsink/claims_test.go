package chsink

import (
	"context"
	"errors"
	"testing"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
)

// Of two writers claiming overlapping ranges, the first holds them and the
// second is told who does; ranges that do not overlap are both taken; a
// release frees the range for the other writer.
func TestClaimsOneWriterPerRange(t *testing.T) {
	conn, _ := chsinktest.Conn(t)
	ctx := context.Background()
	a, b := NewClaims(conn, "follow"), NewClaims(conn, "backfill")
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
