package main

import (
	"strings"
	"testing"
	"time"

	"github.com/ethidx/ethidx/indexer/replay"
)

// A backfill on a terminal: no frame says "0 blocks/hr", the bar ends at
// 100% and stays, and the day cache that follows shows it is under way.
func TestBackfillProgressOnTerminal(t *testing.T) {
	t.Parallel()
	srv := replay.New(replay.Options{})
	if err := srv.Generate(replay.GenOptions{From: 1, Count: 200, TxPerBlock: 20, Seed: 6}); err != nil {
		t.Fatal(err)
	}
	url, stop, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	out, code := runTTY(t, 3*time.Minute, "--data-dir", t.TempDir(), "--http-addr", "127.0.0.1:0",
		"backfill", "--rpc", url, "--from", "1", "--to", "200", "--batch", "10", "--workers", "1")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if strings.Contains(out, "blocks/hr") || strings.Contains(out, " 0.0 blocks/s") {
		t.Errorf("a frame shows no rate yet:\n%s", out)
	}
	if !strings.Contains(out, "100% |") || !strings.Contains(out, "(200/200") {
		t.Errorf("the bar does not end at 100%%:\n%s", out)
	}
	finished := strings.Index(out, "backfill finished")
	caching := strings.Index(out, "caching the daily figures of the loaded days")
	if finished < 0 || caching < finished {
		t.Errorf("the day cache after the backfill is not shown:\n%s", out)
	}
}
