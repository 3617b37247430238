package main

import (
	"math/rand/v2"
	"os/exec"
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

// SIGKILL at random points of a backfill, 20 times, each run resuming the
// last: the final tables equal a clean run's — no gap, no duplicate.
func TestBackfillSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	srv := replay.New(replay.Options{})
	if err := srv.Generate(replay.GenOptions{From: 1, Count: 1500, TxPerBlock: 40, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	// A little latency per request stretches the load over the trials.
	srv.AddFault(replay.Fault{Kind: replay.FaultLatency, Delay: 40 * time.Millisecond})
	url, stop, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	killed := t.TempDir()
	args := func(dir string) []string {
		return []string{"--data-dir", dir, "--http-addr", "127.0.0.1:0", "backfill", "--rpc", url,
			"--from", "1", "--to", "1500", "--batch", "10", "--workers", "3"}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	interrupted := 0
	for trial := 0; trial < 20; trial++ {
		if killAfter(t, time.Duration(300+rng.IntN(1200))*time.Millisecond, args(killed)...) {
			interrupted++
		}
	}
	t.Logf("%d of 20 kills interrupted a running backfill", interrupted)
	if interrupted < 15 {
		t.Fatalf("only %d of 20 kills interrupted a running backfill; the test needs a longer load", interrupted)
	}
	if out, code := run(t, 5*time.Minute, args(killed)...); code != 0 {
		t.Fatalf("final resume: exit %d\n%s", code, out)
	}
	clean := t.TempDir()
	if out, code := run(t, 5*time.Minute, args(clean)...); code != 0 {
		t.Fatalf("clean run: exit %d\n%s", code, out)
	}
	chsinktest.Same(t, "after 20 SIGKILLs vs a clean run", snapshotDir(t, killed), snapshotDir(t, clean))
}
