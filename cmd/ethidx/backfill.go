package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/chsink"
	"github.com/ethidx/ethidx/indexer/rpcsource"
)

func backfillCommand() *cli.Command {
	return &cli.Command{
		Name:  "backfill",
		Usage: "load a block or date range into ClickHouse",
		UsageText: "ethidx backfill --rpc URL --from N --to M\n" +
			"ethidx backfill --rpc URL --from-date 2026-01-01 --to-date 2026-01-31 --workers 8\n" +
			"ethidx backfill --rpc URL --from 0 --to 20000000 --worker 2/4   # second of four machines\n" +
			"ethidx backfill --rpc URL --repair --from 1000 --to 2000   # reload blocks the node no longer has (verify names it)",
		Description: "Loads every block of the range that is not already recorded as complete, in\n" +
			"batches fetched and written in parallel. Safe to rerun or kill: completed\n" +
			"batches are skipped, and rewriting a batch changes nothing.\n\n" +
			"--worker i/N splits the range between N processes, one a machine, writing to one\n" +
			"ClickHouse server (on one machine, --workers does the same in one process): the\n" +
			"range is cut into batches of --batch blocks from --from, and worker i loads\n" +
			"batches i, i+N, i+2N, ... Give every worker the same range and --batch, or the\n" +
			"shares overlap and leave holes. A worker that failed or was killed is resumed by\n" +
			"running the same command again: it skips the batches of its share recorded as\n" +
			"complete and loads the rest. The range is complete when all N have exited 0;\n" +
			"`ethidx status` then shows it as one range with no gap.\n" +
			"deploy/kubernetes/backfill-job.yaml runs N workers as a Kubernetes Job.",
		Flags: append(own(
			fromFlag, toFlag, fromDateFlag, toDateFlag, tracesFlag,
			&cli.StringFlag{Name: "worker", Usage: "i/N: load share i (1-based) of N: batches i, i+N, i+2N, ... of the range; rerun to resume"},
			&cli.BoolFlag{Name: "repair", Usage: "first check the stored blocks' hashes against the node and reload from the first that differs (the repair `ethidx verify` names)"},
		), groups(catStorage, catNode, catLoading, catLogging)...),
		Action: runBackfill,
	}
}

func runBackfill(c *cli.Context) error {
	shard, shards, err := parseWorker(c.String("worker"))
	if err != nil {
		return err
	}
	if c.Bool("repair") && shards > 1 {
		return badInput("--repair checks the whole range in one process: give it without --worker")
	}
	src, r, err := sourceAndRange(c, nil)
	if err != nil {
		return err
	}
	defer src.Close()
	// A backfill is also the repair of lost base rows: it opens a damaged
	// store, reloads the batches whose rows are missing, and fails unless
	// the store is whole afterwards.
	st, err := openStore(c, false, endpointConfig{allowDamage: true})
	if err != nil {
		return err
	}
	defer st.Close()

	sink := chsink.New(st.Conn)
	if err := bindChain(c, src, sink); err != nil {
		return err
	}
	// Backfills over one range, and a follower, never write the same
	// batch at once: each takes the batches no other live writer holds.
	claims := chsink.NewClaims(st.Conn, "backfill")
	// Held until stopClaims, not until SIGTERM: a write already begun
	// finishes after it (indexer's storeRange), still holding its blocks.
	stopClaims := claims.Start(context.WithoutCancel(c.Context))
	defer stopClaims()
	prog := newProgress("backfill")
	start := time.Now()
	opts := indexer.BackfillOptions{
		Range: r, BatchSize: c.Uint64("batch"), Workers: c.Int("workers"),
		Shard: shard, Shards: shards, Progress: prog, Logger: slog.Default(), Claims: claims,
	}
	var stats indexer.BackfillStats
	if c.Bool("repair") {
		var rs indexer.RepairStats
		rs, err = indexer.Repair(c.Context, src, sink, opts)
		stats = rs.BackfillStats
		if rs.Found {
			slog.Info("repaired stored blocks that were not the node's", "checked", rs.Checked, "first_stale", rs.Stale)
		} else if err == nil {
			slog.Info("every stored block of the range is the node's", "checked", rs.Checked)
		}
	} else {
		stats, err = indexer.Backfill(c.Context, src, sink, opts)
	}
	prog.Finish()
	secs := time.Since(start).Seconds()
	done := []any{"range", r.String(), "blocks", stats.Blocks, "transactions", stats.Transactions,
		"logs", stats.Logs, "skipped_blocks", stats.Skipped, "seconds", fmt.Sprintf("%.1f", secs),
		"tx_per_s", fmt.Sprintf("%.0f", float64(stats.Transactions)/secs)}
	if shards > 1 {
		// The logs of N workers of one range, side by side, say whose is whose.
		done = append(done, "worker", fmt.Sprintf("%d/%d", shard+1, shards))
	}
	if err != nil {
		// What was loaded stays loaded, and a rerun skips it.
		slog.Warn("backfill stopped before the end of its range", done...)
		if c.Context.Err() != nil {
			return fmt.Errorf("interrupted; rerun the same command to resume: %w", err)
		}
		return chainMismatch(err)
	}
	slog.Info("backfill finished", done...)
	if err := st.AfterRepair(c.Context, r, false); err != nil {
		return err
	}
	// The daily figures of a month of mainnet take seconds to cache.
	return st.RefreshThen(c.Context, step("caching the daily figures of the loaded days"))
}

