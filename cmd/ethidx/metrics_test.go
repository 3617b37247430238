package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
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
	m := newFollowMetrics(5, time.Second)
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
	// The node gone: no answer for longer than the follower waits, then a
	// failed step. Readiness turns false, and lag_seconds, computed when
	// scraped, keeps growing with nothing stored.
	m.contactAt.Store(time.Now().Add(-m.staleAfter - time.Second).UnixNano())
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "no answer from the node") {
		t.Errorf("/readyz with the node silent = %d %q, want 503", code, body)
	}
	m.indexedAt.Store(time.Now().Add(-time.Hour).Unix())
	if got := metric("ethidx_lag_seconds"); got < 3600 {
		t.Errorf("lag_seconds with the tip an hour old = %v, want >= 3600", got)
	}
	m.Head(indexer.Header{Number: 100}) // the node answers again, but block 98 is refused
	m.stepFailed(&indexer.BlockError{Number: 98, Reason: "verifying receiptsRoot: ...", Proof: true})
	m.stepFailed(&indexer.BlockError{Number: 98, Reason: "verifying receiptsRoot: ...", Proof: true})
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "2 attempts") || !strings.Contains(body, "block 98") {
		t.Errorf("/readyz while block 98 is refused = %d %q, want 503 naming it", code, body)
	}
	m.Indexed(indexer.Header{Number: 98, Timestamp: uint64(time.Now().Unix())})
	if code, body := get("/readyz"); code != 200 {
		t.Errorf("/readyz after progress = %d %q, want 200", code, body)
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

// The store gauges take status's figures; a table gone from the report
// leaves the gauges, while a figure the report lacks this time (the node
// did not answer) keeps its last value instead of reading 0.
func TestStoreGauges(t *testing.T) {
	m := newFollowMetrics(5, time.Second)
	u := func(n uint64) *uint64 { return &n }
	secs := int64(120)
	tip := time.Unix(1704067200, 0).UTC()
	m.observeStatus(statusReport{
		Node:   &nodeReport{Latest: u(110), Safe: u(105), Finalized: u(90)},
		Stored: storedReport{Tip: u(100), TipTime: &tip, Blocks: 80, Gaps: []blockRange{{From: 11, To: 30, Blocks: 20}}, GapBlocks: 20},
		Lag:    &lagReport{Blocks: 10, Seconds: &secs},
		Tables: []tableReport{{Table: "blocks", Rows: 80, CompressedBytes: 4096}, {Table: "old", Rows: 1}},
	}, 2)
	m.observeStatus(statusReport{
		Node:   &nodeReport{Error: "down"},
		Stored: storedReport{Tip: u(100), TipTime: &tip, Blocks: 80, Gaps: []blockRange{{From: 11, To: 30, Blocks: 20}}, GapBlocks: 20},
		Tables: []tableReport{{Table: "blocks", Rows: 81, CompressedBytes: 4100}},
	}, 0)
	got := gather(t, m)
	for name, want := range map[string]float64{
		`ethidx_node_block{tag="latest"}`:     110,
		`ethidx_node_block{tag="finalized"}`:  90,
		`ethidx_head_lag_blocks`:              10,
		`ethidx_head_lag_seconds`:             120,
		`ethidx_stored_tip_block`:             100,
		`ethidx_stored_tip_timestamp_seconds`: 1704067200,
		`ethidx_gap_blocks`:                   20,
		`ethidx_gaps`:                         1,
		`ethidx_done_blocks`:                  80,
		`ethidx_table_rows{table="blocks"}`:   81,
		`ethidx_table_bytes{table="blocks"}`:  4100,
		`ethidx_detached_parts`:               0,
	} {
		if v, ok := got[name]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", name, v, ok, want)
		}
	}
	if _, ok := got[`ethidx_table_rows{table="old"}`]; ok {
		t.Errorf("a table no longer reported still has a gauge")
	}
}

// gather reads m's registry as "name{labels}" -> value.
func gather(t *testing.T, m *followMetrics) map[string]float64 {
	t.Helper()
	mfs, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			name := mf.GetName()
			var labels []string
			for _, l := range mt.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			if len(labels) > 0 {
				name += "{" + strings.Join(labels, ",") + "}"
			}
			if g := mt.GetGauge(); g != nil {
				out[name] = g.GetValue()
			}
		}
	}
	return out
}

// --metrics-addr without a host binds loopback, as the README's examples
// and every other endpoint of ethidx do; a named interface is kept.
func TestMetricsAddrDefaultsToLoopback(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for in, want := range map[string]string{":0": "127.0.0.1:", "127.0.0.1:0": "127.0.0.1:", "[::1]:0": "[::1]:"} {
		addr, err := newFollowMetrics(5, time.Second).serve(ctx, in)
		if err != nil {
			if in == "[::1]:0" {
				continue // no IPv6 loopback here
			}
			t.Fatal(err)
		}
		if !strings.HasPrefix(addr, want) {
			t.Errorf("--metrics-addr %s listens on %s, want %s*", in, addr, want)
		}
	}
}
