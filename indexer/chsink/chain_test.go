package chsink_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/chsink"
	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
)

func noCanon(context.Context, uint64) (common.Hash, error) {
	return common.Hash{}, errors.New("not asked")
}

// The first BindChain records the chain; the same chain binds again, and
// another chain is refused with both ids named, recording nothing; so is
// a chain with the same id and another genesis.
func TestBindChain(t *testing.T) {
	ctx := context.Background()
	conn, _ := chsinktest.Conn(t)
	sink := chsink.New(conn)
	g1, g2 := common.HexToHash("0x01"), common.HexToHash("0x02")
	for range 2 {
		if err := sink.BindChain(ctx, 1, g1, noCanon); err != nil {
			t.Fatalf("binding chain 1: %v", err)
		}
	}
	err := sink.BindChain(ctx, 11155111, g1, noCanon)
	var mismatch *chsink.ChainMismatchError
	if !errors.As(err, &mismatch) || mismatch.Stored != 1 || mismatch.Node != 11155111 {
		t.Fatalf("binding chain 11155111 to a chain-1 store: %v; want a ChainMismatchError{1, 11155111}", err)
	}
	err = sink.BindChain(ctx, 1, g2, noCanon)
	if !errors.As(err, &mismatch) || mismatch.StoredGenesis != g1 || mismatch.NodeGenesis != g2 {
		t.Fatalf("binding chain 1 with another genesis: %v; want a ChainMismatchError naming both genesis hashes", err)
	}
	if n := chsinktest.Count(t, conn, "SELECT count() FROM chain"); n != 1 {
		t.Errorf("chain table holds %d rows, want 1", n)
	}
}

// Losing the chain table's rows never rebinds a store that holds blocks:
// the completion ledger's copy of the binding still refuses another
// genesis and restores the record for the same chain; with both gone,
// the store is refused whatever the node.
func TestBindingSurvivesLostChainTable(t *testing.T) {
	ctx := context.Background()
	conn, _ := chsinktest.Conn(t)
	sink := chsink.New(conn)
	g1, g2 := common.HexToHash("0x01"), common.HexToHash("0x02")
	if err := sink.BindChain(ctx, 1, g1, noCanon); err != nil {
		t.Fatal(err)
	}
	blocks := chsinktest.Blocks(1, 5, 0)
	if err := sink.Write(ctx, blocks); err != nil {
		t.Fatal(err)
	}
	if err := sink.MarkDone(ctx, indexer.Range{From: 1, To: 5}); err != nil {
		t.Fatal(err)
	}
	if err := conn.Exec(ctx, "TRUNCATE TABLE chain"); err != nil {
		t.Fatal(err)
	}
	var mismatch *chsink.ChainMismatchError
	if err := chsink.New(conn).BindChain(ctx, 1, g2, noCanon); !errors.As(err, &mismatch) || mismatch.StoredGenesis != g1 {
		t.Fatalf("another genesis with the chain table emptied: %v; want a ChainMismatchError from the ledger's record", err)
	}
	if n := chsinktest.Count(t, conn, "SELECT count() FROM chain"); n != 0 {
		t.Fatalf("a refused binding recorded %d rows", n)
	}
	if err := chsink.New(conn).BindChain(ctx, 1, g1, noCanon); err != nil {
		t.Fatalf("the same chain with the chain table emptied: %v", err)
	}
	if n := chsinktest.Count(t, conn, "SELECT count() FROM chain"); n != 1 {
		t.Fatalf("the chain table holds %d rows after binding the same chain again, want 1", n)
	}
	for _, table := range []string{"chain", "range_ledger"} {
		if err := conn.Exec(ctx, "TRUNCATE TABLE "+table); err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range []common.Hash{g1, g2} {
		if err := chsink.New(conn).BindChain(ctx, 1, g, noCanon); !errors.As(err, new(chsink.UnboundError)) {
			t.Fatalf("binding %s to a store with blocks and no record of its chain: %v; want an UnboundError", g.Hex(), err)
		}
	}
}

// A store bound by chain id alone (before genesis hashes were recorded, or
// loaded from a node without block 0) takes the genesis hash once its
// lowest stored block is shown to be the node's, and is refused otherwise.
func TestIDOnlyBindingIsProvenFromStoredBlocks(t *testing.T) {
	ctx := context.Background()
	conn, _ := chsinktest.Conn(t)
	sink := chsink.New(conn)
	if err := sink.BindChain(ctx, 1, common.Hash{}, noCanon); err != nil {
		t.Fatal(err)
	}
	blocks := chsinktest.Blocks(3, 4, 0)
	if err := sink.Write(ctx, blocks); err != nil {
		t.Fatal(err)
	}
	g := common.HexToHash("0x01")
	other := func(context.Context, uint64) (common.Hash, error) { return common.HexToHash("0xbad"), nil }
	var mismatch *chsink.ChainMismatchError
	if err := chsink.New(conn).BindChain(ctx, 1, g, other); !errors.As(err, &mismatch) || mismatch.Block != 3 {
		t.Fatalf("a node whose block 3 is not the stored one: %v; want a ChainMismatchError at block 3", err)
	}
	same := func(_ context.Context, n uint64) (common.Hash, error) { return blocks[n-3].Hash, nil }
	if err := chsink.New(conn).BindChain(ctx, 1, g, same); err != nil {
		t.Fatalf("the stored chain's node: %v", err)
	}
	if err := chsink.New(conn).BindChain(ctx, 1, common.HexToHash("0x02"), same); !errors.As(err, &mismatch) || mismatch.StoredGenesis != g {
		t.Fatalf("after the genesis is recorded, another genesis: %v; want a ChainMismatchError", err)
	}
}

// Linked tells a run of stored blocks linked by parent hash from one with
// a block of another chain in it.
func TestLinked(t *testing.T) {
	ctx := context.Background()
	conn, _ := chsinktest.Conn(t)
	sink := chsink.New(conn)
	if err := sink.Write(ctx, chsinktest.Blocks(1, 5, 0)); err != nil {
		t.Fatal(err)
	}
	r := indexer.Range{From: 1, To: 5}
	if ok, err := sink.Linked(ctx, r); err != nil || !ok {
		t.Fatalf("Linked(1-5) = %v, %v; want true", ok, err)
	}
	if err := sink.Write(ctx, chsinktest.Blocks(3, 1, 1)); err != nil {
		t.Fatal(err)
	}
	if ok, err := sink.Linked(ctx, r); err != nil || ok {
		t.Fatalf("Linked(1-5) with block 3 of another chain = %v, %v; want false", ok, err)
	}
}
