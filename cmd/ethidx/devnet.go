package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ethidx/ethidx/indexer/devchain"
)

func devnetCommand() *cli.Command {
	return &cli.Command{
		Name:  "devnet",
		Usage: "run a local go-ethereum chain with realistic traffic (for demos and tests)",
		UsageText: "ethidx devnet\n" +
			"ethidx devnet --rpc-addr 127.0.0.1:8545 --history 60d --history-interval 4h",
		Description: "An in-process go-ethereum chain (ethclient/simulated's engine) producing value\n" +
			"transfers to new and old addresses, contract deployments, ERC-20 transfers, failed\n" +
			"transactions, access-list, blob (type 3) and set-code (type 4) transactions.\n" +
			"JSON-RPC (HTTP and websocket) on --rpc-addr. With --history, it first lays down\n" +
			"back-dated blocks covering that span, then mines live every --block-time.\n\n" +
			"For tests, two JSON-RPC methods shape the chain from outside:\n" +
			"  devnet_mine()         mine one block now\n" +
			"  devnet_reorg(depth[, length])\n" +
			"                        replace the newest depth blocks (1-64, down to the finalized\n" +
			"                        block) with a branch of length blocks (default depth+1)\n" +
			"e.g. curl -s localhost:8545 -H 'content-type: application/json' \\\n" +
			"       -d '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"devnet_reorg\",\"params\":[7]}'",
		Flags: append(own(
			&cli.StringFlag{Name: "rpc-addr", Usage: "JSON-RPC (HTTP and websocket) listen address", Value: "127.0.0.1:8545"},
			hiddenAlias("http-addr", "rpc-addr"),
			&cli.DurationFlag{Name: "block-time", Usage: "time between live blocks", Value: time.Second},
			&cli.StringFlag{Name: "history", Usage: "back-dated history to mine first, e.g. 60d or 36h (0 = none)", Value: "0"},
			&cli.DurationFlag{Name: "history-interval", Usage: "timestamp step between history blocks", Value: 4 * time.Hour},
			&cli.IntFlag{Name: "accounts", Usage: "funded accounts sending traffic", Value: 200},
			&cli.Uint64Flag{Name: "seed", Usage: "traffic seed", Value: 1},
			&cli.IntFlag{Name: "max-blocks", Usage: "stop after this many live blocks (0 = run until interrupted)"},
		), groups(catLogging)...),
		Action: runDevnet,
	}
}

func runDevnet(c *cli.Context) error {
	history, err := parseSpan(c.String("history"))
	if err != nil {
		return badInput("--history %q: %v", c.String("history"), err)
	}
	if c.Duration("block-time") <= 0 || c.Duration("history-interval") < time.Second {
		return badInput("--block-time must be positive and --history-interval at least 1s")
	}
	rpcAddr, _ := aliased(c, "rpc-addr", "http-addr")
	if err := checkListenAddr("--rpc-addr", rpcAddr); err != nil {
		return err
	}
	if c.Int("accounts") < 1 || c.Int("accounts") > 100_000 {
		return badInput("--accounts %d: want 1 to 100000", c.Int("accounts"))
	}
	if c.Int("max-blocks") < 0 {
		return badInput("--max-blocks must not be negative")
	}
	cfg := devchain.Config{Accounts: c.Int("accounts"), Seed: c.Uint64("seed"), Logger: slog.Default()}
	var historyBlocks int
	if history > 0 {
		step := c.Duration("history-interval")
		historyBlocks = int(history / step)
		cfg.GenesisTime = time.Now().Add(-time.Duration(historyBlocks+1) * step)
		cfg.BlockInterval = step
	}
	chain, err := devchain.New(cfg)
	if err != nil {
		return err
	}
	defer chain.Close()
	addr, err := chain.ServeRPC(c.Context, rpcAddr)
	if err != nil {
		return badInput("--rpc-addr: %v", err)
	}
	slog.Info("dev chain JSON-RPC", "http", "http://"+addr, "ws", "ws://"+addr, "chain_id", chain.ChainID())
	if historyBlocks > 0 {
		start := time.Now()
		for i := 0; i < historyBlocks; i++ {
			if _, err := chain.Mine(c.Context); err != nil {
				if c.Context.Err() != nil {
					return nil
				}
				return fmt.Errorf("mining history: %w", err)
			}
		}
		slog.Info("history mined", "blocks", historyBlocks, "seconds", fmt.Sprintf("%.1f", time.Since(start).Seconds()))
		chain.SetBlockInterval(0)
	}
	// Readiness line for scripts waiting on the chain.
	fmt.Printf("devnet ready: http://%s head=%d\n", addr, chain.Head().Number.Uint64())
	for n := 0; c.Int("max-blocks") == 0 || n < c.Int("max-blocks"); n++ {
		select {
		case <-c.Context.Done():
			return nil
		case <-time.After(c.Duration("block-time")):
		}
		if _, err := chain.Mine(c.Context); err != nil {
			if c.Context.Err() != nil {
				return nil
			}
			return fmt.Errorf("mining: %w", err)
		}
	}
	<-c.Context.Done()
	return nil
}

// parseSpan reads a duration that may also be given in days ("60d").
func parseSpan(s string) (time.Duration, error) {
	if s == "" || s == "0" {
		return 0, nil
	}
	var days int
	if _, err := fmt.Sscanf(s, "%dd", &days); err == nil && fmt.Sprintf("%dd", days) == s {
		if days < 0 {
			return 0, fmt.Errorf("negative span")
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("want a span like 60d or 36h")
	}
	return d, nil
}
