package chsink

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/ethereum/go-ethereum/common"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/store/inspect"
)

// ChainMismatchError says the database already holds another chain: one
// with another id, or with the same id and another genesis block.
type ChainMismatchError struct {
	Stored, Node               uint64
	StoredGenesis, NodeGenesis common.Hash // set when the ids agree
	// Or, when no genesis was recorded, a stored block that is not the
	// node's.
	Block                uint64
	StoredHash, NodeHash common.Hash
}

func (e *ChainMismatchError) Error() string {
	if e.Stored == e.Node && e.StoredHash != (common.Hash{}) {
		return fmt.Sprintf("this database holds chain %d, but its block %d is %s where the node's is %s: "+
			"another chain with the same id (a restarted dev chain, or another network); point --rpc at the stored chain's node, "+
			"or use another --database (or --data-dir) for this one",
			e.Stored, e.Block, e.StoredHash.Hex(), e.NodeHash.Hex())
	}
	if e.Stored == e.Node {
		return fmt.Sprintf("this database holds chain %d with genesis %s, but the node serves chain %d with genesis %s: "+
			"another chain with the same id (a restarted dev chain, or another network); point --rpc at the stored chain's node, "+
			"or use another --database (or --data-dir) for this one",
			e.Stored, e.StoredGenesis.Hex(), e.Node, e.NodeGenesis.Hex())
	}
	return fmt.Sprintf("this database holds chain %d, but the node serves chain %d: point --rpc at a chain-%d node, or use another --database for chain %d",
		e.Stored, e.Node, e.Stored, e.Node)
}

// UnboundError says blocks are stored but no record of their chain is
// left (its table's part lost or damaged, and no completion ledger row
// carries it): binding the store to the node's chain now could mix two
// chains, so nothing is written.
type UnboundError struct{}

func (UnboundError) Error() string {
	return "this database holds blocks but no record of the chain they belong to is left (the chain table's and the completion ledger's " +
		"rows are gone or damaged: see ethidx status): it is not bound again to whatever node is given; " +
		"load the chain into another --database (or --data-dir)"
}

// BindChain binds this database to the chain of id chainID whose block 0
// has hash genesis, before anything is written:
//
//  1. Every record of the store's chain must agree with it: the chain
//     table's rows, the chain every completion ledger row was written for,
//     and block 0 if stored. Another id or another genesis is a
//     *ChainMismatchError.
//  2. A store with no record yet and no block is new: the chain is
//     recorded. Of two first runs racing with different chains, at least
//     the later one reads the other's record and stops.
//  3. A store whose chain table lost its rows is bound again only from the
//     ledger's record or block 0; a store with blocks and no record at all
//     is refused (*UnboundError). A chain id recorded before genesis
//     hashes were (schema/0012_chain_genesis.sql) is completed once the
//     lowest stored block is shown to be the node's (canon).
//
// Afterwards every ledger row the sink writes carries the binding.
//
// canon returns the node's hash of a block.
func (s *Sink) BindChain(ctx context.Context, chainID uint64, genesis common.Hash, canon func(context.Context, uint64) (common.Hash, error)) error {
	recs, err := inspect.Bindings(ctx, s.conn)
	if err != nil {
		return err
	}
	if genesis == (common.Hash{}) {
		return s.bindID(ctx, chainID, recs)
	}
	var (
		inTable, proven, legacy, stored bool
	)
	for _, b := range recs {
		switch {
		case b.Source == "stored":
			stored = b.ID > 0
			continue
		case b.ID != chainID:
			return &ChainMismatchError{Stored: b.ID, Node: chainID}
		case b.Genesis == (common.Hash{}):
			legacy = true // an id recorded before genesis hashes were
			continue
		case b.Genesis != genesis:
			return &ChainMismatchError{Stored: b.ID, Node: chainID, StoredGenesis: b.Genesis, NodeGenesis: genesis}
		}
		proven = true
		inTable = inTable || b.Source == "chain"
	}
	if stored {
		h, err := s.Hashes(ctx, 0, 0)
		if err != nil {
			return err
		}
		if g, ok := h[0]; ok {
			if g != genesis {
				return &ChainMismatchError{Stored: chainID, Node: chainID, StoredGenesis: g, NodeGenesis: genesis}
			}
			proven = true
		}
	}
	if !proven && stored && !legacy {
		return UnboundError{}
	}
	s.mu.Lock()
	s.chainID, s.genesis = chainID, genesis
	s.mu.Unlock()
	if inTable {
		return nil
	}
	if stored && !proven {
		// An id recorded before genesis hashes were: the stored blocks
		// must be the node's before its genesis is recorded as theirs.
		if err := s.proveStored(ctx, chainID, canon); err != nil {
			return err
		}
		slog.Info("recording the genesis hash of the store's chain", "chain_id", chainID, "genesis", genesis.Hex())
	} else if stored {
		slog.Warn("the store's chain table lost its record; recording it again from the completion ledger or block 0", "chain_id", chainID, "genesis", genesis.Hex())
	}
	if err := s.conn.Exec(ctx, opQuery("bind_chain"), chainID, string(genesis[:])); err != nil {
		return fmt.Errorf("recording chain %d (genesis %s): %w", chainID, genesis.Hex(), err)
	}
	if recs, err = inspect.Bindings(ctx, s.conn); err != nil {
		return err
	}
	for _, b := range recs {
		if b.Source == "chain" && (b.ID != chainID || b.Genesis != genesis && b.Genesis != (common.Hash{})) {
			return &ChainMismatchError{Stored: b.ID, Node: chainID, StoredGenesis: b.Genesis, NodeGenesis: genesis}
		}
	}
	return nil
}

