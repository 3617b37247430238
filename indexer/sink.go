package indexer

import (
	"context"

	"github.com/ethereum/go-ethereum/common"
)

// Sink stores blocks. Every write is idempotent: writing a block twice
// leaves the same rows as writing it once, because rows are keyed by chain
// position.
type Sink interface {
	// Write stores the blocks' rows: transactions, logs and withdrawals
	// first and the blocks rows last, so a block row means its block is
	// complete.
	Write(ctx context.Context, blocks []*Block) error
	// MarkDone records that every block of r is stored. Callers call it only
	// after Write returned for all of r.
	MarkDone(ctx context.Context, r Range) error
	// Done returns the completed ranges, merged and sorted.
	Done(ctx context.Context) (Ranges, error)
	// Hashes returns the stored hash of each stored block in from..to.
	Hashes(ctx context.Context, from, to uint64) (map[uint64]common.Hash, error)
	// Rewind removes every row of blocks numbered from and above, in every
	// table including derived ones, and the completed ranges past from.
	Rewind(ctx context.Context, from uint64) error
}

// RowAuditor is a Sink that can tell which batches recorded as complete no
// longer hold all their rows (a part lost on disk). Backfill loads those
// again: a completed range is trusted only while its rows agree.
type RowAuditor interface {
	// Incomplete returns the batches of size batch, counted from r.From,
	// whose stored rows fall short of their block rows (or that lack block
	// rows).
	Incomplete(ctx context.Context, r Range, batch uint64) ([]Range, error)
}
