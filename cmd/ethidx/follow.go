package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/chsink"
	"github.com/ethidx/ethidx/indexer/rpcsource"
)

func followCommand() *cli.Command {
	return &cli.Command{
		Name:  "follow",
		Usage: "keep ClickHouse at the chain head through reorgs",
		UsageText: "ethidx follow --rpc URL                      # run until SIGTERM\n" +
			"ethidx follow --rpc URL --once               # catch up and exit 0 (cron, systemd timer, CronJob)\n" +
			"ethidx follow --rpc ws://node:8546 --finality latest --confirmations 2 --metrics-addr :9100",
		Description: "Resumes after the last completed block (or --start N on an empty store),\n" +
			"catches up in parallel when far behind, then loads block by block. Every block's\n" +
			"parent hash is checked against what is stored; on a mismatch the orphaned blocks'\n" +
			"rows are removed from every table and the canonical ones loaded.",
		Flags: append(own(tracesFlag,
			&cli.StringFlag{Name: "metrics-addr", Usage: "serve Prometheus /metrics, /healthz and /readyz on host:port (empty = off; no host, as in :9100, = 127.0.0.1; 0.0.0.0:9100 for every interface)"},
			&cli.StringFlag{Name: "start", Usage: "first block when nothing is stored yet (default: the horizon)"},
			&cli.StringFlag{Name: "finality", Usage: "finalized, safe or latest", Value: "finalized"},
			&cli.Uint64Flag{Name: "confirmations", Usage: "with --finality latest: stay N blocks behind the head"},
			&cli.BoolFlag{Name: "once", Usage: "catch up to the horizon, then exit 0"},
			&cli.DurationFlag{Name: "poll", Usage: "how often to poll for a new head (websocket URLs also subscribe to newHeads)", Value: time.Second},
			&cli.DurationFlag{Name: "refresh", Usage: "how often to cache the daily figures of changed days (and, with --metrics-addr, re-read the store gauges)", Value: time.Minute},
			&cli.Uint64Flag{Name: "ready-lag", Usage: "/readyz fails when more than this many blocks behind the horizon", Value: 64},
		), groups(catStorage, catNode, catLoading, catLogging)...),
		Action: runFollow,
	}
}

func runFollow(c *cli.Context) error {
	fin, err := indexer.ParseFinality(c.String("finality"))
	if err != nil {
		return badInput("--finality: %v", err)
	}
	if c.IsSet("confirmations") && fin != indexer.Latest {
		return badInput("--confirmations applies only with --finality latest")
	}
	if c.Duration("poll") <= 0 {
		return badInput("--poll must be positive")
	}
	if c.Duration("refresh") <= 0 {
		return badInput("--refresh must be positive")
	}
	if addr := c.String("metrics-addr"); addr != "" {
		if err := checkListenAddr("--metrics-addr", addr); err != nil {
			return err
		}
	}
	var start *uint64
	if c.IsSet("start") {
		n, err := parseBlock("--start", c.String("start"))
		if err != nil {
			return err
		}
		start = &n
	}
	m := newFollowMetrics(c.Uint64("ready-lag"), c.Duration("poll"))
	node, err := nodeOptions(c)
	if err != nil {
		return err
	}
	node.OnError = func(error) { m.rpcErrors.Inc() }
	src, err := openSource(c.Context, node)
	if err != nil {
		return err
	}
	defer src.Close()
	st, err := openStore(c, false, endpointConfig{allowUnfinished: true})
	if err != nil {
		return err
	}
	defer st.Close()
	sink := chsink.New(st.Conn)
	// One follower per store: a second one refuses before writing.
	claims := chsink.NewClaims(st.Conn, "follow")
	if err := claimFollow(c, sink, claims, start); err != nil {
		return err
	}
	// Held until stopClaims, not until SIGTERM: a write already begun
	// finishes after it (indexer's storeRange), still holding its blocks.
	stopClaims := claims.Start(context.WithoutCancel(c.Context))
	defer stopClaims()

	metricsOn := c.String("metrics-addr") != ""
	if metricsOn {
		actual, err := m.serve(c.Context, c.String("metrics-addr"))
		if err != nil {
			return err
		}
		slog.Info("metrics and health endpoints", "addr", actual)
		go m.refreshStatus(c.Context, st, src)
	}
	opts := indexer.FollowOptions{
		Finality: fin, Confirmations: c.Uint64("confirmations"), Start: start,
		Once: c.Bool("once"), Poll: c.Duration("poll"), Heads: rpcsource.Heads(c.Context, node.URLs, slog.Default()),
		BatchSize: c.Uint64("batch"), Workers: c.Int("workers"),
		Progress: newProgress("follow"), Observer: m, Logger: slog.Default(),
	}
	if !opts.Once {
		go func() {
			for {
				select {
				case <-c.Context.Done():
					return
				case <-time.After(c.Duration("refresh")):
					_ = st.Refresh(c.Context) // the follower's own steps fail on a lost store
					// The store gauges follow the day cache's rhythm:
					// cheap, and fresh right after the cache changed.
					if metricsOn {
						m.refreshStatus(c.Context, st, src)
					}
				}
			}
		}()
	}
	// The node may be down at start: the chain is bound within the retries.
	opts.Setup = func(context.Context) error { return bindChain(c, src, sink) }
	if !opts.Once {
		// A long-running follower outlives node trouble; a node of the
		// wrong chain (bad input) is not mended by retrying.
		opts.Retry = &indexer.Retry{
			Min: time.Second, Max: time.Minute,
			Permanent: func(err error) bool {
				var bad usageError
				return errors.As(chainMismatch(err), &bad) || st.OwnerGone(c.Context)
			},
			OnError: func(err error, wait time.Duration) {
				f := m.stepFailed(err)
				var be *indexer.BlockError
				if errors.As(err, &be) && be.Proof {
					// The node will answer the same way: say so plainly,
					// each time, with how long it has lasted.
					slog.Error("the node keeps sending a block that fails verification; not ready until it changes",
						"block", be.Number, "attempts", f.times, "since", f.since.UTC().Format(time.RFC3339),
						"next_attempt_in", wait.String(), "verify", node.Proof.String())
				}
			},
		}
	}
	err = chainMismatch(indexer.Follow(c.Context, src, sink, opts))
	if err != nil {
		if st.OwnerGone(c.Context) {
			return fmt.Errorf("lost the connection to the store%s: %w", st.SharedNote(), err)
		}
		return err
	}
	if opts.Once && c.Context.Err() == nil {
		if err := st.Refresh(c.Context); err != nil {
			return err
		}
	}
	logStopped(c.Context, sink)
	return nil
}

