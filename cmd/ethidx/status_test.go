package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ethidx/ethidx/indexer/replay"
)

// statusJSON runs `ethidx status --format json` with args and decodes it.
func statusJSON(t *testing.T, args ...string) statusReport {
	t.Helper()
	return statusJSONEnv(t, nil, args...)
}

// statusJSONEnv is statusJSON with the environment env (nil: this
// process's).
func statusJSONEnv(t *testing.T, env []string, args ...string) statusReport {
	t.Helper()
	out, code := runEnv(t, 2*time.Minute, env, append(args, "status", "--format", "json")...)
	if code != 0 {
		t.Fatalf("status --format json: exit %d\n%s", code, out)
	}
	// The JSON is stdout's only content; logs go to stderr, which run
	// merges, so decode from the first brace.
	i := strings.Index(out, "{\n")
	if i < 0 {
		t.Fatalf("status --format json printed no object:\n%s", out)
	}
	var rep statusReport
	if err := json.NewDecoder(strings.NewReader(out[i:])).Decode(&rep); err != nil {
		t.Fatalf("decoding status: %v\n%s", err, out)
	}
	return rep
}

func tableRows(rep statusReport, table string) (uint64, uint64, bool) {
	for _, tr := range rep.Tables {
		if tr.Table == table {
			return tr.Rows, tr.CompressedBytes, true
		}
	}
	return 0, 0, false
}

