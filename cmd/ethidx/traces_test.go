package main

import (
	"strings"
	"testing"
	"time"

	"github.com/ethidx/ethidx/indexer/devchain"
	"github.com/ethidx/ethidx/indexer/replay"
)

// --traces end to end: a node without either trace method is refused at
// start with exit 2 and nothing written; a dev chain's blocks load with
// their frames, a later range without --traces loads without, verify
// --traces checks the frames against the node and finds a lost one, and a
// backfill --traces over it loads it again.
func TestTracesFromTheCommandLine(t *testing.T) {
	t.Parallel()
	srv := replay.New(replay.Options{ChainID: 1})
	if err := srv.Generate(replay.GenOptions{From: 1, Count: 5, TxPerBlock: 3, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	plain, stop, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	dir := t.TempDir()
	ethidx := func(args ...string) (string, int) {
		return run(t, 3*time.Minute, append([]string{"--data-dir", dir, "--http-addr", "127.0.0.1:0"}, args...)...)
	}
	out, code := ethidx("backfill", "--traces", "--rpc", plain, "--from", "1", "--to", "5")
	if code != 2 || !strings.Contains(out, "debug_traceBlockByHash") || !strings.Contains(out, "trace_block") {
		t.Fatalf("backfill --traces from a node without traces: exit %d, want 2 naming both methods:\n%s", code, out)
	}

	_, rpc := servedChain(t, devchain.Config{Seed: 8, MinTxs: 10, MaxTxs: 16,
		GenesisTime: time.Now().Add(-72 * time.Hour).Truncate(time.Hour)}, 40)
	dir = t.TempDir()
	if out, code := ethidx("backfill", "--traces", "--rpc", rpc, "--from", "0", "--to", "29"); code != 0 {
		t.Fatalf("backfill --traces: exit %d\n%s", code, out)
	}
	if out, code := ethidx("backfill", "--rpc", rpc, "--from", "30", "--to", "40"); code != 0 {
		t.Fatalf("backfill without --traces: exit %d\n%s", code, out)
	}
	out, code = ethidx("sql", "SELECT countIf(isNotNull(trace_count)), countIf(isNull(trace_count)), "+
		"(SELECT count() FROM traces FINAL WHERE block_number > 29), (SELECT count() FROM traces FINAL WHERE depth > 0) FROM blocks FINAL FORMAT TSV")
	f := strings.Fields(out)
	if code != 0 || len(f) != 4 || f[0] != "30" || f[1] != "11" || f[2] != "0" || f[3] == "0" {
		t.Fatalf("traced blocks, untraced blocks, frames past 29, internal frames = %q (exit %d); want 30, 11, 0 and some", out, code)
	}
	if out, code := ethidx("verify", "--traces", "--rpc", rpc, "--from", "0", "--to", "40"); code != 0 {
		t.Fatalf("verify --traces of a whole store: exit %d\n%s", code, out)
	}

	// One frame of block 12 goes missing: verify names the block, and a
	// backfill finds the batch short and loads it again.
	engineQuery(t, dir, "DELETE FROM eth.traces WHERE block_number = 12 AND frame = 0")
	out, code = ethidx("verify", "--traces", "--rpc", rpc, "--from", "0", "--to", "40")
	if code == 0 || !strings.Contains(out, "block 12: call frame rows stored") {
		t.Fatalf("verify after a lost frame: exit %d, want a problem at block 12:\n%s", code, out)
	}
	if out, code := ethidx("backfill", "--traces", "--rpc", rpc, "--from", "10", "--to", "19"); code != 0 {
		t.Fatalf("backfill --traces over the damage: exit %d\n%s", code, out)
	}
	if out, code := ethidx("verify", "--traces", "--rpc", rpc, "--from", "0", "--to", "40"); code != 0 {
		t.Fatalf("verify after the repair: exit %d\n%s", code, out)
	}
}
