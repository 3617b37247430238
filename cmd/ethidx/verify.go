package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/urfave/cli/v2"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/chsink"
)

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "audit a stored range against the node: completeness and consistency",
		UsageText: "ethidx verify --rpc URL --from 19000000 --to 19001000",
		Description: "For every block of the range: is it stored, with the canonical hash, and with\n" +
			"exactly as many transaction, log and withdrawal rows as the node reports?\n" +
			"Prints each problem; exits 1 if there is any, naming the repair: a backfill --repair\n" +
			"of the range, which reloads from the first stored block that is not the node's.",
		Flags: append(append(own(fromFlag, toFlag, tracesFlag),
			groups(catStorage, catNode, catLogging)...), shared("batch")...),
		Action: func(c *cli.Context) error {
			if !c.IsSet("from") || !c.IsSet("to") {
				return badInput("give the range to verify: --from N --to M")
			}
			src, r, err := sourceAndRange(c, nil)
			if err != nil {
				return err
			}
			defer src.Close()
			st, err := openInspectStore(c)
			if err != nil {
				return err
			}
			defer st.Close()
			sink := chsink.New(st.Conn)
			if err := sameChain(c, src, sink); err != nil {
				return err
			}
			if err := anyStored(c.Context, sink, r); err != nil {
				return err
			}
			prog := newProgress("verify")
			started := time.Now()
			problems, err := indexer.Verify(c.Context, src, st, r, c.Uint64("batch"), prog)
			prog.Finish()
			if err != nil {
				return err
			}
			// For `ethidx status`; the audit's answer stands without it
			// (a read-only user cannot record one).
			if err := sink.RecordVerify(c.Context, r, len(problems), started); err != nil {
				slog.Warn("could not record the verify run for ethidx status", "err", err)
			}
			for _, p := range problems {
				fmt.Println(p)
			}
			if len(problems) > 0 {
				from := problems[0].Block
				for _, p := range problems {
					from = min(from, p.Block)
				}
				return fmt.Errorf("%d problems in blocks %s; repair: %s", len(problems), r,
					commandLine(c, "backfill", "--rpc", "URL", "--repair", "--from", fmt.Sprint(from), "--to", fmt.Sprint(r.To)))
			}
			slog.Info("verified", "blocks", r.String(), "problems", 0)
			fmt.Printf("blocks %s: all present, canonical and complete\n", r)
			return nil
		},
	}
}

// anyStored refuses a range of which no block was ever stored, before the
// node is asked for every one of its blocks.
func anyStored(ctx context.Context, sink *chsink.Sink, r indexer.Range) error {
	done, err := sink.DoneWithin(ctx, r)
	if err != nil || len(done) > 0 {
		return err
	}
	// Not recorded as loaded: blocks of an unfinished load, if any.
	stored, err := sink.Hashes(ctx, r.From, r.To)
	if err != nil || len(stored) > 0 {
		return err
	}
	return fmt.Errorf("blocks %s: none is stored, so there is nothing to verify; load them first: ethidx backfill --rpc URL --from %d --to %d", r, r.From, r.To)
}

// sameChain refuses a node of another chain than the store's (another
// genesis under the same id): its blocks are not a repair of the store's,
// and no backfill --repair would take them.
func sameChain(c *cli.Context, src indexer.Source, sink *chsink.Sink) error {
	id, genesis, ok, err := sink.Chain(c.Context)
	if err != nil || !ok || genesis == (common.Hash{}) {
		return err
	}
	g, err := src.Header(c.Context, 0)
	if errors.Is(err, indexer.ErrNotFound) {
		return nil // a node without block 0: nothing to compare
	}
	if err != nil {
		return fmt.Errorf("reading the node's genesis block: %w", err)
	}
	if g.Hash != genesis {
		return badInput("%v", &chsink.ChainMismatchError{Stored: id, Node: id, StoredGenesis: genesis, NodeGenesis: g.Hash})
	}
	return nil
}