// bindID is BindChain for a node that has no block 0 to tell its genesis
// by (a replay of a stretch of a chain): the chain id alone is checked and,
// on a store with no record of it, recorded.
func (s *Sink) bindID(ctx context.Context, chainID uint64, recs []inspect.Binding) error {
	recorded := false
	for _, b := range recs {
		if b.Source == "stored" {
			continue
		}
		if b.ID != chainID {
			return &ChainMismatchError{Stored: b.ID, Node: chainID}
		}
		recorded = recorded || b.Source == "chain"
	}
	s.mu.Lock()
	s.chainID = chainID
	s.mu.Unlock()
	if recorded {
		return nil
	}
	if err := s.conn.Exec(ctx, opQuery("bind_chain"), chainID, string(make([]byte, 32))); err != nil {
		return fmt.Errorf("recording chain id %d: %w", chainID, err)
	}
	return nil
}

// proveStored checks that the lowest stored block is the node's.
func (s *Sink) proveStored(ctx context.Context, chainID uint64, canon func(context.Context, uint64) (common.Hash, error)) error {
	span, ok, err := inspect.StoredIn(ctx, s.conn, indexer.Range{From: 0, To: ^uint64(0) - 1})
	if err != nil || !ok {
		return err
	}
	h, err := s.Hashes(ctx, span.From, span.From)
	if err != nil {
		return err
	}
	want, err := canon(ctx, span.From)
	if err != nil {
		return fmt.Errorf("reading block %d of the node, to check the stored chain: %w", span.From, err)
	}
	if got := h[span.From]; got != want {
		return &ChainMismatchError{Stored: chainID, Node: chainID, Block: span.From, StoredHash: got, NodeHash: want}
	}
	return nil
}

// Neighbours returns the stored blocks just below and just above r (see
// indexer.NeighbourReader).
func (s *Sink) Neighbours(ctx context.Context, r indexer.Range) (map[uint64]indexer.Header, error) {
	below, above := r.From-1, r.To+1
	if r.From == 0 {
		below = above
	}
	if r.To == ^uint64(0) {
		above = below
	}
	rows, err := s.conn.Query(withParams(ctx, map[string]uint64{"below": below, "above": above}), opQuery("neighbours"))
	if err != nil {
		return nil, fmt.Errorf("reading the stored blocks next to %s: %w", r, err)
	}
	defer rows.Close()
	out := map[uint64]indexer.Header{}
	for rows.Next() {
		var (
			h            indexer.Header
			hash, parent string
		)
		if err := rows.Scan(&h.Number, &hash, &parent); err != nil {
			return nil, fmt.Errorf("reading the stored blocks next to %s: %w", r, err)
		}
		h.Hash, h.ParentHash = common.BytesToHash([]byte(hash)), common.BytesToHash([]byte(parent))
		out[h.Number] = h
	}
	return out, rows.Err()
}

// Chain returns the chain the store is bound to, as its records say (the
// chain table's, else the completion ledger's); ok is false when none is
// recorded, and genesis is zero when only the id is.
func (s *Sink) Chain(ctx context.Context) (id uint64, genesis common.Hash, ok bool, err error) {
	recs, err := inspect.Bindings(ctx, s.conn)
	if err != nil {
		return 0, common.Hash{}, false, err
	}
	for _, b := range recs {
		if b.Source != "stored" && (!ok || genesis == (common.Hash{})) {
			id, genesis, ok = b.ID, b.Genesis, true
		}
	}
	return id, genesis, ok, nil
}

// Linked reports whether the blocks of r are all stored and linked by
// parent hash, one to the next (see indexer.LinkChecker).
func (s *Sink) Linked(ctx context.Context, r indexer.Range) (bool, error) {
	var ok bool
	if err := s.conn.QueryRow(withParams(ctx, map[string]uint64{"from": r.From, "to": r.To}), opQuery("linked")).Scan(&ok); err != nil {
		return false, fmt.Errorf("checking the links of stored blocks %s: %w", r, err)
	}
	return ok, nil
}
