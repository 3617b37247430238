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
	ctx := context.Background()
	queries := map[string]string{}
	for table, q := range snapshotQueries {
		queries[table] = q
	}
	for _, v := range savedViews {
		var exists uint8
		if err := conn.QueryRow(ctx, "SELECT count() > 0 FROM system.tables WHERE database = currentDatabase() AND name = ?", v).Scan(&exists); err != nil {
			t.Fatalf("looking for view %s: %v", v, err)
		}
		if exists == 1 {
			queries["view "+v] = "SELECT count(), sum(cityHash64(formatRowNoNewline('TSV', *))) FROM " + v
		}
	}
	// The queries run side by side, as many at once as the engine lets the
	// process run (4 lanes): the saved views take seconds each to plan and
	// run even on a small store, and one at a time they made most of a
	// comparison's cost.
	type result struct {
		name, fp string
		err      error
	}
	results := make(chan result, len(queries))
	lanes := make(chan struct{}, 4)
	for name, q := range queries {
		go func() {
			lanes <- struct{}{}
			defer func() { <-lanes }()
			var n, h uint64
			err := conn.QueryRow(ctx, q).Scan(&n, &h)
			results <- result{name, fmt.Sprintf("%d rows, hash %016x", n, h), err}
		}()
	}
	out := map[string]string{}
	var failed []string
	for range queries {
		r := <-results
		if r.err != nil {
			failed = append(failed, fmt.Sprintf("snapshot of %s: %v", r.name, r.err))
			continue
		}
		out[r.name] = r.fp
	}
	if len(failed) > 0 {
		sort.Strings(failed)
		t.Fatal(strings.Join(failed, "\n"))
	}
	return out
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
