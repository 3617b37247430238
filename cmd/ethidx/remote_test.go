package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The read side through the binary, as a user with a ClickHouse server
// has it: `ethidx serve` owns a data dir with users; a second ethidx, on a
// machine with no engine installed, reaches it with --clickhouse and runs
// query, sql and report. The admin's figures equal the rows; the read-only
// user reads the same figures and cannot write; bad SQL exits 2; serve
// stops cleanly on SIGTERM.
func TestQueryCommandsAgainstServe(t *testing.T) {
	t.Parallel()
	chain, rpc := devChain(t, 40)
	dir := t.TempDir()
	if out, code := run(t, 3*time.Minute, "--data-dir", dir, "--http-addr", "127.0.0.1:0",
		"follow", "--rpc", rpc, "--finality", "latest", "--start", "0", "--once"); code != 0 {
		t.Fatalf("follow --once: exit %d\n%s", code, out)
	}
	var wantTxs int
	for n := uint64(0); n <= chain.Head().Number.Uint64(); n++ {
		b, err := chain.Client().BlockByNumber(context.Background(), new(big.Int).SetUint64(n))
		if err != nil {
			t.Fatal(err)
		}
		wantTxs += len(b.Transactions())
	}

	serve := exec.Command(ethidxBin, "--data-dir", dir, "--http-addr", "127.0.0.1:0", "serve", "--user", "admin:adminpw", "--readonly-user", "bi:bipw")
	serveOut := &lockedBuffer{}
	serve.Stdout, serve.Stderr = serveOut, serveOut
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	exited, done := make(chan error, 1), make(chan struct{})
	go func() { exited <- serve.Wait(); close(done) }()
	defer serve.Process.Kill()
	addr := loggedAddr(t, serveOut, "serving SQL", func() bool { return isClosed(done) })
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/ping"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve never answered /ping\n%s", serveOut.String())
		}
	}

	// No engine on this "machine": an empty cache and a library path that
	// does not exist. A client of a server must not need one.
	home := t.TempDir()
	env := append(os.Environ(), "HOME="+home, "XDG_CACHE_HOME="+filepath.Join(home, "cache"),
		"ETHIDX_LIBCHDB="+filepath.Join(home, "no-such-libchdb.so"))
	client := func(user string, args ...string) (string, int) {
		t.Helper()
		// The DSN holds a password: from the environment, not argv.
		return runEnv(t, 2*time.Minute, append(env, "ETHIDX_CLICKHOUSE=http://"+user+"@"+addr+"/eth"), args...)
	}

	for _, user := range []string{"admin:adminpw", "bi:bipw"} {
		out, code := client(user, "sql", "--format", "tsv", "SELECT count() FROM transactions FINAL")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if code != 0 || lines[len(lines)-1] != strconv.Itoa(wantTxs) {
			t.Errorf("%s: sql count: exit %d, %q; want %d", user, code, out, wantTxs)
		}
		out, code = client(user, "query", "daily_activity", "--format", "csv")
		if code != 0 {
			t.Fatalf("%s: query daily_activity: exit %d\n%s", user, code, out)
		}
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || len(recs) < 2 {
			t.Fatalf("%s: daily_activity csv: %v\n%s", user, err, out)
		}
		col := map[string]int{}
		for i, h := range recs[0] {
			col[h] = i
		}
		sum := 0
		for _, r := range recs[1:] {
			n, err := strconv.Atoi(r[col["tx_count"]])
			if err != nil {
				t.Fatalf("%s: tx_count %q: %v", user, r[col["tx_count"]], err)
			}
			sum += n
		}
		if sum != wantTxs {
			t.Errorf("%s: daily_activity tx_count sums to %d over %d days, want %d", user, sum, len(recs)-1, wantTxs)
		}
		chart := filepath.Join(t.TempDir(), "activity.svg")
		month := time.Unix(int64(chain.Head().Time), 0).UTC().Format("2006-01")
		out, code = client(user, "report", "--month", month, "--chart", chart)
		if code != 0 || !strings.Contains(out, "transactions") {
			t.Errorf("%s: report: exit %d\n%s", user, code, out)
		}
		if b, err := os.ReadFile(chart); err != nil || !bytes.Contains(b, []byte("<svg")) {
			t.Errorf("%s: report --chart wrote no SVG: %v", user, err)
		}
		if out, code := client(user, "report"); code != 1 || !strings.Contains(out, "no fully indexed month") {
			t.Errorf("%s: report with no complete month: exit %d, want 1 saying so\n%s", user, code, out)
		}
		if out, code := client(user, "query", "--list"); code != 0 || !strings.Contains(out, "monthly_growth") {
			t.Errorf("%s: query --list: exit %d\n%s", user, code, out)
		}
		if out, code := client(user, "sql", "SELEC 1"); code != 2 || !strings.Contains(out, "Syntax error") {
			t.Errorf("%s: bad SQL: exit %d, want 2 with the server's message\n%s", user, code, out)
		}
	}
	// rebuild derives the address tables again: every figure stays.
	figures := func() string {
		out, code := client("admin:adminpw", "query", "daily_activity", "--format", "csv")
		if code != 0 {
			t.Fatalf("query daily_activity: exit %d\n%s", code, out)
		}
		return out
	}
	before := figures()
	if out, code := client("admin:adminpw", "rebuild"); code != 0 {
		t.Errorf("rebuild: exit %d\n%s", code, out)
	}
	if after := figures(); after != before {
		t.Errorf("daily_activity changed across a rebuild:\nbefore %s\nafter  %s", before, after)
	}
	if out, code := client("admin:adminpw", "rebuild", "--from", "999999"); code != 2 || !strings.Contains(out, "nothing to rebuild") {
		t.Errorf("rebuild past the stored blocks: exit %d, want 2\n%s", code, out)
	}
	if out, code := client("bi:bipw", "sql", "INSERT INTO chain (chain_id) VALUES (5)"); code != 2 {
		t.Errorf("read-only user INSERT: exit %d, want 2\n%s", code, out)
	}
	if out, code := client("bi:wrong", "sql", "SELECT 1"); code == 0 {
		t.Errorf("wrong password: exit 0, want a refusal\n%s", out)
	}
	if strings.Contains(serveOut.String(), "panic") {
		t.Errorf("serve panicked:\n%s", serveOut.String())
	}

	start := time.Now()
	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("serve exited with %v after SIGTERM, want 0\n%s", err, serveOut.String())
		}
		t.Logf("serve stopped %s after SIGTERM", time.Since(start).Round(time.Millisecond))
	case <-time.After(time.Minute):
		t.Fatal("serve still running a minute after SIGTERM")
	}
}
