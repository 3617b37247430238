package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/chsink"
	"github.com/ethidx/ethidx/queries/daycache"
)

func rebuildCommand() *cli.Command {
	return &cli.Command{
		Name:  "rebuild",
		Usage: "derive the address tables and daily cache again from the stored transactions",
		UsageText: "ethidx rebuild                 # everything\n" +
			"ethidx rebuild --from 19000000  # appearances from this block on",
		Description: "The address tables behind active and new addresses are kept by materialized\n" +
			"views as blocks arrive, and repaired on reorgs; this recomputes them from the\n" +
			"stored transactions of blocks >= --from, after a manual edit, a restore or an\n" +
			"upgrade that changed how they are derived. Rows of earlier first appearances\n" +
			"stand. The cached daily figures from that block's day on are dropped and\n" +
			"computed again. While it runs, figures for those days may read low; stop\n" +
			"followers and backfills of this database first, since a reorg repaired\n" +
			"meanwhile could be undone by the rebuild's reads.",
		Flags: append(own(
			&cli.StringFlag{Name: "from", Usage: "first block whose appearances are derived again", Value: "0"},
		), groups(catStorage, catLogging)...),
		Action: func(c *cli.Context) error {
			from, err := parseBlock("--from", c.String("from"))
			if err != nil {
				return err
			}
			st, err := openStore(c, false, endpointConfig{allowDamage: true})
			if err != nil {
				return err
			}
			defer st.Close()
			if st.Damage.Base() {
				// Derived tables computed from incomplete transactions
				// would be wrong: repair the base rows first.
				return st.Damage.Err()
			}
			n, first, err := chsink.New(st.Conn).BlocksFrom(c.Context, from)
			if err != nil {
				return fmt.Errorf("finding block %d's day: %w", from, err)
			}
			if n == 0 {
				return badInput("no stored block is numbered %d or above: nothing to rebuild", from)
			}
			start := time.Now()
			// The cached days go before (views compute them live while the
			// tables are rebuilt) and again after: a refresh by another
			// process meanwhile could have cached figures read mid-rebuild,
			// under block fingerprints that the rebuild does not change.
			if err := daycache.Forget(c.Context, st.Conn, first); err != nil {
				return err
			}
			if err := chsink.New(st.Conn).RebuildDerived(c.Context, from); err != nil {
				return err
			}
			if err := daycache.Forget(c.Context, st.Conn, first); err != nil {
				return err
			}
			slog.Info("derived tables rebuilt", "from_block", from, "from_day", first.UTC().Format(time.DateOnly),
				"seconds", fmt.Sprintf("%.1f", time.Since(start).Seconds()))
			if err := st.AfterRepair(c.Context, indexer.Range{From: from, To: ^uint64(0)}, true); err != nil {
				return err
			}
			return st.Refresh(c.Context)
		},
	}
}
