package main

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/chdb"
	"github.com/ethidx/ethidx/queries"
	"github.com/ethidx/ethidx/sqltext"
)

// Flags are defined once here, each in a category, as go-ethereum's
// cmd/utils does. Every command lists the groups it uses; the app carries
// the same groups, so a flag works on either side of the command: what is
// given before the command is copied down to it (resolveFlags).
const (
	catStorage = "STORAGE"
	catNode    = "NODE"
	catLoading = "LOADING"
	catLogging = "LOGGING"
)

// Limits that keep a careless flag from taking the machine down.
const (
	maxWorkers = 256    // --workers: batches in flight at once
	maxBatch   = 10_000 // --batch: blocks held in memory per batch
)

// sharedFlag is one flag of a group: its definition, the environment
// variables it reads (first set wins) and the check of its value, run
// before a command does any work.
type sharedFlag struct {
	flag  cli.Flag
	env   []string
	check func(c *cli.Context, name string) error
}

// sharedFlags in the order help shows them within a category.
var sharedFlags = []sharedFlag{
	{flag: &cli.StringFlag{Name: "clickhouse", Category: catStorage,
		Usage: "ClickHouse server DSN, e.g. clickhouse://user:pass@host:9000/eth or http://host:8123/eth (default: the embedded engine)"},
		env: []string{"ETHIDX_CLICKHOUSE"}, check: checkClickHouse},
	{flag: &cli.StringFlag{Name: "data-dir", Category: catStorage, Value: "./ethidx-data",
		Usage: "where the embedded engine keeps its data"},
		env: []string{"ETHIDX_DATA_DIR"}, check: checkDataDir},
	{flag: &cli.StringFlag{Name: "database", Category: catStorage, Value: "eth",
		Usage: "ClickHouse database holding ethidx's tables"},
		env: []string{"ETHIDX_DATABASE"}, check: checkDatabase},
	{flag: &cli.StringFlag{Name: "cluster", Category: catStorage,
		Usage: "ClickHouse cluster (remote_servers name) the --clickhouse server belongs to: tables replicated and sharded, every statement in its cluster form"},
		env: []string{"ETHIDX_CLUSTER"}, check: checkCluster},
	{flag: &cli.StringFlag{Name: "http-addr", Category: catStorage,
		Usage: "host:port of the embedded engine's SQL endpoint: serve's, for others (default 127.0.0.1:8123); " +
			"other commands' endpoint is private to ethidx (default: a free loopback port, recorded in the data dir)"},
		env: []string{"ETHIDX_HTTP_ADDR"}, check: checkListenFlag},

	{flag: &cli.StringSliceFlag{Name: "rpc", Category: catNode,
		Usage: "Ethereum JSON-RPC URL (http, https, ws, wss); repeat or comma-separate for failover"},
		env: []string{"ETHIDX_RPC", "ETH_RPC_URL"}, check: checkNode},
	{flag: &cli.Float64Flag{Name: "rps", Category: catNode,
		Usage: "max RPC requests per second (0 = unlimited)"}, check: checkRPS},
	{flag: &cli.Uint64Flag{Name: "chain-id", Category: catNode,
		Usage: "refuse a node on another chain (0 = accept any)"}},
	{flag: &cli.StringFlag{Name: "verify", Category: catNode, Value: "roots",
		Usage: "what to prove of each block before storing it: roots (recompute tx hashes, tx/receipts/withdrawals " +
			"roots, blooms and the block hash), structure (consistency only, for chains that hash differently), " +
			"senders (roots, and recover every sender: slower)"},
		env: []string{"ETHIDX_VERIFY"}}, // checked by checkNode, with --rpc
	{flag: &cli.Uint64Flag{Name: "max-response-size", Category: catNode,
		Usage: "largest answer read from a node, in bytes; a larger or endless one fails on that node and moves to the next --rpc " +
			"(0 = 4 MiB per call of a batch, at least 64 MiB: a block full of calldata fits)"},
		check: checkResponseSize},

	{flag: &cli.Uint64Flag{Name: "batch", Category: catLoading, Value: indexer.DefaultBatchSize,
		Usage: fmt.Sprintf("blocks per fetch and write (1-%d)", maxBatch)}, check: checkBatch},
	{flag: &cli.IntFlag{Name: "workers", Category: catLoading, Value: indexer.DefaultWorkers,
		Usage: fmt.Sprintf("batches fetched and written in parallel (1-%d)", maxWorkers)}, check: checkWorkers},

	{flag: &cli.StringFlag{Name: "log-format", Category: catLogging, Value: "text",
		Usage: "text or json"},
		env: []string{"ETHIDX_LOG_FORMAT"}}, // checked by setupLogging
	{flag: &cli.BoolFlag{Name: "verbose", Category: catLogging,
		Usage: "debug logging"},
		env: []string{"ETHIDX_VERBOSE"}},
}