// A store backfilled in two disjoint ranges, behind a node whose head is
// further on: status names the gap, the stored tip and the lag in blocks
// and seconds (in text and in JSON), with and without the node; verify's
// last run is recorded and shown; and a follower's metrics endpoint shows
// the same figures as status.
func TestStatusGapAndLag(t *testing.T) {
	t.Parallel()
	// One block an hour from 2024-01-01T00:00Z, so blocks 1-300 span 12.5
	// days and the day cache has complete days to hold.
	srv := replay.New(replay.Options{SafeLag: 4, FinalizedLag: 10})
	if err := srv.Generate(replay.GenOptions{From: 1, Count: 300, TxPerBlock: 6, Seed: 17, BlockTime: 3600}); err != nil {
		t.Fatal(err)
	}
	url, stop, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	dir := t.TempDir()
	base := []string{"--data-dir", dir, "--http-addr", "127.0.0.1:0"}
	for _, r := range [][2]string{{"1", "100"}, {"151", "250"}} {
		out, code := run(t, 3*time.Minute, append(base, "backfill", "--rpc", url, "--from", r[0], "--to", r[1], "--batch", "25")...)
		if code != 0 {
			t.Fatalf("backfill %s-%s: exit %d\n%s", r[0], r[1], code, out)
		}
	}

	// Without a node: what the store knows.
	out, code := run(t, 2*time.Minute, append(base, "status")...)
	if code != 0 {
		t.Fatalf("status: exit %d\n%s", code, out)
	}
	for _, want := range []string{
		"tip 250 (2024-01-11 09:00:00 UTC", // block n is stamped (n-1) hours after the start
		"200 blocks in 2 completed ranges",
		"ranges     1-100, 151-250",
		"gaps       50 blocks in 1 gap: 101-150",
		"not asked",
		"verify     never run",
		"problems   none found",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("status text lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\nlag") {
		t.Errorf("status without a node shows a lag:\n%s", out)
	}
	rep := statusJSON(t, base...)
	if rep.Node != nil || rep.Lag != nil {
		t.Errorf("status without --rpc reports a node %+v or lag %+v", rep.Node, rep.Lag)
	}
	if rep.Stored.Tip == nil || *rep.Stored.Tip != 250 {
		t.Errorf("stored tip %v, want 250", rep.Stored.Tip)
	}
	if got, want := fmt.Sprint(rep.Stored.Ranges), "[{1 100 100} {151 250 100}]"; got != want {
		t.Errorf("ranges %s, want %s", got, want)
	}
	if got, want := fmt.Sprint(rep.Stored.Gaps), "[{101 150 50}]"; got != want || rep.Stored.GapBlocks != 50 {
		t.Errorf("gaps %s (%d blocks), want %s (50 blocks)", got, rep.Stored.GapBlocks, want)
	}
	if rows, bytes, ok := tableRows(rep, "blocks"); !ok || rows != 200 || bytes == 0 {
		t.Errorf("blocks table: %d rows, %d bytes (listed: %v), want 200 rows and some bytes", rows, bytes, ok)
	}
	if rows, _, _ := tableRows(rep, "transactions"); rows < 200 {
		t.Errorf("transactions table: %d rows, want at least one a block", rows)
	}
	// Blocks 1-100 are days 0-4 of the chain (24 a day), 151-250 days 6-10:
	// ten days with a stored block. A day is complete when its blocks and
	// both neighbours are stored: days 1-3 and 7-9 (day 0 lacks block 0,
	// days 4 and 6 border the gap, day 10 the head). The backfills cached
	// every complete day, and nothing changed them since.
	dc := rep.DayCache
	if !dc.Installed || dc.StoredDays != 10 || dc.CompleteDays != 6 || dc.CachedDays != 6 || dc.ValidDays != 6 {
		t.Errorf("day cache %+v, want installed, 10 stored days, 6 complete, 6 cached, 6 valid", dc)
	}
	if rep.LastVerify != nil || len(rep.Problems) != 0 {
		t.Errorf("last verify %+v, problems %q; want none", rep.LastVerify, rep.Problems)
	}

	// verify records its run; one across the gap finds problems (and
	// exits 1), and status shows that run as the last.
	if out, code := run(t, 2*time.Minute, append(base, "verify", "--rpc", url, "--from", "1", "--to", "100")...); code != 0 {
		t.Fatalf("verify 1-100: exit %d\n%s", code, out)
	}
	before := time.Now().UTC().Add(-time.Second)
	out, code = run(t, 2*time.Minute, append(base, "verify", "--rpc", url, "--from", "95", "--to", "160")...)
	if code != 1 {
		t.Fatalf("verify 95-160 across the gap: exit %d, want 1\n%s", code, out)
	}
	problems := len(regexp.MustCompile(`(?m)^block \d+: `).FindAllString(out, -1))
	rep = statusJSON(t, base...)
	if v := rep.LastVerify; v == nil || v.From != 95 || v.To != 160 || v.Problems == 0 || v.Finished.Before(before) || v.Started.After(v.Finished) {
		t.Errorf("last verify %+v, want blocks 95-160 with problems, finished after %s", v, before)
	} else if int(v.Problems) != problems {
		t.Errorf("last verify recorded %d problems, verify printed %d", v.Problems, problems)
	}

	// With the node: its head is 300, safe 296, finalized 290; the stored
	// tip 250 is 50 blocks and 50 hours behind the head.
	rep = statusJSON(t, append(base, "--rpc", url)...)
	n := rep.Node
	if n == nil || n.Latest == nil || *n.Latest != 300 || n.Safe == nil || *n.Safe != 296 || n.Finalized == nil || *n.Finalized != 290 || n.Error != "" {
		t.Fatalf("node %+v, want latest 300, safe 296, finalized 290", n)
	}
	l := rep.Lag
	if l == nil || l.Blocks != 50 || l.Seconds == nil || *l.Seconds != 50*3600 || l.FinalizedBlocks == nil || *l.FinalizedBlocks != 40 {
		t.Errorf("lag %+v, want 50 blocks, 180000 s, 40 behind finalized", l)
	}
	out, code = run(t, 2*time.Minute, append(base, "status", "--rpc", url)...)
	if code != 0 {
		t.Fatalf("status --rpc: exit %d\n%s", code, out)
	}
	for _, want := range []string{
		"node       latest 300, safe 296, finalized 290",
		"lag        50 blocks, 180000 s behind the node's latest block (40 behind finalized)",
		"verify     last run ",
		"blocks 95-160, " + strconv.Itoa(problems) + " problems",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("status --rpc text lacks %q:\n%s", want, out)
		}
	}

	// A node that does not answer is reported, and the store's figures
	// are still printed.
	out, code = run(t, 2*time.Minute, append(base, "status", "--rpc", "http://"+freeAddr(t))...)
	if code != 0 || !strings.Contains(out, "node error:") || !strings.Contains(out, "gaps       50 blocks in 1 gap") {
		t.Errorf("status with a dead node: exit %d, want 0 with a node error and the gap\n%s", code, out)
	}

	// A follower at finality "finalized" loads 251-290 and stops there,
	// 10 blocks behind the head; the gap stays (it resumes after the
	// tip). Its metrics show what status shows, read while it runs.
	cmd := exec.Command(ethidxBin, append(base, "follow", "--rpc", url, "--metrics-addr", "127.0.0.1:0",
		"--poll", "200ms", "--refresh", "300ms")...)
	logs, done := &lockedBuffer{}, make(chan struct{})
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); close(done) }()
	defer cmd.Process.Kill() // if the test ends before it stops the follower
	metrics := loggedAddr(t, logs, "metrics and health endpoints", func() bool { return isClosed(done) })
	gauges := func() map[string]float64 {
		resp, err := http.Get("http://" + metrics + "/metrics")
		if err != nil {
			return nil
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		out := map[string]float64{}
		for _, m := range regexp.MustCompile(`(?m)^(ethidx_[a-z_]+(?:\{[^}]*\})?) (\S+)$`).FindAllStringSubmatch(string(b), -1) {
			v, _ := strconv.ParseFloat(m[2], 64)
			out[m[1]] = v
		}
		return out
	}
	// Settled: the tip at the finalized block, and the day cache
	// refreshed after it. Blocks 251-290 complete days 10 (241-264) and
	// 11 (265-288), so 8 days are cached; the gauges are read again right
	// after each cache refresh.
	var g map[string]float64
	deadline := time.Now().Add(90 * time.Second)
	for {
		g = gauges()
		if g["ethidx_stored_tip_block"] == 290 && g["ethidx_cache_days"] == 8 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the follower's store gauges never showed tip 290 and 8 cached days: %v", g)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// status beside the running follower goes through its private
	// endpoint, with the account its endpoint file gives: every figure,
	// the table sizes included, is there.
	rep = statusJSON(t, append(base, "--rpc", url)...)
	if rep.Stored.Tip == nil || *rep.Stored.Tip != 290 || rep.Lag == nil || rep.Lag.Blocks != 10 || rep.LastVerify == nil {
		t.Fatalf("status beside the follower: tip %v, lag %+v, last verify %+v; want tip 290, 10 blocks behind, the verify run", rep.Stored.Tip, rep.Lag, rep.LastVerify)
	}
	if slices.Contains(rep.LeftOut, "table sizes") || len(rep.Tables) == 0 {
		t.Errorf("status beside the follower: tables %v, left out %q; want the table sizes", rep.Tables, rep.LeftOut)
	}
	// Stopped, the follower leaves the store as its gauges last saw it;
	// status opening the data dir itself has every figure.
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("follower after SIGTERM: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("follower still running a minute after SIGTERM")
	}
	rep = statusJSON(t, append(base, "--rpc", url)...)
	if len(rep.LeftOut) != 0 || rep.Lag == nil || rep.LastVerify == nil || rep.Stored.TipTime == nil {
		t.Fatalf("status after the follower: left out %q, lag %+v, last verify %+v", rep.LeftOut, rep.Lag, rep.LastVerify)
	}
	blocks, blockBytes, _ := tableRows(rep, "blocks")
	for name, want := range map[string]float64{
		`ethidx_gap_blocks`:                    float64(rep.Stored.GapBlocks),
		`ethidx_gaps`:                          float64(len(rep.Stored.Gaps)),
		`ethidx_done_blocks`:                   float64(rep.Stored.Blocks),
		`ethidx_stored_tip_block`:              float64(*rep.Stored.Tip),
		`ethidx_stored_tip_timestamp_seconds`:  float64(rep.Stored.TipTime.Unix()),
		`ethidx_node_block{tag="latest"}`:      float64(*rep.Node.Latest),
		`ethidx_node_block{tag="safe"}`:        float64(*rep.Node.Safe),
		`ethidx_node_block{tag="finalized"}`:   float64(*rep.Node.Finalized),
		`ethidx_head_lag_blocks`:               float64(rep.Lag.Blocks),
		`ethidx_head_lag_seconds`:              float64(*rep.Lag.Seconds),
		`ethidx_table_rows{table="blocks"}`:    float64(blocks),
		`ethidx_cache_days`:                    float64(rep.DayCache.CachedDays),
		`ethidx_verify_last_problems`:          float64(rep.LastVerify.Problems),
		`ethidx_verify_last_timestamp_seconds`: float64(rep.LastVerify.Finished.Unix()),
		`ethidx_detached_parts`:                0,
	} {
		if got, ok := g[name]; !ok || got != want {
			t.Errorf("metric %s = %v (present: %v), status says %v", name, got, ok, want)
		}
	}
	// Bytes on disk change when the engine merges parts, which it may do
	// between the follower's last gauges and status: the same size, not
	// the same byte.
	if got, want := g[`ethidx_table_bytes{table="blocks"}`], float64(blockBytes); want == 0 || got < want*0.75 || got > want*1.25 {
		t.Errorf(`metric ethidx_table_bytes{table="blocks"} = %v, status says %v`, got, want)
	}
	// And the figures themselves: 50 missing, 240 stored, 10 behind.
	if g["ethidx_gap_blocks"] != 50 || g["ethidx_done_blocks"] != 240 || g["ethidx_head_lag_seconds"] != 36000 {
		t.Errorf("gauges gap %v, done %v, lag %v s; want 50, 240, 36000", g["ethidx_gap_blocks"], g["ethidx_done_blocks"], g["ethidx_head_lag_seconds"])
	}
}

// A store that lost a transactions part (its directory deleted on disk) is
// opened by status, which exits 0 and lists the problem the damage check
// finds — table, blocks and repair — in text and JSON; after the repair it
// lists none.
func TestStatusDamagedStore(t *testing.T) {
	t.Parallel()
	srv := replay.New(replay.Options{})
	if err := srv.Generate(replay.GenOptions{From: 1, Count: 200, TxPerBlock: 10, Seed: 23}); err != nil {
		t.Fatal(err)
	}
	url, stop, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	dir := t.TempDir()
	base := []string{"--data-dir", dir, "--http-addr", "127.0.0.1:0"}
	backfill := append(append([]string(nil), base...), "backfill", "--rpc", url, "--from", "1", "--to", "200", "--batch", "50")
	if out, code := run(t, 3*time.Minute, backfill...); code != 0 {
		t.Fatalf("backfill: exit %d\n%s", code, out)
	}
	paths, _ := activeParts(t, dir, "transactions")
	removeOlderCopies(t, paths[0])
	if err := os.RemoveAll(paths[0]); err != nil {
		t.Fatal(err)
	}

	out, code := run(t, 2*time.Minute, append(base, "status")...)
	if code != 0 {
		t.Fatalf("status on a damaged store: exit %d, want 0\n%s", code, out)
	}
	m := regexp.MustCompile(`(?m)^problems  +(table transactions: .*)$`).FindStringSubmatch(out)
	if m == nil || !strings.Contains(m[1], "ethidx backfill --from 1 --to 200") {
		t.Fatalf("status text lists no transactions problem with its repair:\n%s", out)
	}
	rep := statusJSON(t, base...)
	// The rows short in the partition, and the parts whose directories
	// went (see lostParts), each with the same repair.
	if len(rep.Problems) == 0 || rep.Problems[0] != m[1] {
		t.Errorf("status JSON problems %q, want %q first", rep.Problems, m[1])
	}
	for _, p := range rep.Problems {
		if !strings.HasPrefix(p, "table transactions: ") || !strings.Contains(p, "ethidx backfill --from 1 --to 200") {
			t.Errorf("status JSON problem %q: want a transactions problem repaired by the backfill", p)
		}
	}
	// The rows are gone but the range is still recorded as done: status
	// says so rather than hiding it.
	if rep.Stored.Tip == nil || *rep.Stored.Tip != 200 || rep.Stored.GapBlocks != 0 {
		t.Errorf("damaged store: tip %v, %d gap blocks; want tip 200, no gap", rep.Stored.Tip, rep.Stored.GapBlocks)
	}

	if out, code := run(t, 3*time.Minute, backfill...); code != 0 {
		t.Fatalf("repairing backfill: exit %d\n%s", code, out)
	}
	if rep := statusJSON(t, base...); len(rep.Problems) != 0 {
		t.Errorf("after the repair status still lists %q", rep.Problems)
	}
}
