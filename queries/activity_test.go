package queries_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/chsink"
	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
	"github.com/ethidx/ethidx/queries"
	"github.com/ethidx/ethidx/queries/daycache"
	"github.com/ethidx/ethidx/queries/querytest"
)

// open returns a migrated database with the saved queries installed.
func open(t *testing.T) driver.Conn {
	t.Helper()
	conn, _ := chsinktest.Conn(t)
	if err := queries.Install(context.Background(), conn); err != nil {
		t.Fatal(err)
	}
	return conn
}

func write(t *testing.T, conn driver.Conn, blocks []*indexer.Block) {
	t.Helper()
	for len(blocks) > 0 { // in batches, as the pipeline writes
		n := min(len(blocks), 40)
		if err := chsink.New(conn).Write(context.Background(), blocks[:n]); err != nil {
			t.Fatal(err)
		}
		blocks = blocks[n:]
	}
}

func withRange(from, to string) context.Context {
	return clickhouse.Context(context.Background(), clickhouse.WithParameters(clickhouse.Parameters{"from": from, "to": to}))
}

func daily(t *testing.T, conn driver.Conn) []querytest.DayRow {
	t.Helper()
	got, _ := readViews(t, conn, false)
	return got
}

// readViews reads daily_activity, daily_activity_between over a sub-range
// (which must agree with the full view) and, with months, monthly_growth.
// The queries run side by side: the saved views take seconds each to
// plan, even on a small store.
func readViews(t *testing.T, conn driver.Conn, months bool) ([]querytest.DayRow, []querytest.MonthRow) {
	t.Helper()
	var (
		got, part []querytest.DayRow
		monthRows []querytest.MonthRow
		errs      [3]error
		wg        sync.WaitGroup
	)
	wg.Go(func() { errs[0] = conn.Select(context.Background(), &got, "SELECT * FROM daily_activity") })
	wg.Go(func() {
		errs[1] = conn.Select(withRange("2026-01-10", "2026-01-20"), &part, "SELECT * FROM daily_activity_between(from = {from:Date}, to = {to:Date})")
	})
	if months {
		wg.Go(func() { errs[2] = conn.Select(context.Background(), &monthRows, "SELECT * FROM monthly_growth") })
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		t.Fatal(err)
	}
	// The parameterized view over a sub-range agrees with the full one.
	var want []querytest.DayRow
	for _, r := range got {
		if d := r.Day.UTC().Format(time.DateOnly); d >= "2026-01-10" && d <= "2026-01-20" {
			want = append(want, r)
		}
	}
	checkDaily(t, "daily_activity_between 2026-01-10..20 vs daily_activity", part, want)
	return got, monthRows
}

func checkDaily(t *testing.T, what string, got, want []querytest.DayRow) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d days, want %d", what, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		g.Day, w.Day = g.Day.UTC(), w.Day.UTC()
		if g != w {
			t.Errorf("%s: day %s:\n got %+v\nwant %+v", what, w.Day.Format(time.DateOnly), g, w)
		}
	}
}

// check compares both saved views with the figures recomputed from the
// canonical blocks.
func check(t *testing.T, what string, conn driver.Conn, canonical []*indexer.Block) {
	t.Helper()
	want := querytest.ExpectDaily(canonical)
	days, months := readViews(t, conn, true)
	checkDaily(t, what+": daily_activity", days, want)
	checkMonthly(t, what+": monthly_growth", months, querytest.ExpectMonthly(want))
}