// Flags several commands share that belong to no group: they say what a
// command works on rather than how it is set up, so they go after it.
var (
	fromFlag     = &cli.StringFlag{Name: "from", Usage: "first block"}
	toFlag       = &cli.StringFlag{Name: "to", Usage: "last block (inclusive)"}
	fromDateFlag = &cli.StringFlag{Name: "from-date", Usage: "first UTC day, YYYY-MM-DD"}
	toDateFlag   = &cli.StringFlag{Name: "to-date", Usage: "last UTC day, YYYY-MM-DD (inclusive)"}
	formatFlag   = &cli.StringFlag{Name: "format", Usage: "table, csv, json or tsv", Value: "table"}
	tracesFlag   = &cli.BoolFlag{Name: "traces", Usage: "also load every call frame of every transaction into the traces table " +
		"(debug_traceBlockByHash with the call tracer, or trace_block; the node must serve one)"}
)

// checkFormat refuses an unknown --format before the engine starts.
func checkFormat(c *cli.Context) error {
	f := c.String("format")
	if !slices.Contains(queries.Formats, f) {
		return badInput("--format %q: want one of %s", f, strings.Join(queries.Formats, ", "))
	}
	return nil
}

// Checks of the shared flags' values.

func checkClickHouse(c *cli.Context, name string) error {
	dsn := c.String(name)
	if dsn == "" {
		return nil
	}
	if _, err := parseDSN(dsn); err != nil {
		return err
	}
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, hasPass := u.User.Password(); hasPass && !fromEnv(c, name) {
			slog.Warn("the --clickhouse DSN holds a password that other local users can read in the process list; set ETHIDX_CLICKHOUSE instead")
		}
	}
	return nil
}

func checkDataDir(c *cli.Context, name string) error {
	if c.String("clickhouse") != "" {
		return nil // a server holds the data
	}
	dir := c.String(name)
	if dir == "" {
		return badInput("--data-dir must not be empty")
	}
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil // created on first use
	case err != nil:
		return badInput("--data-dir %s: %v", dir, err)
	case !fi.IsDir():
		return badInput("--data-dir %s is a file, not a directory: give a directory (it is created if missing)", dir)
	}
	return nil
}

func checkDatabase(c *cli.Context, name string) error {
	if !sqltext.ValidIdent(c.String(name)) {
		return badInput("--database %q: want a letter or underscore, then letters, digits and underscores", c.String(name))
	}
	if db := c.String(name); chdb.ReservedDatabase(db) {
		// Tables written there would clash with the engine's own (or
		// ethidx's endpoint databases) and leave the store unreadable.
		return badInput("--database %s is reserved (the engine's or ethidx's own); give another name, e.g. --database eth", db)
	}
	return nil
}

func checkCluster(c *cli.Context, name string) error {
	v := c.String(name)
	if v != "" && !sqltext.ValidIdent(v) {
		return badInput("--cluster %q: want a letter or underscore, then letters, digits and underscores", v)
	}
	// schema print only prints the cluster form; everything else sends it.
	if v != "" && c.String("clickhouse") == "" && c.Command.Name != "print" {
		return badInput("--cluster %s: a cluster is reached through one of its servers; give it with --clickhouse (the embedded engine is one node)", v)
	}
	return nil
}

func checkListenFlag(c *cli.Context, name string) error {
	if c.String(name) == "" {
		return nil // the command's default
	}
	return checkListenAddr("--"+name, c.String(name))
}

// checkListenAddr accepts host:port with a numeric port 0-65535 (0: any
// free port); the host may be empty (every interface), a name or an IP.
func checkListenAddr(flag, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return badInput("%s %q: want host:port, e.g. 127.0.0.1:8123", flag, addr)
	}
	if err := checkPort(port); err != nil {
		return badInput("%s %q: %v", flag, addr, err)
	}
	if strings.ContainsAny(host, " /") {
		return badInput("%s %q: %q is not a host name or IP address", flag, addr, host)
	}
	return nil
}

func checkPort(port string) error {
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("port %q: want a number from 0 to 65535", port)
	}
	return nil
}

func checkRPS(c *cli.Context, name string) error {
	r := c.Float64(name)
	if math.IsNaN(r) || math.IsInf(r, 0) || r < 0 {
		return badInput("--rps %v: want a finite number of requests per second >= 0 (0 = unlimited)", r)
	}
	return nil
}

func checkResponseSize(c *cli.Context, name string) error {
	if n := c.Uint64(name); n != 0 && (n < 1<<20 || n > 1<<40) {
		return badInput("--max-response-size %d: want 0 (the default) or 1 MiB (1048576) to 1 TiB", n)
	}
	return nil
}

func checkBatch(c *cli.Context, name string) error {
	if b := c.Uint64(name); b < 1 || b > maxBatch {
		return badInput("--batch %d: want 1 to %d blocks", b, maxBatch)
	}
	return nil
}

func checkWorkers(c *cli.Context, name string) error {
	if w := c.Int(name); w < 1 || w > maxWorkers {
		return badInput("--workers %d: want 1 to %d", w, maxWorkers)
	}
	return nil
}
