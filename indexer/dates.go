package indexer

import (
	"context"
	"fmt"
	"time"
)

// FirstBlockAtOrAfter returns the first block whose timestamp is at or after
// t, searching blocks 0..head by timestamp (which never decreases along the
// chain). ok is false when even head is older than t.
func FirstBlockAtOrAfter(ctx context.Context, src Source, t time.Time, head uint64) (n uint64, ok bool, err error) {
	target := uint64(t.Unix())
	lo, hi := uint64(0), head+1 // answer in [lo, hi]; hi = none
	for lo < hi {
		mid := lo + (hi-lo)/2
		h, err := src.Header(ctx, mid)
		if err != nil {
			return 0, false, fmt.Errorf("searching block at %s: %w", t.UTC().Format(time.RFC3339), err)
		}
		if h.Timestamp >= target {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo, lo <= head, nil
}

// DateRange resolves the UTC days from..to (inclusive) to the blocks whose
// timestamps fall in them, given the newest block the caller may read.
func DateRange(ctx context.Context, src Source, from, to time.Time, head uint64) (Range, error) {
	start, ok, err := FirstBlockAtOrAfter(ctx, src, from, head)
	if err != nil {
		return Range{}, err
	}
	if !ok {
		return Range{}, fmt.Errorf("no block on or after %s yet (head is %d)", from.Format(time.DateOnly), head)
	}
	if start == 1 {
		// The genesis block counts on block 1's day, whatever its own
		// timestamp (mainnet's is 0): a range from that day includes it.
		start = 0
	}
	end, ok, err := FirstBlockAtOrAfter(ctx, src, to.AddDate(0, 0, 1), head)
	if err != nil {
		return Range{}, err
	}
	if !ok {
		// The day is not over (or the node is behind): stop at the head.
		end = head + 1
	}
	if end == 0 || end-1 < start {
		return Range{}, fmt.Errorf("no blocks between %s and %s", from.Format(time.DateOnly), to.Format(time.DateOnly))
	}
	return Range{start, end - 1}, nil
}

// WithNeighbours widens r, the blocks of a run of days, by the block just
// before it and, if the node has it (head), the block just after it. A
// day counts as complete only once the blocks on both sides of its own are
// stored (queries/install/02_daily_blocks.sql), so a load by date takes
// them too and leaves every day of its range complete.
func (r Range) WithNeighbours(head uint64) Range {
	if r.From > 0 {
		r.From--
	}
	if r.To < head {
		r.To++
	}
	return r
}
