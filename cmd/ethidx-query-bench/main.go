// Command bench measures the saved queries and the monthly report against
// the README's targets on a synthetic month at mainnet scale: December 2025
// and January 2026, ~38M and ~46M transactions, ~7,200 blocks, ~1.5M
// transactions and ~614k active addresses a day, in the embedded engine.
//
//	go run ./cmd/ethidx-query-bench [-data-dir DIR] [-runs N]
//
// The data (about 9 GB) is generated once by SQL (synthetic_*.sql: INSERT
// ... SELECT FROM numbers(), so the materialized views fill the address
// tables as real writes do) and kept in DIR for the next run. Each run
// measures the uncached path (the day cache emptied), Refresh, then every
// query with the cache warm. It reports; it never fails on a timing.
package main

import (
	"context"
	"embed"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ethidx/ethidx/queries"
	"github.com/ethidx/ethidx/queries/daycache"
	"github.com/ethidx/ethidx/queries/report"
	"github.com/ethidx/ethidx/store"
)

//go:embed synthetic_*.sql
var sqlFiles embed.FS

func main() {
	cache, _ := os.UserCacheDir()
	dataDir := flag.String("data-dir", filepath.Join(cache, "ethidx", "bench-month"), "where the synthetic data is kept between runs")
	runs := flag.Int("runs", 5, "timed runs per query (the median is reported)")
	tsIndex := flag.Bool("timestamp-index", false, "measure with a minmax skip index on blocks.timestamp (proposed for the schema)")
	chart := flag.String("chart", "", "also write the January report's chart to this .svg or .png file, and print the report")
	flag.Parse()
	if err := run(context.Background(), *dataDir, *runs, *tsIndex, *chart); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// dataset is the synthetic index, versioned so a change to the generator
// regenerates it.
const dataset = 1

// part is one generated stretch of chain; history parts have blocks only.
type part struct {
	name       string
	firstBlock uint64
	start      time.Time
	blocks     uint32
	txPerBlock uint32
	dayIndex   uint32
	history    bool
}

// The chain from genesis as blocks only, then the two months with their
// transactions, then one block of February so January 31 is complete (a
// day counts as complete once the next day's first block is stored).
var parts = func() []part {
	dec := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	out := []part{
		{name: "history: blocks 0-23,676,798, blocks table only", blocks: 23_676_799, start: dec.Add(-24 * time.Second), history: true},
		{"2025-11-30 last block", 23_676_799, dec.Add(-12 * time.Second), 1, 170, 0, false},
	}
	for d := 0; d < 31; d += 4 {
		n := min(4, 31-d)
		out = append(out, part{fmt.Sprintf("2025-12-%02d..%02d", d+1, d+n), 23_676_800 + uint64(d)*7200, dec.AddDate(0, 0, d), uint32(n * 7200), 170, uint32(d), false})
	}
	for d := 0; d < 31; d += 4 {
		n := min(4, 31-d)
		out = append(out, part{fmt.Sprintf("2026-01-%02d..%02d", d+1, d+n), 23_900_000 + uint64(d)*7200, jan.AddDate(0, 0, d), uint32(n * 7200), 208, uint32(31 + d), false})
	}
	return append(out, part{"2026-02-01 first block", 24_123_200, jan.AddDate(0, 1, 0), 1, 208, 62, false})
}()

func run(ctx context.Context, dataDir string, runs int, tsIndex bool, chart string) error {
	conn, closeAll, err := connect(ctx, dataDir)
	if err != nil {
		return err
	}
	defer closeAll()
	if err := generate(ctx, conn); err != nil {
		return err
	}
	if err := queries.Install(ctx, conn); err != nil {
		return err
	}
	index := []string{"ALTER TABLE blocks DROP INDEX IF EXISTS bench_timestamp_minmax"}
	if tsIndex {
		index = []string{
			"ALTER TABLE blocks ADD INDEX IF NOT EXISTS bench_timestamp_minmax timestamp TYPE minmax GRANULARITY 1",
			"ALTER TABLE blocks MATERIALIZE INDEX bench_timestamp_minmax SETTINGS mutations_sync = 2",
		}
	}
	for _, q := range index {
		if err := conn.Exec(ctx, q); err != nil {
			return err
		}
	}
	var counts struct {
		Blocks uint64 `ch:"blocks"`
		Tx     uint64 `ch:"tx"`
		Active uint64 `ch:"active"`
	}
	if err := conn.QueryRow(ctx, `SELECT (SELECT count() FROM blocks) AS blocks,
		(SELECT count() FROM transactions) AS tx,
		(SELECT count() FROM address_activity) AS active`).ScanStruct(&counts); err != nil {
		return err
	}
	fmt.Printf("data: %s blocks, %s transactions, %s address_activity rows, in %s\n", group(counts.Blocks), group(counts.Tx), group(counts.Active), dataDir)
	fmt.Printf("blocks.timestamp skip index: %v\n\n", tsIndex)

	jan := map[string]string{"from": "2026-01-01", "to": "2026-01-31"}
	dailyMonth := func(name string) func() error {
		return func() error { return queries.Run(ctx, conn, name, jan, "csv", io.Discard) }
	}
	reportMonth := func(month string) func() error {
		return func() error {
			r, err := report.Monthly(ctx, conn, month)
			if err != nil {
				return err
			}
			return r.WriteText(io.Discard)
		}
	}

	fmt.Println("uncached (day cache emptied: every day computed from the address tables)")
	if err := conn.Exec(ctx, "TRUNCATE TABLE _daily_rollup_v2"); err != nil {
		return err
	}
	measure("daily_activity, 2026-01", 1, 0, dailyMonth("daily_activity"))
	measure("report --month 2026-01", 1, 0, reportMonth("2026-01"))
	var cached int
	measure("Refresh (every complete day)", 1, 0, func() error {
		var err error
		cached, err = daycache.Refresh(ctx, conn)
		return err
	})
	fmt.Printf("  %-46s %d\n", "days cached", cached)
	measure("Refresh, nothing to do", runs, 0, func() error {
		_, err := daycache.Refresh(ctx, conn)
		return err
	})

	fmt.Println("\ncached (steady state: Refresh ran after the last write)")
	measure("report --month 2026-01", runs, time.Second, reportMonth("2026-01"))
	measure("report (latest complete month)", runs, time.Second, reportMonth(""))
	measure("report --month 2026-01 --chart (+ daily series)", runs, 0, func() error {
		r, err := report.Monthly(ctx, conn, "2026-01")
		if err == nil {
			err = r.LoadDays(ctx, conn)
		}
		return err
	})
	for _, q := range []string{"daily_activity", "daily_coverage", "daily_fees", "daily_blobs"} {
		measure(q+", 2026-01", runs, 500*time.Millisecond, dailyMonth(q))
	}
	measure("monthly_growth, 2026-01", runs, 0, dailyMonth("monthly_growth"))
	measure("daily_activity, every day (plain view)", runs, 0, func() error {
		return queries.Run(ctx, conn, "daily_activity", nil, "csv", io.Discard)
	})
	measure("top_contracts, 2026-01 (scans transactions)", 3, 0, func() error {
		return queries.Run(ctx, conn, "top_contracts", jan, "csv", io.Discard)
	})
	measure("top_contracts plain view (newest 7 days)", 3, 0, func() error {
		rows, err := conn.Query(ctx, "SELECT * FROM top_contracts")
		if err != nil {
			return err
		}
		for rows.Next() {
		}
		rows.Close()
		return rows.Err()
	})
	if chart == "" {
		return nil
	}
	r, err := report.Monthly(ctx, conn, "2026-01")
	if err == nil {
		err = r.LoadDays(ctx, conn)
	}
	if err != nil {
		return err
	}
	fmt.Println()
	if err := r.WriteText(os.Stdout); err != nil {
		return err
	}
	return r.WriteChart(chart)
}

// measure runs f n times and prints the median, min and max, and the
// verdict against target when there is one.
func measure(name string, n int, target time.Duration, f func() error) {
	var ds []time.Duration
	for i := 0; i < n; i++ {
		t := time.Now()
		if err := f(); err != nil {
			fmt.Printf("  %-46s error: %v\n", name, err)
			return
		}
		ds = append(ds, time.Since(t))
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	line := fmt.Sprintf("  %-46s median %8s  min %8s  max %8s", name, ms(ds[len(ds)/2]), ms(ds[0]), ms(ds[len(ds)-1]))
	if target > 0 {
		verdict := "meets"
		if ds[len(ds)/2] >= target {
			verdict = "MISSES"
		}
		line += fmt.Sprintf("  (target < %s: %s)", ms(target), verdict)
	}
	fmt.Println(line)
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) + "ms"
}

func group(n uint64) string {
	s := strconv.FormatUint(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// connect opens the engine on dataDir, serves it on a loopback port and
// returns a clickhouse-go connection to database eth with the schema
// applied: the path the CLI takes, through the same opener.
func connect(ctx context.Context, dataDir string) (driver.Conn, func(), error) {
	st, err := store.Open(ctx, store.Options{DataDir: dataDir, Logger: slog.New(slog.DiscardHandler), ReadTimeout: time.Hour})
	if err != nil {
		return nil, nil, err
	}
	return st.Conn, func() { st.Close() }, nil
}

// generate writes the parts not yet recorded in _bench_dataset.
func generate(ctx context.Context, conn driver.Conn) error {
	if err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS _bench_dataset
		(version UInt32, part String) ENGINE = ReplacingMergeTree ORDER BY (version, part)`); err != nil {
		return err
	}
	var done []struct {
		Part string `ch:"part"`
	}
	if err := conn.Select(ctx, &done, "SELECT part FROM _bench_dataset FINAL WHERE version = ?", uint32(dataset)); err != nil {
		return err
	}
	have := map[string]bool{}
	for _, d := range done {
		have[d.Part] = true
	}
	txSQL, _ := sqlFiles.ReadFile("synthetic_transactions.sql")
	blockSQL, _ := sqlFiles.ReadFile("synthetic_blocks.sql")
	historySQL, _ := sqlFiles.ReadFile("synthetic_history.sql")
	for _, p := range parts {
		if have[p.name] {
			continue
		}
		t := time.Now()
		fmt.Fprintf(os.Stderr, "generating %s ... ", p.name)
		params := clickhouse.Parameters{
			"first_block": strconv.FormatUint(p.firstBlock, 10), "start": strconv.FormatInt(p.start.Unix(), 10),
			"blocks": strconv.Itoa(int(p.blocks)), "tx_per_block": strconv.Itoa(int(p.txPerBlock)),
			"day_index": strconv.Itoa(int(p.dayIndex)),
		}
		stmts := [][]byte{txSQL, blockSQL}
		if p.history {
			params = clickhouse.Parameters{"blocks": params["blocks"], "end": params["start"]}
			stmts = [][]byte{historySQL}
		}
		pctx := clickhouse.Context(ctx, clickhouse.WithParameters(params))
		// A part interrupted half way is written again whole: the tables
		// are keyed by chain position, so that replaces its rows.
		for _, q := range stmts {
			if err := conn.Exec(pctx, string(q)); err != nil {
				return fmt.Errorf("generating %s: %w", p.name, err)
			}
		}
		if err := conn.Exec(ctx, "INSERT INTO _bench_dataset VALUES (?, ?)", uint32(dataset), p.name); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "%s\n", time.Since(t).Round(time.Second))
	}
	return nil
}