// sourceAndRange reads the range and node flags, connects to the node
// and resolves the range to blocks it has.
func sourceAndRange(c *cli.Context, onError func(error)) (*rpcsource.Source, indexer.Range, error) {
	rf, err := parseRange(c)
	if err != nil {
		return nil, indexer.Range{}, err
	}
	opts, err := nodeOptions(c)
	if err != nil {
		return nil, indexer.Range{}, err
	}
	opts.OnError = onError
	src, err := openSource(c.Context, opts)
	if err != nil {
		return nil, indexer.Range{}, err
	}
	r, err := rf.resolve(c.Context, src)
	return src, r, err
}

// rangeFlags is --from/--to or --from-date/--to-date as given: blocks, or
// UTC days that the node turns into blocks.
type rangeFlags struct {
	blocks   *indexer.Range // --from/--to; nil for days
	from, to time.Time      // --from-date/--to-date
}

// parseRange reads the range flags, before any network use.
func parseRange(c *cli.Context) (rangeFlags, error) {
	byBlock := c.IsSet("from") || c.IsSet("to")
	byDate := c.IsSet("from-date") || c.IsSet("to-date")
	switch {
	case byBlock && byDate:
		return rangeFlags{}, badInput("give --from/--to or --from-date/--to-date, not both")
	case byBlock:
		from, err := parseBlock("--from", c.String("from"))
		if err != nil {
			return rangeFlags{}, err
		}
		to, err := parseBlock("--to", c.String("to"))
		if err != nil {
			return rangeFlags{}, err
		}
		if to < from {
			return rangeFlags{}, badInput("--to %d is before --from %d", to, from)
		}
		return rangeFlags{blocks: &indexer.Range{From: from, To: to}}, nil
	case byDate:
		from, err := parseDate("--from-date", c.String("from-date"))
		if err != nil {
			return rangeFlags{}, err
		}
		to, err := parseDate("--to-date", c.String("to-date"))
		if err != nil {
			return rangeFlags{}, err
		}
		if to.Before(from) {
			return rangeFlags{}, badInput("--to-date %s is before --from-date %s", c.String("to-date"), c.String("from-date"))
		}
		return rangeFlags{from: from, to: to}, nil
	}
	return rangeFlags{}, badInput("give a range: --from N --to M, or --from-date D --to-date D")
}

// resolve turns the range into blocks, checking the node has them.
func (rf rangeFlags) resolve(ctx context.Context, src indexer.Source) (indexer.Range, error) {
	head, err := src.Head(ctx, indexer.Latest)
	if err != nil {
		return indexer.Range{}, fmt.Errorf("reading the node's head: %w", err)
	}
	var r indexer.Range
	if rf.blocks != nil {
		r = *rf.blocks
	} else {
		days, err := indexer.DateRange(ctx, src, rf.from, rf.to, head.Number)
		if err != nil {
			return r, err
		}
		// With the blocks on either side, which make the first and last
		// days complete.
		r = days.WithNeighbours(head.Number)
		slog.Info("dates resolved", "from_date", rf.from.Format(time.DateOnly), "to_date", rf.to.Format(time.DateOnly),
			"days_blocks", days.String(), "blocks", r.String())
	}
	if r.To > head.Number {
		return r, fmt.Errorf("block %d is beyond the node's head %d: the node is behind or not synced; wait, or lower --to", r.To, head.Number)
	}
	if fin, err := src.Head(ctx, indexer.Finalized); err == nil && r.To > fin.Number {
		slog.Warn("range reaches past the finalized block; a reorg could change those blocks later (use follow to track the head)",
			"to", r.To, "finalized", fin.Number)
	}
	return r, nil
}

func parseBlock(flag, s string) (uint64, error) {
	if s == "" {
		return 0, badInput("%s is required with a block range", flag)
	}
	n, err := strconv.ParseUint(strings.ReplaceAll(s, "_", ""), 0, 64)
	if err != nil {
		return 0, badInput("%s %q: want a block number", flag, s)
	}
	return n, nil
}

func parseDate(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, badInput("%s is required with a date range", flag)
	}
	t, err := time.ParseInLocation(time.DateOnly, s, time.UTC)
	if err != nil {
		return time.Time{}, badInput("%s %q: want a UTC date YYYY-MM-DD", flag, s)
	}
	return t, nil
}

// parseWorker reads --worker i/N (1-based) into a 0-based shard.
func parseWorker(s string) (shard, shards int, err error) {
	if s == "" {
		return 0, 1, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return 0, 0, badInput("--worker %q: want i/N with 1 <= i <= N, e.g. 1/4", s)
	}
	return i - 1, n, nil
}