// reorgReach is how far below the stored tip a follower's claim reaches.
const reorgReach = 1024

// claimFollow claims the blocks from the stored tip on (or from --start,
// or all, in an empty store) for this follower, and refuses if another
// live follower, or a backfill of those blocks, holds them.
func claimFollow(c *cli.Context, sink *chsink.Sink, claims *chsink.Claims, start *uint64) error {
	for {
		done, err := sink.Done(c.Context)
		if err != nil {
			return err
		}
		from := uint64(0)
		switch {
		case len(done) > 0:
			from = done[len(done)-1].To + 1
		case start != nil:
			from = *start
		}
		// From a little below the tip: a reorg repair rewrites up to that
		// many stored blocks, and they are this follower's to write too.
		err = claims.Claim(c.Context, indexer.Range{From: from - min(from, reorgReach), To: math.MaxUint64})
		var held *indexer.ClaimedError
		if !errors.As(err, &held) {
			return err
		}
		if held.Kind == "follow" {
			return fmt.Errorf("another ethidx follow is writing this store (%s): one follower per store; "+
				"stop that one first, or follow into another --database", held.Holder)
		}
		// A backfill loading blocks past the stored tip: let it finish them.
		slog.Info("a backfill is loading blocks this follower would write; waiting for it", "holder", held.Holder, "blocks", held.Held.String())
		select {
		case <-c.Context.Done():
			return c.Context.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

// logStopped logs the stored tip as the store has it: a follower stopped
// in the middle of a reorg repair has removed blocks its last event still
// counted.
func logStopped(ctx context.Context, sink *chsink.Sink) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	done, err := sink.Done(ctx)
	switch {
	case err != nil:
		slog.Warn("follow stopped; the stored tip could not be read", "err", err)
	case len(done) == 0:
		slog.Info("follow stopped", "indexed_block", "none")
	default:
		tip := done[len(done)-1].To
		// A write cut off (after finishWithin, or by a failure) leaves
		// rows past the tip: remove them now rather than at the next start.
		if past, err := sink.RowsPast(ctx, tip+1); err == nil && past {
			if err := sink.Rewind(ctx, tip+1); err != nil {
				slog.Warn("removing the rows of the interrupted step; the next follow removes them", "from", tip+1, "err", err)
			}
		}
		slog.Info("follow stopped", "indexed_block", tip)
	}
}
