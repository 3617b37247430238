package indexer

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// StoredBlock is what a store holds for one block: its hash, the counts
// recorded with it, and the rows actually present.
type StoredBlock struct {
	Number                             uint64
	Hash                               common.Hash
	TxCount, LogCount, WithdrawalCount uint64
	TxRows, LogRows, WithdrawalRows    uint64
	// TraceCount is the call frames recorded with a block loaded with
	// traces (nil: loaded without); TraceRows the frames present.
	TraceCount *uint64
	TraceRows  uint64
}

// Auditor reads what is stored for a range of blocks.
type Auditor interface {
	Audit(ctx context.Context, from, to uint64) (map[uint64]StoredBlock, error)
}

// Discrepancy is one way Verify found a stored block to differ from the
// node's canonical block: missing, another hash, or counts or rows off.
type Discrepancy struct {
	Block  uint64
	Reason string
}

func (p Discrepancy) String() string { return fmt.Sprintf("block %d: %s", p.Block, p.Reason) }

// Verify compares every block of r in the store with the node's canonical
// block: present, same hash, and exactly as many transaction, log and
// withdrawal rows as the block has, and, for a block stored with traces,
// as many call frames as it recorded (and as the node has, when src
// fetches traces). It returns the problems found; an
// error means the audit itself could not run.
func Verify(ctx context.Context, src Source, store Auditor, r Range, batch uint64, progress Progress) ([]Discrepancy, error) {
	if progress == nil {
		progress = nopProgress{}
	}
	progress.Start(r.Len())
	var problems []Discrepancy
	for _, b := range r.Split(batch) {
		canon, err := src.Blocks(ctx, b.From, b.To)
		if err != nil {
			return problems, fmt.Errorf("fetching blocks %s: %w", b, err)
		}
		stored, err := store.Audit(ctx, b.From, b.To)
		if err != nil {
			return problems, fmt.Errorf("reading stored blocks %s: %w", b, err)
		}
		txs := 0
		for _, c := range canon {
			txs += len(c.Transactions)
			problems = append(problems, compare(c, stored[c.Number])...)
		}
		progress.Add(int(b.Len()), txs)
	}
	return problems, nil
}

func compare(c *Block, s StoredBlock) []Discrepancy {
	p := func(format string, args ...any) Discrepancy {
		return Discrepancy{c.Number, fmt.Sprintf(format, args...)}
	}
	if s.Hash == (common.Hash{}) {
		return []Discrepancy{p("missing")}
	}
	if s.Hash != c.Hash {
		return []Discrepancy{p("stored hash %s, canonical %s (reorged: not the node's block; backfill --repair reloads it)", s.Hash.Hex(), c.Hash.Hex())}
	}
	var out []Discrepancy
	check := func(what string, want int, recorded, rows uint64) {
		if recorded != uint64(want) {
			out = append(out, p("%s count recorded %d, node has %d", what, recorded, want))
		}
		if rows != uint64(want) {
			out = append(out, p("%s rows stored %d, node has %d", what, rows, want))
		}
	}
	check("transaction", len(c.Transactions), s.TxCount, s.TxRows)
	check("log", len(c.Logs), s.LogCount, s.LogRows)
	check("withdrawal", len(c.Withdrawals), s.WithdrawalCount, s.WithdrawalRows)
	switch {
	case s.TraceCount != nil && c.Traced:
		check("call frame", len(c.Traces), *s.TraceCount, s.TraceRows)
	case s.TraceCount != nil && s.TraceRows != *s.TraceCount:
		// Without the node's frames, the block row's own count is the
		// reference.
		out = append(out, p("call frame rows stored %d, count recorded %d", s.TraceRows, *s.TraceCount))
	}
	return out
}
