package indexer

import (
	"context"
	"fmt"
	"time"

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

// NeighbourReader is a Sink that reads the stored blocks just below and
// just above a range (keyed by number; either may be absent), so a range
// that does not link to them by parent hash is refused before it is
// written: a store holds one chain.
type NeighbourReader interface {
	Neighbours(ctx context.Context, r Range) (map[uint64]Header, error)
}

// SeamError says blocks the node sent do not link by parent hash to a
// stored block next to them: the stored block was reorged away, or belongs
// to another chain. Nothing of the range was written.
type SeamError struct {
	Range  Range  // the range that was to be written
	Stored uint64 // the stored block it does not link to
	// Repair is the stored range to check against the node and reload
	// (backfill --repair).
	Repair Range
}

func (e *SeamError) Error() string {
	return fmt.Sprintf("blocks %s from the node do not link by parent hash to the stored block %d: the stored blocks were reorged away "+
		"or are from another chain; nothing of %s was written; repair: ethidx backfill --repair --from %d --to %d",
		e.Range, e.Stored, e.Range, e.Repair.From, e.Repair.To)
}

// checkSeams refuses blocks (r, in order) that do not link to the stored
// blocks either side of r.
func checkSeams(ctx context.Context, sink Sink, r Range, blocks []*Block) error {
	nr, ok := sink.(NeighbourReader)
	if !ok || len(blocks) == 0 {
		return nil
	}
	stored, err := nr.Neighbours(ctx, r)
	if err != nil {
		return err
	}
	bad, found := uint64(0), false
	if b, ok := stored[r.From-1]; ok && r.From > 0 && b.Hash != blocks[0].ParentHash {
		bad, found = b.Number, true
	}
	if a, ok := stored[r.To+1]; ok && !found && a.ParentHash != blocks[len(blocks)-1].Hash {
		bad, found = a.Number, true
	}
	if !found {
		return nil
	}
	e := &SeamError{Range: r, Stored: bad, Repair: Range{bad, bad}}
	if done, err := sink.Done(ctx); err == nil {
		for _, d := range done {
			if d.From <= bad && bad <= d.To {
				e.Repair = d
			}
		}
	}
	return e
}

// finishWithin bounds how long a write already begun may run on after its
// context ended (SIGTERM mid-batch): inside the 30 s that systemd's
// TimeoutStopSec and Kubernetes' grace period give, with room left to
// close the store.
var finishWithin = 15 * time.Second

// storeRange writes blocks and records r complete. A write that has begun
// finishes even if ctx ends, within finishWithin: rows readers may already
// see stay, recorded, rather than being abandoned unrecorded and removed
// again at the next start. A ctx that has already ended does not begin it.
func storeRange(ctx context.Context, sink Sink, blocks []*Block, r Range) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(finishWithin, cancel)
		context.AfterFunc(wctx, func() { t.Stop() })
	})
	defer stop()
	if err := sink.Write(wctx, blocks); err != nil {
		return err
	}
	return sink.MarkDone(wctx, r)
}
