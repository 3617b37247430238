package indexer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Progress receives counts as batches complete; the CLI draws a bar or logs.
type Progress interface {
	// Start announces the total number of blocks to load.
	Start(blocks uint64)
	// Add reports a batch written.
	Add(blocks, txs int)
}

// The defaults of BackfillOptions, and of the CLI's --batch and --workers:
// a batch of mainnet blocks is about 100-200 MB of JSON and rows, and one
// insert per table per batch keeps the engine's parts large enough that
// merging them stays a small share of loading.
const (
	DefaultBatchSize = 100
	DefaultWorkers   = 4
)

// BackfillOptions configures Backfill. Zero values take the defaults.
type BackfillOptions struct {
	Range     Range
	BatchSize uint64 // blocks per fetch and write (DefaultBatchSize)
	Workers   int    // batches in flight at once (DefaultWorkers)
	// Shard and Shards split one backfill across processes: this one takes
	// every Shards-th batch starting at Shard (0-based).
	Shard, Shards int
	Progress      Progress
	Logger        *slog.Logger
	// Claims, if set, makes each batch this writer's alone while it loads
	// it: a batch another live writer holds is left to it, and looked at
	// again once this backfill's other batches are done (loaded by then,
	// or taken over if its writer died).
	Claims Claims
}

func (o *BackfillOptions) setDefaults() {
	if o.BatchSize == 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.Shards <= 0 {
		o.Shards = 1
	}
	if o.Progress == nil {
		o.Progress = nopProgress{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// BackfillStats sums what a backfill wrote.
type BackfillStats struct {
	Blocks, Transactions, Logs uint64
	Skipped                    uint64 // blocks already complete
}

// Backfill loads every block of opt.Range that is not already recorded as
// complete. Each batch is fetched, written, and then recorded, so a rerun
// after a crash redoes at most the batches that were in flight, and writing
// them again is harmless because rows are keyed by chain position.
func Backfill(ctx context.Context, src Source, sink Sink, opt BackfillOptions) (BackfillStats, error) {
	opt.setDefaults()
	var stats BackfillStats
	if opt.Range.To < opt.Range.From {
		return stats, fmt.Errorf("range %s: end before start", opt.Range)
	}
	done, err := sink.Done(ctx)
	if err != nil {
		return stats, err
	}
	lost, err := lostBatches(ctx, sink, opt)
	if err != nil {
		return stats, err
	}
	var (
		todo               []Range
		reload, reloadBlks uint64
	)
	for _, b := range Shard(opt.Range.Split(opt.BatchSize), opt.Shard, opt.Shards) {
		missing := done.Missing(b)
		if lost[b.From] {
			missing = []Range{b}
			reload++
			reloadBlks += b.Len()
		}
		var n uint64
		for _, m := range missing {
			n += m.Len()
		}
		stats.Skipped += b.Len() - n
		todo = append(todo, missing...)
	}
	if reload > 0 {
		// Counted within this worker's share: the batches of other workers'
		// shares are theirs to reload (and, while they are being written,
		// can look short to a query racing their writes).
		opt.Logger.Warn("completed batches have lost rows; loading them again", "batches", reload, "blocks", reloadBlks)
	}
	var total uint64
	for _, r := range todo {
		total += r.Len()
	}
	opt.Progress.Start(total)
	opt.Logger.Info("backfill planned", "range", opt.Range.String(), "blocks", total,
		"skipped", stats.Skipped, "batches", len(todo), "workers", opt.Workers)

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	jobs := make(chan Range)
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs []error
	)
	var held []Range // batches another writer holds
	// Only where what this run loads meets what is stored are the seams
	// checked against the stored blocks (one read each): between its own
	// batches, the node's blocks link already.
	edges := map[uint64]bool{}
	for _, m := range Merge(todo) {
		edges[m.From], edges[m.To+1] = true, true
	}
	load := func(r Range, seams bool) {
		n, err := loadClaimed(ctx, src, sink, opt.Claims, r, lost[r.From], seams)
		mu.Lock()
		var claimed *ClaimedError
		switch {
		case errors.As(err, &claimed):
			held = append(held, r)
			mu.Unlock()
			opt.Logger.Debug("batch held by another writer; leaving it to that one for now", "batch", r.String(), "holder", claimed.Holder)
			return
		case err != nil:
			errs = append(errs, err)
			mu.Unlock()
			cancel(err)
			return
		}
		stats.Blocks += uint64(n.blocks)
		stats.Skipped += r.Len() - uint64(n.blocks) // completed by another writer meanwhile
		stats.Transactions += uint64(n.txs)
		stats.Logs += uint64(n.logs)
		mu.Unlock()
		opt.Progress.Add(int(r.Len()), n.txs)
	}
	for w := 0; w < min(opt.Workers, len(todo)); w++ { // no idle workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range jobs {
				load(r, edges[r.From] || edges[r.To+1])
			}
		}()
	}
feed:
	for _, r := range todo {
		select {
		case jobs <- r:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	// The batches other writers held: wait until they are recorded as
	// complete, loading any whose writer gave them up unfinished.
	if len(held) > 0 {
		opt.Logger.Info("another writer holds batches of this range; waiting for them", "batches", len(held),
			"first", held[0].String())
	}
	for len(held) > 0 && len(errs) == 0 && ctx.Err() == nil {
		select {
		case <-ctx.Done():
			continue
		case <-time.After(claimPoll):
		}
		done, err := sink.Done(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("waiting for batches another writer holds: %w", err))
			break
		}
		var still []Range
		for _, r := range held {
			still = append(still, done.Missing(r)...)
		}
		held = nil
		for _, r := range still {
			load(r, true) // next to what the other writer stored
		}
	}
	if len(errs) > 0 {
		return stats, errs[0]
	}
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return stats, err
	}
	return stats, ctx.Err()
}

