package indexer

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/ethereum/go-ethereum/common"
)

// RepairStats is what Repair found and did.
type RepairStats struct {
	Checked uint64 // stored blocks whose hash was compared with the node's
	// Stale is the first stored block of the range that is not the
	// node's, when Found.
	Stale uint64
	Found bool
	BackfillStats
}

// Repair re-checks the stored blocks of opt.Range against the node and
// reloads what differs; then it loads what is missing, as Backfill does.
// It is the follower's reorg repair run over a range: the store is cut at
// the first stored block that is not canonical (Sink.Rewind, which keeps
// the completed ranges below the cut), and everything from there is
// loaded again, up to the end of the range or of what was stored past
// it, whichever is higher (stored blocks above a stale one descend from
// it, so they are stale too), within the node's head.
func Repair(ctx context.Context, src Source, sink Sink, opt BackfillOptions) (RepairStats, error) {
	opt.setDefaults()
	var st RepairStats
	r := opt.Range
	if r.To < r.From {
		return st, fmt.Errorf("range %s: end before start", r)
	}
	for _, b := range r.Split(opt.BatchSize) {
		stored, err := sink.Hashes(ctx, b.From, b.To)
		if err != nil {
			return st, err
		}
		nums := make([]uint64, 0, len(stored))
		for n := range stored {
			nums = append(nums, n)
		}
		sort.Slice(nums, func(i, j int) bool { return nums[i] < nums[j] })
		if ok, err := linkedCanonical(ctx, src, sink, b, stored); err != nil {
			return st, err
		} else if ok {
			st.Checked += uint64(len(nums))
			continue
		}
		for _, n := range nums {
			h, err := src.Header(ctx, n)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return st, fmt.Errorf("reading block %d of the node: %w", n, err)
			}
			st.Checked++
			if err != nil || h.Hash != stored[n] {
				st.Stale, st.Found = n, true
				break
			}
		}
		if st.Found {
			break
		}
	}
	if st.Found {
		done, err := sink.Done(ctx)
		if err != nil {
			return st, err
		}
		head, err := src.Head(ctx, Latest)
		if err != nil {
			return st, fmt.Errorf("reading the node's head: %w", err)
		}
		end := r.To
		if len(done) > 0 {
			end = max(end, done[len(done)-1].To)
		}
		end = min(end, head.Number)
		opt.Logger.Warn("stored blocks are not the node's; cutting the store there and loading again",
			"first_stale", st.Stale, "reload", Range{st.Stale, end}.String())
		if err := sink.Rewind(ctx, st.Stale); err != nil {
			return st, err
		}
		opt.Range.To = max(end, r.From)
	}
	bs, err := Backfill(ctx, src, sink, opt)
	st.BackfillStats = bs
	return st, err
}

// LinkChecker is a Sink that can tell whether its stored blocks of a range
// are all there and linked by parent hash, one to the next.
type LinkChecker interface {
	Linked(ctx context.Context, r Range) (bool, error)
}

// linkedCanonical reports whether every block of b is stored and is the
// node's, asking the node about the last one only: stored blocks linked
// by parent hash up to a block that is the node's are the node's too (a
// block's hash covers its parent hash).
func linkedCanonical(ctx context.Context, src Source, sink Sink, b Range, stored map[uint64]common.Hash) (bool, error) {
	lc, ok := sink.(LinkChecker)
	if !ok || uint64(len(stored)) != b.Len() {
		return false, nil
	}
	linked, err := lc.Linked(ctx, b)
	if err != nil || !linked {
		return false, err
	}
	h, err := src.Header(ctx, b.To)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading block %d of the node: %w", b.To, err)
	}
	return h.Hash == stored[b.To], nil
}
