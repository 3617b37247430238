package chsinktest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// snapshotQueries fingerprint every table as a reader sees it: row count
// and an order-independent sum of per-row hashes of all columns, deduplicated the way the
// views read (FINAL for the chain tables, GROUP BY key for the rollups).
var snapshotQueries = map[string]string{
	"blocks":          "SELECT count(), sum(cityHash64(formatRowNoNewline('TSV', *))) FROM blocks FINAL",
	"transactions":    "SELECT count(), sum(cityHash64(formatRowNoNewline('TSV', *))) FROM transactions FINAL",
	"logs":            "SELECT count(), sum(cityHash64(formatRowNoNewline('TSV', *))) FROM logs FINAL",
	"withdrawals":     "SELECT count(), sum(cityHash64(formatRowNoNewline('TSV', *))) FROM withdrawals FINAL",
	"token_transfers": "SELECT count(), sum(cityHash64(formatRowNoNewline('TSV', *))) FROM token_transfers FINAL",
	"traces":          "SELECT count(), sum(cityHash64(formatRowNoNewline('TSV', *))) FROM traces FINAL",
	"address_activity": "SELECT count(), sum(cityHash64(day, address, is_sender, fb)) FROM " +
		"(SELECT day, address, is_sender, min(first_block) AS fb FROM address_activity GROUP BY day, address, is_sender)",
	"address_first_seen": "SELECT count(), sum(cityHash64(address, fb, ft)) FROM " +
		"(SELECT address, min(first_block) AS fb, min(first_time) AS ft FROM address_first_seen GROUP BY address)",
	"address_first_role": "SELECT count(), sum(cityHash64(address, role, fb, ft)) FROM " +
		"(SELECT address, role, min(first_block) AS fb, min(first_time) AS ft FROM address_first_role GROUP BY address, role)",
}

// savedViews are the saved queries' BI views, fingerprinted whole when the
// store has them installed, so a comparison covers the figures users read
// and not only the rows behind them.
var savedViews = []string{"daily_activity", "monthly_growth", "daily_fees", "daily_blobs"}

// Snapshot returns a fingerprint of every table, and of every saved view
// that is installed; two stores holding the same rows have equal snapshots.
func Snapshot(t testing.TB, conn driver.Conn) map[string]string {
	t.Helper()
	return Snapshots(t, conn)[0]
}

// Snapshots is Snapshot of each store, taken side by side: the queries of
// all of them run as many at once as the engine lets the process run (4
// lanes). The saved views take seconds each to plan even on an empty
// store, and one query at a time they made most of a comparison's cost.
func Snapshots(t testing.TB, conns ...driver.Conn) []map[string]string {
	t.Helper()
	ctx := context.Background()
	type job struct {
		store   int
		name, q string
	}
	var jobs []job
	for i, conn := range conns {
		for table, q := range snapshotQueries {
			jobs = append(jobs, job{i, table, q})
		}
		for _, v := range savedViews {
			var exists uint8
			if err := conn.QueryRow(ctx, "SELECT count() > 0 FROM system.tables WHERE database = currentDatabase() AND name = ?", v).Scan(&exists); err != nil {
				t.Fatalf("looking for view %s: %v", v, err)
			}
			if exists == 1 {
				jobs = append(jobs, job{i, "view " + v, "SELECT count(), sum(cityHash64(formatRowNoNewline('TSV', *))) FROM " + v})
			}
		}
	}
	type result struct {
		job
		fp  string
		err error
	}
	results := make(chan result, len(jobs))
	lanes := make(chan struct{}, 4)
	for _, j := range jobs {
		go func() {
			lanes <- struct{}{}
			defer func() { <-lanes }()
			var n, h uint64
			err := conns[j.store].QueryRow(ctx, j.q).Scan(&n, &h)
			results <- result{j, fmt.Sprintf("%d rows, hash %016x", n, h), err}
		}()
	}
	out := make([]map[string]string, len(conns))
	for i := range out {
		out[i] = map[string]string{}
	}
	var failed []string
	for range jobs {
		r := <-results
		if r.err != nil {
			failed = append(failed, fmt.Sprintf("snapshot %d of %s: %v", r.store, r.name, r.err))
			continue
		}
		out[r.store][r.name] = r.fp
	}
	if len(failed) > 0 {
		sort.Strings(failed)
		t.Fatal(strings.Join(failed, "\n"))
	}
	return out
}

// Pair is Snapshots of two stores, e.g. a store under test and a clean
// index to compare it with.
func Pair(t testing.TB, a, b driver.Conn) (map[string]string, map[string]string) {
	t.Helper()
	s := Snapshots(t, a, b)
	return s[0], s[1]
}

// Same reports, as test errors, every table or view whose fingerprint in
// got differs from want (or that only one of them has); what says which
// comparison it is.
func Same(t testing.TB, what string, got, want map[string]string) {
	t.Helper()
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: %s = %q, want %q", what, name, got[name], w)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: %s = %q, missing from the reference", what, name, got[name])
		}
	}
}

// Count runs a query returning one UInt64 and returns it.
func Count(t testing.TB, conn driver.Conn, q string, args ...any) uint64 {
	t.Helper()
	var n uint64
	if err := conn.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}
