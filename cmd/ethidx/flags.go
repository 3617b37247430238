package main

import (
	"github.com/urfave/cli/v2"
)

// Flags are defined once here and reused by the commands that need them.
var (
	clickhouseFlag = &cli.StringFlag{
		Name:    "clickhouse",
		Usage:   "ClickHouse server DSN, e.g. clickhouse://user:pass@host:9000/eth or http://host:8123/eth (default: the embedded engine)",
		EnvVars: []string{"ETHIDX_CLICKHOUSE"},
	}
	dataDirFlag = &cli.StringFlag{
		Name:    "data-dir",
		Usage:   "where the embedded engine keeps its data",
		Value:   "./ethidx-data",
		EnvVars: []string{"ETHIDX_DATA_DIR"},
	}
	databaseFlag = &cli.StringFlag{
		Name:    "database",
		Usage:   "ClickHouse database holding ethidx's tables",
		Value:   "eth",
		EnvVars: []string{"ETHIDX_DATABASE"},
	}
	httpAddrFlag = &cli.StringFlag{
		Name:    "http-addr",
		Usage:   "address of the embedded engine's SQL endpoint (loopback by default)",
		Value:   "127.0.0.1:8123",
		EnvVars: []string{"ETHIDX_HTTP_ADDR"},
	}
	globalFlags = []cli.Flag{
		clickhouseFlag,
		dataDirFlag,
		databaseFlag,
		httpAddrFlag,
		&cli.StringFlag{Name: "log-format", Usage: "text or json", Value: "text", EnvVars: []string{"ETHIDX_LOG_FORMAT"}},
		&cli.BoolFlag{Name: "verbose", Usage: "debug logging"},
	}

	rpcFlag = &cli.StringSliceFlag{
		Name:    "rpc",
		Usage:   "Ethereum JSON-RPC URL; repeat (or comma-separate) for failover",
		EnvVars: []string{"ETHIDX_RPC"},
	}
	rpsFlag     = &cli.Float64Flag{Name: "rps", Usage: "max RPC requests per second (0 = unlimited)"}
	batchFlag   = &cli.Uint64Flag{Name: "batch", Usage: "blocks per fetch and write", Value: 100}
	workersFlag = &cli.IntFlag{Name: "workers", Usage: "batches fetched and written in parallel", Value: 4}
	chainIDFlag = &cli.Uint64Flag{Name: "chain-id", Usage: "refuse a node on another chain (0 = accept any)"}
	// verifyFlag: what is proven of each block before it is stored.
	verifyFlag = &cli.StringFlag{
		Name: "verify",
		Usage: "what to prove of each block before storing it: roots (recompute tx hashes, tx/receipts/withdrawals " +
			"roots, blooms and the block hash), structure (consistency only, for chains that hash differently), " +
			"senders (roots, and recover every sender: slower)",
		Value:   "roots",
		EnvVars: []string{"ETHIDX_VERIFY"},
	}
	formatFlag  = &cli.StringFlag{Name: "format", Usage: "table, csv, json or tsv", Value: "table"}
	metricsFlag = &cli.StringFlag{Name: "metrics-addr", Usage: "serve Prometheus /metrics, /healthz and /readyz here (empty = off)"}
)
