package main

import (
	"fmt"
	"math/rand/v2"
	"os/exec"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
	"github.com/ethidx/ethidx/indexer/replay"
)

// killAfter starts ethidx with args and SIGKILLs it after d (if still
// running). It reports whether the kill interrupted the process.
func killAfter(t *testing.T, d time.Duration, args ...string) bool {
	t.Helper()
	cmd := exec.Command(ethidxBin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-exited:
		return false
	case <-time.After(d):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-exited
		return true
	}
}

// killWhen starts ethidx with args and SIGKILLs it as soon as ready
// reports true (polled every few milliseconds), unless it exits first. It
// reports whether the kill interrupted the process.
func killWhen(t *testing.T, ready func() bool, args ...string) bool {
	t.Helper()
	cmd := exec.Command(ethidxBin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	for !ready() {
		select {
		case <-exited:
			return false
		case <-time.After(5 * time.Millisecond):
		}
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-exited
	return true
}

// SIGKILL at random points of a backfill, 20 times, each run resuming the
// last: the final tables equal a clean run's — no gap, no duplicate.
func TestBackfillSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	// The trials load 70 to 110 blocks (logged below): 300 leave them
	// ample room, and the final resume and the clean run load the rest.
	const blocks = 300
	srv := replay.New(replay.Options{})
	if err := srv.Generate(replay.GenOptions{From: 1, Count: blocks, TxPerBlock: 40, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	// Latency per request holds each answer back, so a kill that follows a
	// request lands before its batch is written; the batches of earlier
	// requests may be written, or being written, by then.
	srv.AddFault(replay.Fault{Kind: replay.FaultLatency, Delay: 100 * time.Millisecond})
	url, stop, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	killed := t.TempDir()
	argsBatch := func(dir string, batch int) []string {
		return []string{"--data-dir", dir, "--http-addr", "127.0.0.1:0", "backfill", "--rpc", url,
			"--from", "1", "--to", fmt.Sprint(blocks), "--batch", fmt.Sprint(batch), "--workers", "3"}
	}
	args := func(dir string) []string { return argsBatch(dir, 10) }
	// Each trial is killed once it has asked for the receipts of 1 to 40
	// more blocks: a point in the load, not in time, so the kills land in
	// the backfill on a loaded machine too (timed ones all hit the engine's
	// start there), and the trials load a bounded part of the range (at
	// most the blocks asked for, and the 30 of the batches in flight).
	rng := rand.New(rand.NewPCG(1, 2))
	interrupted := 0
	for trial := 0; trial < 20; trial++ {
		until := srv.Calls("eth_getBlockReceipts") + 1 + rng.IntN(40)
		if killWhen(t, func() bool { return srv.Calls("eth_getBlockReceipts") >= until }, args(killed)...) {
			interrupted++
		}
	}
	t.Logf("%d of 20 kills interrupted a running backfill", interrupted)
	if interrupted < 15 {
		t.Fatalf("only %d of 20 kills interrupted a running backfill; the test needs a longer load", interrupted)
	}
	// The latency only serves the trials: the runs to compare go at full
	// speed.
	srv.ClearFaults()
	out, code := run(t, 5*time.Minute, args(killed)...)
	if code != 0 {
		t.Fatalf("final resume: exit %d\n%s", code, out)
	}
	if m := regexp.MustCompile(`skipped_blocks=(\d+)`).FindStringSubmatch(out); m != nil {
		t.Logf("the trials had loaded %s of the %d blocks", m[1], blocks)
	}
	// The reference is the same range loaded in one go; its batches are
	// larger, as they change no row (the tables are compared as readers
	// see them) and fewer batches cost the engine less.
	clean := t.TempDir()
	if out, code := run(t, 5*time.Minute, argsBatch(clean, 100)...); code != 0 {
		t.Fatalf("clean run: exit %d\n%s", code, out)
	}
	chsinktest.Same(t, "after 20 SIGKILLs vs a clean run", snapshotDir(t, killed), snapshotDir(t, clean))
}
