package queries_test

import (
	"context"
	"testing"

	"github.com/ethidx/ethidx/queries/daycache"
	"github.com/ethidx/ethidx/queries/querytest"
)

// The day cache never caches a day whose transactions are not all stored
// (rows lost on disk under unchanged block rows): figures computed from
// them would be low, and the block fingerprint would not notice. Once the
// rows are back, the day is cached.
func TestCacheRefusesDaysWithLostRows(t *testing.T) {
	ctx := context.Background()
	conn := open(t)
	chain := querytest.Chain(0, 120, 1)
	write(t, conn, chain)
	// Lose the transactions of the first stored day's blocks (as a lost
	// part would), keeping its block rows.
	var first []struct {
		Lo uint64 `ch:"lo"`
		Hi uint64 `ch:"hi"`
	}
	if err := conn.Select(ctx, &first, `SELECT min(number) AS lo, max(number) AS hi FROM blocks
		WHERE toDate(timestamp) = (SELECT toDate(min(timestamp)) FROM blocks WHERE number > 0) AND number > 0`); err != nil || len(first) != 1 {
		t.Fatalf("first day: %v", err)
	}
	if err := conn.Exec(ctx, "DELETE FROM transactions WHERE block_number BETWEEN ? AND ?", first[0].Lo, first[0].Hi); err != nil {
		t.Fatal(err)
	}
	cachedDays := func() map[string]bool {
		var rows []struct {
			Day string `ch:"d"`
		}
		if err := conn.Select(ctx, &rows, "SELECT toString(day) AS d FROM _daily_rollup_v2 FINAL"); err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, r := range rows {
			out[r.Day] = true
		}
		return out
	}
	n, err := daycache.Refresh(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	var day []struct {
		D string `ch:"d"`
	}
	if err := conn.Select(ctx, &day, "SELECT toString(toDate(timestamp)) AS d FROM blocks WHERE number = ?", first[0].Lo); err != nil || len(day) != 1 {
		t.Fatal(err)
	}
	got := cachedDays()
	if got[day[0].D] {
		t.Fatalf("day %s cached although its transactions are gone", day[0].D)
	}
	if n == 0 || len(got) == 0 {
		t.Fatalf("no other day cached (%d): the test proves nothing", n)
	}
	write(t, conn, chain) // the rows come back, as a repairing backfill brings them
	if _, err := daycache.Refresh(ctx, conn); err != nil {
		t.Fatal(err)
	}
	if !cachedDays()[day[0].D] {
		t.Fatalf("day %s not cached once its rows are back", day[0].D)
	}
}
