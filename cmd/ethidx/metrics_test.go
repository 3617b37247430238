package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/ethidx/ethidx/indexer"
)

// The health and lag endpoints follow the observer's events: not ready
// before any block, ready within --ready-lag, 503 past it, and lag in
// blocks and seconds as the horizon and the stored tip say.
func TestFollowMetricsLag(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := newFollowMetrics(5)
	addr, err := m.serve(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	metric := func(name string) float64 {
		t.Helper()
		_, body := get("/metrics")
		mm := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindStringSubmatch(body)
		if mm == nil {
			t.Fatalf("no %s in metrics", name)
		}
		v, _ := strconv.ParseFloat(mm[1], 64)
		return v
	}

	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz = %d, want 200", code)
	}
	m.Head(indexer.Header{Number: 100})
	if code, body := get("/readyz"); code != 503 {
		t.Errorf("/readyz before any block = %d %q, want 503", code, body)
	}
	blockTime := time.Now().Add(-90 * time.Second)
	m.Indexed(indexer.Header{Number: 90, Timestamp: uint64(blockTime.Unix())})
	if got := metric("ethidx_lag_blocks"); got != 10 {
		t.Errorf("lag_blocks = %v, want 10", got)
	}
	if got := metric("ethidx_lag_seconds"); got < 89 || got > 120 {
		t.Errorf("lag_seconds = %v, want about 90", got)
	}
	if code, body := get("/readyz"); code != 503 {
		t.Errorf("/readyz 10 blocks behind with --ready-lag 5 = %d %q, want 503", code, body)
	}
	m.Indexed(indexer.Header{Number: 97, Timestamp: uint64(time.Now().Unix())})
	if code, body := get("/readyz"); code != 200 {
		t.Errorf("/readyz 3 blocks behind = %d %q, want 200", code, body)
	}
	if got := metric("ethidx_lag_blocks"); got != 3 {
		t.Errorf("lag_blocks = %v, want 3", got)
	}
	m.Wrote(2, 30, 40*time.Millisecond)
	m.Reorg(7, [32]byte{}, [32]byte{})
	for name, want := range map[string]float64{
		"ethidx_blocks_written_total":       2,
		"ethidx_transactions_written_total": 30,
		"ethidx_reorgs_total":               1,
		"ethidx_reorg_depth_blocks_sum":     7,
	} {
		if got := metric(name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
}
