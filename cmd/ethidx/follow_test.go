package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
	"github.com/ethidx/ethidx/indexer/devchain"
)

func devChain(t *testing.T, blocks int) (*devchain.Chain, string) {
	t.Helper()
	chain, err := devchain.New(devchain.Config{Seed: 21, MinTxs: 5, MaxTxs: 15, FinalizedDepth: 100, SafeDepth: 50,
		GenesisTime: time.Now().Add(-24 * time.Hour), BlockInterval: 12 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { chain.Close() })
	for i := 0; i < blocks; i++ {
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

// SIGKILL the follower at random moments, 20 times, while the chain grows
// and reorgs: after a final catch-up the tables equal a clean index.
func TestFollowSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	chain, rpc := devChain(t, 30)
	ctx, stopMining := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewPCG(5, 6))
		for i := 0; ctx.Err() == nil; i++ {
			var err error
			if i%12 == 11 {
				err = chain.Reorg(ctx, 1+rng.IntN(5))
			} else {
				_, err = chain.Mine(ctx)
			}
			if err != nil && ctx.Err() == nil {
				t.Errorf("dev chain: %v", err)
				return
			}
			// A block every 200 ms still grows the chain and reorgs it
			// under every trial; faster mining only made the catch-up
			// and the clean index below longer (350 blocks took minutes).
			time.Sleep(200 * time.Millisecond)
		}
	}()
	dir := t.TempDir()
	argsBatch := func(dir, batch string, extra ...string) []string {
		return append([]string{"--data-dir", dir, "--http-addr", "127.0.0.1:0", "follow", "--rpc", rpc,
			"--finality", "latest", "--start", "0", "--batch", batch, "--poll", "100ms"}, extra...)
	}
	args := func(dir string, extra ...string) []string { return argsBatch(dir, "8", extra...) }
	rng := rand.New(rand.NewPCG(7, 8))
	interrupted := 0
	for trial := 0; trial < 20; trial++ {
		if killAfter(t, time.Duration(400+rng.IntN(1200))*time.Millisecond, args(dir)...) {
			interrupted++
		}
	}
	stopMining()
	wg.Wait()
	t.Logf("%d of 20 kills interrupted a running follower", interrupted)
	if interrupted < 18 {
		t.Fatalf("only %d of 20 kills hit a running follower", interrupted)
	}
	if out, code := run(t, 3*time.Minute, args(dir, "--once")...); code != 0 {
		t.Fatalf("catch-up after kills: exit %d\n%s", code, out)
	}
	// The reference indexes the chain in one go; its batches are larger,
	// as they change no row (the tables are compared as readers see them)
	// and fewer batches cost the engine less.
	clean := t.TempDir()
	if out, code := run(t, 3*time.Minute, argsBatch(clean, "64", "--once")...); code != 0 {
		t.Fatalf("clean index: exit %d\n%s", code, out)
	}
	chsinktest.Same(t, "follower after 20 SIGKILLs and reorgs vs a clean run", snapshotDir(t, dir), snapshotDir(t, clean))
}

// follow --once exits 0 at the horizon; a running follower answers
// /healthz, /readyz and /metrics with the right lag, and exits 0 on
// SIGTERM (how long it took is logged: a timing is bench's to judge).
func TestFollowOnceMetricsAndSIGTERM(t *testing.T) {
	t.Parallel()
	chain, rpc := devChain(t, 25)
	dir := t.TempDir()
	base := []string{"--data-dir", dir, "--http-addr", "127.0.0.1:0", "follow", "--rpc", rpc, "--finality", "latest", "--start", "0"}
	out, code := run(t, 2*time.Minute, append(base, "--once")...)
	if code != 0 {
		t.Fatalf("follow --once: exit %d\n%s", code, out)
	}
	head := chain.Head().Number.Uint64()
	// The blocks as a reader sees them (FINAL), as a snapshot counts them;
	// the snapshot's saved views cost seconds and tell nothing here.
	if got := engineQuery(t, dir, "SELECT count() FROM eth.blocks FINAL"); got != fmt.Sprint(head+1) {
		t.Fatalf("after --once blocks = %s, want %d rows (0..%d)", got, head+1, head)
	}

	cmd := exec.Command(ethidxBin, append(base, "--metrics-addr", "127.0.0.1:0", "--poll", "100ms")...)
	logs, done := &lockedBuffer{}, make(chan struct{})
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); close(done) }()
	defer cmd.Process.Kill()
	metrics := loggedAddr(t, logs, "metrics and health endpoints", func() bool { return isClosed(done) })
	for i := 0; i < 3; i++ {
		if _, err := chain.Mine(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	head = chain.Head().Number.Uint64()
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + metrics + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	indexed := regexp.MustCompile(`(?m)^ethidx_indexed_block (\S+)$`)
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, body := get("/metrics")
		if m := indexed.FindStringSubmatch(body); m != nil {
			if v, _ := strconv.ParseFloat(m[1], 64); uint64(v) == head {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("indexed block never reached head %d; metrics:\n%s", head, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code, body := get("/healthz"); code != 200 {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, body := get("/readyz"); code != 200 {
		t.Errorf("/readyz = %d %q", code, body)
	}
	_, body := get("/metrics")
	for _, want := range []string{"ethidx_lag_blocks 0", fmt.Sprintf("ethidx_head_block %d", head), "ethidx_blocks_written_total"} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(want)).MatchString(body) {
			t.Errorf("metrics lack %q", want)
		}
	}

	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("follower exited with %v after SIGTERM, want 0", err)
		}
		t.Logf("follower stopped %s after SIGTERM", time.Since(start).Round(time.Millisecond))
	case <-time.After(time.Minute):
		t.Fatal("follower still running a minute after SIGTERM")
	}
}
