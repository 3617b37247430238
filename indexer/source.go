package indexer

import (
	"context"
	"errors"
	"fmt"
)

// Finality names how settled a block must be before ethidx reads it.
type Finality string

// The block tags Ethereum nodes understand.
const (
	Finalized Finality = "finalized"
	Safe      Finality = "safe"
	Latest    Finality = "latest"
)

// ParseFinality checks a --finality value.
func ParseFinality(s string) (Finality, error) {
	switch f := Finality(s); f {
	case Finalized, Safe, Latest:
		return f, nil
	}
	return "", fmt.Errorf("finality %q: want finalized, safe or latest", s)
}

// Source reads checked blocks from a node. Implementations retry transient
// failures themselves; an error they return is final for that call.
type Source interface {
	// ChainID returns the node's chain id.
	ChainID(ctx context.Context) (uint64, error)
	// Head returns the newest block at the given finality.
	Head(ctx context.Context, f Finality) (Header, error)
	// Header returns the header of block n.
	Header(ctx context.Context, n uint64) (Header, error)
	// Blocks returns blocks from..to inclusive, in order, each one checked:
	// its number and parent link are as asked, and its receipts and logs
	// belong to its transactions.
	Blocks(ctx context.Context, from, to uint64) ([]*Block, error)
}

// BlockError says a node returned a block ethidx refuses to store, and why.
type BlockError struct {
	Number uint64
	Reason string
	// Node names the node that sent the block (its URL without path or
	// query, which often carry keys), when known: a refusal is a claim
	// about one node, and the user needs to know which.
	Node string
	// Proof is set when the block failed a content proof of --verify (a
	// hash or root recomputed from the node's answer): the same node
	// answers the same way, so asking again does not help, and a local dev
	// node that hashes differently needs --verify structure.
	Proof bool
}

func (e *BlockError) Error() string {
	if e.Node != "" {
		return fmt.Sprintf("block %d: %s (node %s)", e.Number, e.Reason, e.Node)
	}
	return fmt.Sprintf("block %d: %s", e.Number, e.Reason)
}

// ErrNotFound is returned by a Source for a block the node does not have
// yet (it is behind, or the block is beyond its head).
var ErrNotFound = errors.New("block not found")
