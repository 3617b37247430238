package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ethidx/ethidx/indexer/devchain"
)

// monthsChain is a dev chain with a block every 6 hours from genesis
// through until, served over RPC.
func monthsChain(t *testing.T, genesis, until time.Time) (*devchain.Chain, string) {
	t.Helper()
	chain, err := devchain.New(devchain.Config{Seed: 5, MinTxs: 3, MaxTxs: 6, GenesisTime: genesis, BlockInterval: 6 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { chain.Close() })
	for chain.Head().Time < uint64(until.Unix()) {
		if _, err := chain.Mine(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	addr, err := chain.ServeRPC(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return chain, "http://" + addr
}

// A month and the month before, each loaded by date, report complete with
// growth figures: a date backfill loads the blocks either side of its days,
// which the day-completeness rule needs. A month not loaded in full names
// the command that loads it.
func TestMonthsLoadedByDateAreComplete(t *testing.T) {
	t.Parallel()
	_, rpc := monthsChain(t, time.Date(2025, 9, 20, 0, 0, 0, 0, time.UTC), time.Date(2025, 12, 10, 0, 0, 0, 0, time.UTC))
	dir := t.TempDir()
	ethidx := func(want int, args ...string) string {
		t.Helper()
		out, code := run(t, 3*time.Minute, append([]string{"--data-dir", dir, "--http-addr", "127.0.0.1:0"}, args...)...)
		if code != want {
			t.Fatalf("ethidx %v: exit %d, want %d\n%s", args, code, want, out)
		}
		return out
	}
	ethidx(0, "backfill", "--rpc", rpc, "--from-date", "2025-10-01", "--to-date", "2025-10-31")
	ethidx(0, "backfill", "--rpc", rpc, "--from-date", "2025-11-01", "--to-date", "2025-11-30")
	out := ethidx(0, "report", "--month", "2025-11")
	if !strings.Contains(out, "November 2025 vs October 2025 (30/30 days indexed") || strings.Contains(out, "PARTIAL") ||
		!strings.Contains(out, "31/31") || !strings.Contains(out, "In November 2025 daily active addresses") {
		t.Errorf("November and October loaded by date do not report complete with growth figures:\n%s", out)
	}
	// December has only its first days loaded (by the boundary block):
	// partial, with per-day figures first and the command that completes it.
	out = ethidx(0, "report", "--month", "2025-12")
	want := "to report it in full, load the missing days: ethidx --data-dir " + dir +
		" backfill --rpc URL --from-date 2025-12-01 --to-date 2025-12-31"
	if !strings.Contains(out, "PARTIAL MONTH") || !strings.Contains(out, want) || !strings.Contains(out, "transactions (per day)") {
		t.Errorf("a partial month's report does not name the load, or leads with totals:\n%s", out)
	}
}
