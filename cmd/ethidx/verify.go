package main

import (
	"fmt"
	"log/slog"

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
			"Prints each problem; exits 1 if there is any.",
		OnUsageError: commandUsageError,
		Flags: []cli.Flag{
			rpcFlag, chainIDFlag, verifyFlag, rpsFlag, batchFlag,
			&cli.StringFlag{Name: "from", Usage: "first block", Required: true},
			&cli.StringFlag{Name: "to", Usage: "last block (inclusive)", Required: true},
		},
		Action: func(c *cli.Context) error {
			src, r, err := sourceAndRange(c)
			if err != nil {
				return err
			}
			defer src.Close()
			st, err := openStore(c, true, endpointConfig{})
			if err != nil {
				return err
			}
			defer st.Close()
			prog := newProgress("verify")
			problems, err := indexer.Verify(c.Context, src, chsink.New(st.conn), r, c.Uint64("batch"), prog)
			prog.Finish()
			if err != nil {
				return err
			}
			for _, p := range problems {
				fmt.Println(p)
			}
			if len(problems) > 0 {
				return fmt.Errorf("%d problems in blocks %s", len(problems), r)
			}
			slog.Info("verified", "blocks", r.String(), "problems", 0)
			fmt.Printf("blocks %s: all present, canonical and complete\n", r)
			return nil
		},
	}
}
