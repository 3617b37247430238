package chsink_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ethidx/ethidx/indexer/chsink"
	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
)

// The first BindChain records the chain; the same chain binds again, and
// another chain is refused with both ids named, recording nothing.
func TestBindChain(t *testing.T) {
	ctx := context.Background()
	conn, _ := chsinktest.Conn(t)
	sink := chsink.New(conn)
	for range 2 {
		if err := sink.BindChain(ctx, 1); err != nil {
			t.Fatalf("binding chain 1: %v", err)
		}
	}
	err := sink.BindChain(ctx, 11155111)
	var mismatch *chsink.ChainMismatchError
	if !errors.As(err, &mismatch) || mismatch.Stored != 1 || mismatch.Node != 11155111 {
		t.Fatalf("binding chain 11155111 to a chain-1 store: %v; want a ChainMismatchError{1, 11155111}", err)
	}
	if n := chsinktest.Count(t, conn, "SELECT count() FROM chain"); n != 1 {
		t.Errorf("chain table holds %d rows, want 1", n)
	}
}