// cachedDays counts the days the views currently read from the cache.
func cachedDays(t *testing.T, conn driver.Conn) uint64 {
	t.Helper()
	var n uint64
	if err := conn.QueryRow(withRange("1970-01-01", "2105-12-31"), "SELECT countIf(cached = 1) FROM _daily_cache(from = {from:Date}, to = {to:Date})").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func refresh(t *testing.T, conn driver.Conn) int {
	t.Helper()
	n, err := daycache.Refresh(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func completeDays(rows []querytest.DayRow) int {
	n := 0
	for _, r := range rows {
		n += int(r.Complete)
	}
	return n
}

// TestExactUnderRewritesAndReorgs walks one index through what the
// pipeline does to it: batches, re-written ranges, a reorg repaired by the
// sink's Rewind, with and without the day cache, checking every figure
// against a recomputation from the canonical blocks after each step.
func TestExactUnderRewritesAndReorgs(t *testing.T) {
	conn := open(t)
	chain := querytest.Chain(0, 330, 1)
	write(t, conn, chain)
	check(t, "fresh, uncached", conn, chain)

	complete := completeDays(querytest.ExpectDaily(chain))
	if n := refresh(t, conn); n != complete {
		t.Errorf("Refresh cached %d days, want the %d complete ones", n, complete)
	}
	if n := refresh(t, conn); n != 0 {
		t.Errorf("second Refresh cached %d days, want 0", n)
	}
	if n := cachedDays(t, conn); n != uint64(complete) {
		t.Errorf("%d days read from the cache, want %d", n, complete)
	}
	check(t, "fresh, cached", conn, chain)

	// Re-writing blocks (a re-run range, a retried batch) changes nothing,
	// not even the cache's validity.
	write(t, conn, chain[100:181])
	write(t, conn, chain[7:8])
	write(t, conn, chain[320:])
	check(t, "re-written", conn, chain)
	if n := cachedDays(t, conn); n != uint64(complete) {
		t.Errorf("after re-writes %d days read from the cache, want %d", n, complete)
	}

	// A reorg: the sink rewinds to the fork and writes the other branch,
	// shorter, with other transactions and hashes.
	const fork = 231 // 2026-01-16 03:00
	if err := chsink.New(conn).Rewind(context.Background(), fork); err != nil {
		t.Fatal(err)
	}
	canonical := append(append([]*indexer.Block(nil), chain[:fork]...), querytest.Chain(fork, 330-fork-6, 2)...)
	write(t, conn, canonical[fork:])
	check(t, "after reorg, stale cache", conn, canonical)
	// The follower's way: only the recent days.
	n, err := daycache.RefreshRange(context.Background(), conn, time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || n == 0 {
		t.Errorf("RefreshRange after a reorg cached %d days, err %v", n, err)
	}
	if n := refresh(t, conn); n != 0 {
		t.Errorf("Refresh after RefreshRange over the changed days cached %d more", n)
	}
	check(t, "after reorg, cached", conn, canonical)
}

// TestLateBackfill indexes recent history first: new addresses are
// flagged inexact, and become exact (and smaller) once earlier history is
// written, cached or not.
func TestLateBackfill(t *testing.T) {
	conn := open(t)
	chain := querytest.Chain(0, 330, 1)
	write(t, conn, chain[100:])
	check(t, "recent only", conn, chain[100:])
	for _, r := range daily(t, conn) {
		if r.NewAddressesExact != 0 {
			t.Fatalf("day %s: new_addresses_exact = 1 without history from genesis", r.Day.Format(time.DateOnly))
		}
	}
	refresh(t, conn)
	check(t, "recent only, cached", conn, chain[100:])

	write(t, conn, chain[:100])
	check(t, "backfilled, stale cache", conn, chain)
	refresh(t, conn)
	check(t, "backfilled, cached", conn, chain)
}

func monthly(t *testing.T, conn driver.Conn) []querytest.MonthRow {
	t.Helper()
	var got []querytest.MonthRow
	if err := conn.Select(context.Background(), &got, "SELECT * FROM monthly_growth"); err != nil {
		t.Fatal(err)
	}
	return got
}

func checkMonthly(t *testing.T, what string, got, want []querytest.MonthRow) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d months, want %d", what, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		g.Month = g.Month.UTC()
		if show(g) != show(w) {
			t.Errorf("%s: month %s:\n got %s\nwant %s", what, w.Month.Format("2006-01"), show(g), show(w))
		}
	}
}

// show prints a row with its pointers dereferenced.
func show(r querytest.MonthRow) string {
	deref := func(p *float64) string {
		if p == nil {
			return "NULL"
		}
		return fmt.Sprint(*p)
	}
	prev := "NULL"
	if r.PrevPartial != nil {
		prev = fmt.Sprint(*r.PrevPartial)
	}
	s := fmt.Sprintf("prev_partial=%s growth=%s/%s/%s/%s/%s/%s/%s/%s/%s/%s/%s", prev,
		deref(r.ActiveGrowth), deref(r.SendersGrowth), deref(r.NewGrowth), deref(r.TxGrowth), deref(r.NewPerDayGrowth), deref(r.TxPerDayGrowth),
		deref(r.NewSendersGrowth), deref(r.AllPartiesGrowth), deref(r.NewAllGrowth), deref(r.NewSendersPDGrowth), deref(r.NewAllPDGrowth))
	r.PrevPartial, r.ActiveGrowth, r.SendersGrowth, r.NewGrowth, r.TxGrowth, r.NewPerDayGrowth, r.TxPerDayGrowth = nil, nil, nil, nil, nil, nil, nil
	r.NewSendersGrowth, r.AllPartiesGrowth, r.NewAllGrowth, r.NewSendersPDGrowth, r.NewAllPDGrowth = nil, nil, nil, nil, nil
	return fmt.Sprintf("%+v %s", r, s)
}
