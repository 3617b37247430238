package main

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ethidx/ethidx/indexer/replay"
)

// A second follower of a store refuses while the first runs, naming it.
func TestSecondFollowerRefuses(t *testing.T) {
	t.Parallel()
	_, rpc := devChain(t, 20)
	dir := t.TempDir()
	args := func(extra ...string) []string {
		return append([]string{"--data-dir", dir, "--http-addr", "127.0.0.1:0", "follow", "--rpc", rpc,
			"--finality", "latest", "--start", "0", "--poll", "100ms"}, extra...)
	}
	first := startProc(t, nil, args()...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	<-waitFor(ctx, first.out, "follow: starting fresh")
	if first.exited() || ctx.Err() != nil {
		t.Fatalf("first follower did not start:\n%s", first.out.String())
	}
	out, code := run(t, time.Minute, args("--once")...)
	if code != 1 || !strings.Contains(out, "another ethidx follow is writing this store") {
		t.Fatalf("second follower: exit %d, want 1 naming the first\n%s", code, out)
	}
	_ = first.cmd.Process.Signal(syscall.SIGTERM)
	if err := first.wait(); err != nil {
		t.Fatalf("first follower: %v\n%s", err, first.out.String())
	}
	// With the first gone its claim is released: a follower runs again.
	if out, code := run(t, time.Minute, args("--once")...); code != 0 {
		t.Fatalf("follower after the first stopped: exit %d\n%s", code, out)
	}
}

var loadedBlocks = regexp.MustCompile(`msg="backfill (?:finished|stopped before the end of its range)".* blocks=(\d+)`)

// Two backfills of one range at once load each batch once between them:
// the second takes the batches the first does not hold and waits for the
// rest. If the first, whose endpoint the second uses, exits while the
// second still works, the second fails (never exit 0 with its work
// unconfirmed), and a rerun finishes.
func TestConcurrentBackfillsShareTheRange(t *testing.T) {
	t.Parallel()
	const blocks = 200
	srv := replay.New(replay.Options{})
	if err := srv.Generate(replay.GenOptions{From: 1, Count: blocks, TxPerBlock: 10, Seed: 4}); err != nil {
		t.Fatal(err)
	}
	srv.AddFault(replay.Fault{Kind: replay.FaultLatency, Delay: 30 * time.Millisecond})
	url, stop, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	dir := t.TempDir()
	args := []string{"--data-dir", dir, "--http-addr", "127.0.0.1:0", "backfill", "--rpc", url,
		"--from", "1", "--to", strconv.Itoa(blocks), "--batch", "10", "--workers", "1"}
	first := startProc(t, nil, args...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	<-waitFor(ctx, first.out, "backfill planned")
	second := startProc(t, nil, args...)
	errFirst, errSecond := first.wait(), second.wait()
	if errFirst != nil {
		t.Fatalf("first backfill: %v\n%s", errFirst, first.out.String())
	}
	outs := []string{first.out.String(), second.out.String()}
	if errSecond != nil {
		if !strings.Contains(outs[1], "connection") {
			t.Fatalf("second backfill failed without naming the lost store: %v\n%s", errSecond, outs[1])
		}
		out, code := run(t, 3*time.Minute, args...)
		if code != 0 {
			t.Fatalf("rerun of the second backfill: exit %d\n%s", code, out)
		}
		outs = append(outs, out)
	}
	total := 0
	for _, out := range outs {
		for _, m := range loadedBlocks.FindAllStringSubmatch(out, -1) {
			n, _ := strconv.Atoi(m[1])
			total += n
		}
	}
	if total != blocks {
		t.Fatalf("the backfills loaded %d blocks between them, want each of the %d once\nfirst:\n%s\nsecond:\n%s", total, blocks, outs[0], outs[1])
	}
	if !strings.Contains(outs[1], "another writer holds batches") && !strings.Contains(outs[1], "skipped=") {
		t.Logf("second backfill:\n%s", outs[1])
	}
}
