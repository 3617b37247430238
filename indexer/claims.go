package indexer

import (
	"context"
	"fmt"
	"time"
)

// Claims divides block ranges between the writers of one store, so that a
// range is written by one writer at a time: a second follower refuses,
// and backfills over one range take different batches. Claims live while
// their writer does; a writer that dies leaves claims that expire.
type Claims interface {
	// Claim takes r for this writer, or returns a *ClaimedError naming
	// the live writer that holds an overlapping range.
	Claim(ctx context.Context, r Range) error
	// Release gives r back, loaded.
	Release(ctx context.Context, r Range) error
	// Abandon gives r back unfinished: rows of it may be stored, outside
	// every completed range, until r is loaded again.
	Abandon(ctx context.Context, r Range) error
}

// ClaimedError says another live writer holds (part of) a range.
type ClaimedError struct {
	Range  Range  // the range asked for
	Holder string // who holds it: kind, host, pid and since when
	Kind   string // the holder's kind of writer: follow, backfill
	Held   Range  // the holder's range
}

func (e *ClaimedError) Error() string {
	return fmt.Sprintf("blocks %s are being written by another ethidx (%s, claiming %s)", e.Range, e.Holder, e.Held)
}

// claimPoll is how often a backfill looks again at batches another writer
// holds.
var claimPoll = 2 * time.Second