// lostBatches asks a RowAuditor sink which batches of the range recorded as
// complete have lost rows, keyed by their first block.
func lostBatches(ctx context.Context, sink Sink, opt BackfillOptions) (map[uint64]bool, error) {
	a, ok := sink.(RowAuditor)
	if !ok {
		return nil, nil
	}
	bad, err := a.Incomplete(ctx, opt.Range, opt.BatchSize)
	if err != nil {
		return nil, err
	}
	lost := map[uint64]bool{}
	for _, b := range bad {
		lost[b.From] = true
	}
	return lost, nil
}

type counts struct{ blocks, txs, logs int }

// loadClaimed is loadRange under a claim on r, when claims are kept.
// Unless reload (a batch recorded as complete whose rows were lost), only
// what is still not complete once the claim is held is loaded.
//
// seams says whether r meets stored blocks, whose links to it are checked.
func loadClaimed(ctx context.Context, src Source, sink Sink, claims Claims, r Range, reload, seams bool) (counts, error) {
	if claims == nil {
		return loadRange(ctx, src, sink, r, seams)
	}
	if err := claims.Claim(ctx, r); err != nil {
		return counts{}, err
	}
	// Another writer may have completed (part of) r since this backfill
	// planned it: load only what is still missing.
	var done Ranges
	var err error
	switch w, ok := sink.(doneWithin); {
	case reload:
	case ok:
		done, err = w.DoneWithin(ctx, r)
	default:
		done, err = sink.Done(ctx)
	}
	var n counts
	if err == nil {
		for _, m := range done.Missing(r) {
			var c counts
			// A part of r another writer completed meanwhile is stored
			// next to what is left.
			c, err = loadRange(ctx, src, sink, m, seams || m != r)
			n.blocks, n.txs, n.logs = n.blocks+c.blocks, n.txs+c.txs, n.logs+c.logs
			if err != nil {
				break
			}
		}
	}
	if err != nil {
		// On a context of its own: the load may have failed because ctx
		// ended. If this fails too, the claim expires, dead all the same.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		_ = claims.Abandon(actx, r)
		cancel()
		return n, err
	}
	return n, claims.Release(ctx, r)
}

// doneWithin is a Sink that reads the completed ranges of one range
// without reading them all.
type doneWithin interface {
	DoneWithin(ctx context.Context, r Range) (Ranges, error)
}

// loadRange fetches, writes and records one range; with seams, only once
// its blocks link to the stored ones either side.
func loadRange(ctx context.Context, src Source, sink Sink, r Range, seams bool) (counts, error) {
	var c counts
	blocks, err := src.Blocks(ctx, r.From, r.To)
	if err != nil {
		return c, fmt.Errorf("fetching blocks %s: %w", r, err)
	}
	if seams {
		if err := checkSeams(ctx, sink, r, blocks); err != nil {
			return c, err
		}
	}
	if err := storeRange(ctx, sink, blocks, r); err != nil {
		return c, err
	}
	c.blocks = len(blocks)
	for _, b := range blocks {
		c.txs += len(b.Transactions)
		c.logs += len(b.Logs)
	}
	return c, nil
}

type nopProgress struct{}

func (nopProgress) Start(uint64) {}
func (nopProgress) Add(int, int) {}
