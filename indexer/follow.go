package indexer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// Observer receives the follower's events; the CLI turns them into
// Prometheus metrics. Every method must be cheap and safe for concurrent use.
type Observer interface {
	Head(h Header)    // the horizon the follower aims at
	Indexed(h Header) // the newest stored block
	// Wrote reports one write and how long it took; d is 0 for a parallel
	// catch-up, whose writes overlap and have no single latency.
	Wrote(blocks, txs int, d time.Duration)
	Reorg(depth uint64, oldHash, newHash common.Hash)
}

// FollowOptions configures Follow. Zero values take the defaults.
type FollowOptions struct {
	Finality      Finality // default Finalized
	Confirmations uint64   // with Latest: stay this many blocks behind the head
	// Start is the first block to load when nothing is stored yet (default:
	// the horizon at startup, so a new follower does not backfill history).
	Start *uint64
	Once  bool          // catch up to the horizon, then return
	Poll  time.Duration // how often to ask for the head (default 1s)
	// Heads, if set, wakes the follower early (e.g. a newHeads subscription).
	Heads     <-chan struct{}
	BatchSize uint64 // blocks per write (DefaultBatchSize)
	// CatchUp is the lag, in blocks, past which the follower loads with
	// Backfill's parallel workers instead of block by block (default 1000).
	CatchUp  uint64
	Workers  int
	Progress Progress
	Observer Observer
	Logger   *slog.Logger
	// Setup, if set, runs before the first step, within the retries: e.g.
	// tying the store to the node's chain, when the node may be down at
	// start.
	Setup func(ctx context.Context) error
	// Retry, if set and not Once, keeps the follower running through
	// failures: a long-running follower outlives node and storage trouble.
	Retry *Retry
}

// Retry is how Follow supervises itself: after a failure it logs, waits
// and resumes from what is stored, the wait doubling from Min to Max and
// starting over after a run that stored blocks before it failed.
type Retry struct {
	Min, Max time.Duration // defaults 1s and 1m
	// Permanent reports an error retrying cannot mend (e.g. a node of
	// another chain); Follow returns it.
	Permanent func(error) bool
	// OnError is told each failure that is retried, and the wait before
	// the next attempt (e.g. to count it in metrics).
	OnError func(err error, wait time.Duration)
}

func (o *FollowOptions) setDefaults() {
	if o.Finality == "" {
		o.Finality = Finalized
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.BatchSize == 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.CatchUp == 0 {
		o.CatchUp = 1000
	}
	if o.Observer == nil {
		o.Observer = nopObserver{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// errReorg is control flow: the stored tip is not the parent of the next
// canonical block.
var errReorg = errors.New("reorg")

// Follow keeps the sink at the chain's horizon (the newest block at the
// chosen finality, less confirmations) until ctx ends, or once with
// opt.Once. It resumes after the highest completed range; rows a crashed
// writer left past it are removed first, so a restart never keeps a
// half-written or orphaned block.
//
// With opt.Retry, Follow returns only when ctx ends (nil) or on a
// permanent error.
func Follow(ctx context.Context, src Source, sink Sink, opt FollowOptions) error {
	opt.setDefaults()
	if opt.Retry == nil || opt.Once {
		_, err := follow(ctx, src, sink, &opt)
		return err
	}
	r := *opt.Retry
	if r.Min <= 0 {
		r.Min = time.Second
	}
	if r.Max <= 0 {
		r.Max = time.Minute
	}
	r.Max = max(r.Max, r.Min)
	wait := r.Min
	for {
		progressed, err := follow(ctx, src, sink, &opt)
		if err == nil || ctx.Err() != nil {
			return nil
		}
		if r.Permanent != nil && r.Permanent(err) {
			return err
		}
		if progressed {
			wait = r.Min // it worked for a while: this is new trouble
		}
		opt.Logger.Error("follow step failed; retrying", "err", err, "in", wait.String())
		if r.OnError != nil {
			r.OnError(err, wait)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(wait*2, r.Max)
	}
}

// follow runs the follower once, until ctx ends, opt.Once is satisfied or
// a step fails, and reports whether it stored any block. Setup, once it
// succeeds, is not run again.
func follow(ctx context.Context, src Source, sink Sink, opt *FollowOptions) (progressed bool, err error) {
	if opt.Setup != nil {
		if err := opt.Setup(ctx); err != nil {
			return false, err
		}
		opt.Setup = nil
	}
	f := &follower{src: src, sink: sink, opt: *opt, log: opt.Logger}
	if err := f.resume(ctx); err != nil {
		return false, err
	}
	first := f.next
	for {
		caughtUp, err := f.step(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return f.next > first, nil // shutdown mid-step: nothing recorded past the last complete write
			}
			return f.next > first, err
		}
		if caughtUp && opt.Once {
			return f.next > first, nil
		}
		if !caughtUp {
			continue
		}
		select {
		case <-ctx.Done():
			return f.next > first, nil
		case <-opt.Heads:
		case <-time.After(opt.Poll):
		}
	}
}

type follower struct {
	src  Source
	sink Sink
	opt  FollowOptions
	log  *slog.Logger
	next uint64 // first block not yet stored
	tip  *Header
}

// rowCleaner is implemented by sinks that can tell whether rows exist past
// a block; without it the follower rewinds unconditionally.
type rowCleaner interface {
	RowsPast(ctx context.Context, from uint64) (bool, error)
}

func (f *follower) resume(ctx context.Context) error {
	done, err := f.sink.Done(ctx)
	if err != nil {
		return err
	}
	if len(done) == 0 {
		if f.opt.Start != nil {
			f.next = *f.opt.Start
		} else {
			h, err := f.horizon(ctx)
			if err != nil {
				return err
			}
			f.next = h.Number
		}
		f.log.Info("follow: starting fresh", "block", f.next)
	} else {
		last := done[len(done)-1]
		f.next = last.To + 1
		hashes, err := f.sink.Hashes(ctx, last.To, last.To)
		if err != nil {
			return err
		}
		if h, ok := hashes[last.To]; ok {
			f.tip = &Header{Number: last.To, Hash: h}
			f.observeIndexed(ctx, *f.tip)
		}
		f.log.Info("follow: resuming", "block", f.next)
	}
	return f.clean(ctx)
}

// clean removes rows past the stored tip (a crashed write's leftovers).
func (f *follower) clean(ctx context.Context) error {
	if rc, ok := f.sink.(rowCleaner); ok {
		past, err := rc.RowsPast(ctx, f.next)
		if err != nil || !past {
			return err
		}
	}
	f.log.Info("follow: removing rows past the last completed block", "from", f.next)
	return f.sink.Rewind(ctx, f.next)
}

func (f *follower) horizon(ctx context.Context) (Header, error) {
	h, err := f.src.Head(ctx, f.opt.Finality)
	if err != nil {
		return Header{}, fmt.Errorf("reading %s head: %w", f.opt.Finality, err)
	}
	if f.opt.Finality == Latest && f.opt.Confirmations > 0 {
		if h.Number < f.opt.Confirmations {
			return Header{}, nil
		}
		if h, err = f.src.Header(ctx, h.Number-f.opt.Confirmations); err != nil {
			return Header{}, fmt.Errorf("reading horizon header: %w", err)
		}
	}
	return h, nil
}

// step loads the next stretch toward the horizon and reports whether the
// follower has caught up.
func (f *follower) step(ctx context.Context) (bool, error) {
	h, err := f.horizon(ctx)
	if err != nil {
		return false, err
	}
	f.opt.Observer.Head(h)
	if h.Number < f.next {
		reorged, err := f.checkTip(ctx, h)
		return !reorged, err
	}
	if lag := h.Number - f.next + 1; lag > f.opt.CatchUp && f.opt.Finality != Latest {
		// Far behind, on settled blocks: load in parallel like a backfill,
		// leaving the last batch for the sequential path, which checks the
		// seam against the stored tip.
		r := Range{f.next, h.Number - f.opt.BatchSize}
		stats, err := Backfill(ctx, f.src, f.sink, BackfillOptions{
			Range: r, BatchSize: f.opt.BatchSize, Workers: f.opt.Workers,
			Progress: f.opt.Progress, Logger: f.log,
		})
		if err != nil {
			return false, err
		}
		f.opt.Observer.Wrote(int(stats.Blocks), int(stats.Transactions), 0)
		return false, f.afterCatchUp(ctx, r)
	}
	to := min(h.Number, f.next+f.opt.BatchSize-1)
	start := time.Now()
	blocks, err := f.src.Blocks(ctx, f.next, to)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return true, nil // the node's view moved under us; ask again
		}
		return false, fmt.Errorf("fetching blocks %d-%d: %w", f.next, to, err)
	}
	if f.tip != nil && blocks[0].ParentHash != f.tip.Hash {
		return false, f.reorg(ctx)
	}
	if err := storeRange(ctx, f.sink, blocks, Range{f.next, to}); err != nil {
		return false, err
	}
	txs := 0
	for _, b := range blocks {
		txs += len(b.Transactions)
	}
	last := blocks[len(blocks)-1].Header()
	f.tip, f.next = &last, to+1
	f.opt.Observer.Wrote(len(blocks), txs, time.Since(start))
	f.opt.Observer.Indexed(last)
	if f.opt.Progress != nil {
		f.opt.Progress.Add(len(blocks), txs)
	}
	return to == h.Number, nil
}

// checkTip, when caught up under Latest, makes sure the stored tip is still
// canonical: a reorg to a chain no longer than ours shows up only here. It
// reports whether it repaired one.
func (f *follower) checkTip(ctx context.Context, horizon Header) (bool, error) {
	if f.tip == nil || f.opt.Finality != Latest {
		return false, nil
	}
	cur := horizon
	if horizon.Number != f.tip.Number {
		var err error
		cur, err = f.src.Header(ctx, f.tip.Number)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return false, fmt.Errorf("checking stored tip %d: %w", f.tip.Number, err)
		}
	}
	if cur.Hash == f.tip.Hash {
		return false, nil
	}
	return true, f.reorg(ctx)
}

func (f *follower) afterCatchUp(ctx context.Context, r Range) error {
	hashes, err := f.sink.Hashes(ctx, r.To, r.To)
	if err != nil {
		return err
	}
	h, ok := hashes[r.To]
	if !ok {
		return fmt.Errorf("block %d missing after catch-up", r.To)
	}
	f.tip, f.next = &Header{Number: r.To, Hash: h}, r.To+1
	f.observeIndexed(ctx, *f.tip)
	return nil
}

// observeIndexed reports a stored tip known only by number and hash. The
// block's time, for the lag in seconds, comes from the node when it still
// has that block; metrics never fail a step.
func (f *follower) observeIndexed(ctx context.Context, tip Header) {
	// Briefly: a node that is down must not hold a step up for metrics.
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if h, err := f.src.Header(ctx, tip.Number); err == nil && h.Hash == tip.Hash {
		tip = h
	}
	f.opt.Observer.Indexed(tip)
}

// reorg walks back from the stored tip to the newest stored block that is
// still canonical, removes everything after it, and resumes from there.
func (f *follower) reorg(ctx context.Context) error {
	tip := f.tip.Number
	fork := tip // newest common block, once found
	for {
		stored, err := f.sink.Hashes(ctx, fork, fork)
		if err != nil {
			return err
		}
		canon, err := f.src.Header(ctx, fork)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("finding fork point at %d: %w", fork, err)
		}
		if h, ok := stored[fork]; (ok && err == nil && h == canon.Hash) || !ok {
			// !ok: nothing stored here, so nothing older can conflict either.
			break
		}
		if fork == 0 {
			break
		}
		fork--
	}
	depth := tip - fork
	if depth == 0 {
		return nil
	}
	newHash := f.tipHashAt(ctx, tip)
	f.log.Warn("reorg", "depth", depth, "fork_block", fork, "old_hash", f.tip.Hash.Hex(), "new_hash", newHash.Hex())
	f.opt.Observer.Reorg(depth, f.tip.Hash, newHash)
	if err := f.sink.Rewind(ctx, fork+1); err != nil {
		return err
	}
	f.next = fork + 1
	hashes, err := f.sink.Hashes(ctx, fork, fork)
	if err != nil {
		return err
	}
	if h, ok := hashes[fork]; ok {
		f.tip = &Header{Number: fork, Hash: h}
		f.observeIndexed(ctx, *f.tip)
	} else {
		f.tip = nil
	}
	return nil
}

func (f *follower) tipHashAt(ctx context.Context, n uint64) common.Hash {
	h, err := f.src.Header(ctx, n)
	if err != nil {
		return common.Hash{}
	}
	return h.Hash
}

type nopObserver struct{}

func (nopObserver) Head(Header)                            {}
func (nopObserver) Indexed(Header)                         {}
func (nopObserver) Wrote(int, int, time.Duration)          {}
func (nopObserver) Reorg(uint64, common.Hash, common.Hash) {}
