package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethidx/ethidx/indexer/chdb"
	"github.com/ethidx/ethidx/indexer/chdb/chdbtest"
	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
	"github.com/ethidx/ethidx/store"
)

// Bad input exits 2 with a message naming the problem, before any work.
func TestBadInputExitsTwo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	base := []string{"--data-dir", dir, "--http-addr", "127.0.0.1:0"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"backfill", "--rpc", "http://127.0.0.1:1", "--from", "10", "--to", "5"}, "before --from"},
		{[]string{"backfill", "--rpc", "http://127.0.0.1:1", "--from", "ten", "--to", "5"}, "want a block number"},
		{[]string{"backfill", "--rpc", "http://127.0.0.1:1", "--from-date", "2026-02-30", "--to-date", "2026-03-01"}, "YYYY-MM-DD"},
		{[]string{"backfill", "--rpc", "http://127.0.0.1:1", "--from-date", "2026-03-01", "--to-date", "2026-02-01"}, "before --from-date"},
		{[]string{"backfill", "--rpc", "http://127.0.0.1:1"}, "give a range"},
		{[]string{"backfill", "--from", "1", "--to", "2"}, "--rpc URL is required"},
		{[]string{"backfill", "--rpc", "not a url", "--from", "1", "--to", "2"}, "--rpc"},
		{[]string{"backfill", "--rpc", "http://127.0.0.1:1", "--from", "1", "--to", "2", "--worker", "5/4"}, "--worker"},
		{[]string{"backfill", "--nope"}, "flag provided but not defined"},
		{[]string{"--clickhouse", "postgres://x/y", "backfill", "--rpc", "http://127.0.0.1:1", "--from", "1", "--to", "2"}, "scheme"},
		{[]string{"--clickhouse", "clickhouse://", "schema", "migrate"}, "--clickhouse"},
		{[]string{"--database", "eth;drop", "schema", "migrate"}, "--database"},
		{[]string{"--cluster", "c-1", "schema", "print"}, "--cluster"},
		{[]string{"status", "--cluster", "c1"}, "give it with --clickhouse"},
		{[]string{"--cluster", "c1", "backfill", "--rpc", "http://127.0.0.1:1", "--from", "1", "--to", "2"}, "give it with --clickhouse"},
		{[]string{"--log-format", "xml", "schema", "print"}, "--log-format"},
		{[]string{"follow", "--rpc", "http://127.0.0.1:1", "--finality", "soon"}, "--finality"},
		{[]string{"follow", "--rpc", "http://127.0.0.1:1", "--confirmations", "3"}, "--confirmations"},
		{[]string{"devnet", "--history", "sixty days"}, "--history"},
		{[]string{"devnet", "--rpc-addr", "127.0.0.1:99999"}, "--rpc-addr"},
		{[]string{"devnet", "--http-addr", "nonsense"}, "--rpc-addr"},
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"engine", "bogus"}, `unknown command "bogus"`},
		{[]string{"serve", "--http-addr", "127.0.0.1:99999"}, "--http-addr"},
		{[]string{"--http-addr", "nonsense", "sql", "SELECT 1"}, "--http-addr"},
		{[]string{"--clickhouse", "clickhouse://127.0.0.1:99999/eth", "schema", "migrate"}, "--clickhouse"},
		{[]string{"schema", "migrate", "--data-dir", "e2e_test.go"}, "is a file, not a directory"},
		{[]string{"backfill", "--rpc", "http://127.0.0.1:99999", "--from", "1", "--to", "2"}, "port 99999"},
		{[]string{"backfill", "--rpc", "http://127.0.0.1:1", "--from", "1", "--to", "2", "--rps", "NaN"}, "--rps NaN"},
		{[]string{"follow", "--rpc", "http://127.0.0.1:1", "--rps", "Inf"}, "--rps +Inf"},
		{[]string{"backfill", "--rpc", "http://127.0.0.1:1", "--from", "1", "--to", "2", "--workers", "100000000"}, "--workers"},
		{[]string{"follow", "--rpc", "http://127.0.0.1:1", "--metrics-addr", "localhost"}, "--metrics-addr"},
		{[]string{"report", "--month", "9999-12"}, "want a month from 1970-01 to 2105-12"},
		{[]string{"report", "--month", "2026-13"}, "want a month as YYYY-MM"},
		{[]string{"query", "daily_activity", "--from-date", "2026-03-01", "--to-date", "2026-01-01"}, "--to-date 2026-01-01 is before --from-date 2026-03-01"},
		{[]string{"query", "daily_activity", "--from", "2026-03-01", "--to", "2026-01-01"}, "is before"},
		{[]string{"query", "daily_activity", "--from-date", "2026-02-30"}, "YYYY-MM-DD"},
		{[]string{"serve", "--user-file", "no-such-users-file"}, "--user-file"},
		{[]string{"serve", "--max-execution-time", "-1s"}, "--max-execution-time"},
		{[]string{"verify", "--rpc", "http://127.0.0.1:1", "--from", "1"}, "give the range to verify"},
		{[]string{"query", "--format", "csv"}, "give one saved query name"},
		{[]string{"sql"}, "give the SQL as one argument"},
	} {
		start := time.Now()
		out, code := run(t, time.Minute, append(base, tc.args...)...)
		if code != 2 || !strings.Contains(out, tc.want) {
			t.Errorf("ethidx %s: exit %d, output %q; want exit 2 mentioning %q", strings.Join(tc.args, " "), code, out, tc.want)
		}
		// At once: bad input is refused before any retry or engine start.
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("ethidx %s: took %s to refuse bad input", strings.Join(tc.args, " "), d.Round(time.Second))
		}
	}
}

// An unknown --format, a chart in a missing directory and an --rpc
// without a scheme are refused before the engine starts (the data dir is
// not created), naming what was typed and never a password.
func TestRefusedBeforeEngine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"query", "--format", "xml", "daily_activity"}, `--format "xml"`},
		{[]string{"report", "--chart", "/missing/dir/x.png"}, "--chart /missing/dir/x.png: directory /missing/dir does not exist"},
		{[]string{"sql", "--format", "xml", "SELECT 1"}, `--format "xml"`},
		{[]string{"backfill", "--rpc", "127.0.0.1:8545", "--from", "1", "--to", "2"}, `--rpc "127.0.0.1:8545"`},
		{[]string{"backfill", "--rpc", "user:secret@127.0.0.1:8545", "--from", "1", "--to", "2"}, `--rpc "user:***@127.0.0.1:8545"`},
		{[]string{"backfill", "--rpc", "[user:secret@127.0.0.1:8545", "--from", "1", "--to", "2"}, `--rpc "***@127.0.0.1:8545"`},
	} {
		dir := filepath.Join(t.TempDir(), "data")
		out, code := run(t, time.Minute, append([]string{"--data-dir", dir}, tc.args...)...)
		if code != 2 || !strings.Contains(out, tc.want) || strings.Contains(out, "secret") {
			t.Errorf("ethidx %s: exit %d, output %q; want exit 2 mentioning %q", strings.Join(tc.args, " "), code, out, tc.want)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("ethidx %s: data dir created (%v)", strings.Join(tc.args, " "), err)
		}
	}
}

// On an empty store: a second `schema migrate` says the schema is up to
// date; report (with or without --month) says which backfill to run, with
// one exit code; a command that only reads never creates a database
// (--database eth2, a typo), naming the ones there are instead.
func TestEmptyStoreMessages(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	base := []string{"--data-dir", dir, "--http-addr", "127.0.0.1:0"}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"schema", "migrate"}, 0, "database eth: applied "},
		{[]string{"schema", "migrate"}, 0, "database eth: schema up to date"},
		{[]string{"report"}, 1, "no block is indexed; load it first: ethidx backfill --rpc URL --from-date "},
		{[]string{"report", "--month", "2026-01"}, 1, "no block of January 2026 is indexed; load it first: ethidx backfill --rpc URL --from-date 2026-01-01 --to-date 2026-01-31"},
		{[]string{"--database", "eth2", "report"}, 2, "database eth2 does not exist; ethidx's databases here: eth"},
		{[]string{"--database", "eth2", "query", "daily_activity"}, 2, "databases here: eth"},
		{[]string{"--database", "eth2", "sql", "SELECT 1"}, 2, "databases here: eth"},
		{[]string{"--database", "eth2", "status"}, 2, "databases here: eth"},
		{[]string{"sql", "--format", "csv", "SELECT count() FROM system.databases WHERE name = 'eth2'"}, 0, "0\n"},
	} {
		out, code := run(t, time.Minute, append(base, tc.args...)...)
		if code != tc.code || !strings.Contains(out, tc.want) {
			t.Errorf("ethidx %s: exit %d, output %q; want exit %d with %q", strings.Join(tc.args, " "), code, out, tc.code, tc.want)
		}
	}
}

// snapshotDir fingerprints the tables of a data dir a child process wrote,
// opened as the CLI opens it (read-only: no migration, no view install).
func snapshotDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	inProcessEngine.Lock()
	defer inProcessEngine.Unlock()
	st, err := store.Open(context.Background(), store.Options{DataDir: dir, ReadOnly: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("opening %s: %v", dir, err)
	}
	defer st.Close()
	return chsinktest.Snapshot(t, st.Conn)
}

// The engine's databases and ethidx's own are refused as --database before
// anything is written: the data dir is not even created.
func TestReservedDatabaseExitsTwo(t *testing.T) {
	t.Parallel()
	for _, db := range []string{"system", "default", "INFORMATION_SCHEMA", "information_schema", chdb.SandboxDatabase, "_ethidx_system"} {
		dir := filepath.Join(t.TempDir(), "data")
		out, code := run(t, time.Minute, "--data-dir", dir, "--database", db, "schema", "migrate")
		if code != 2 || !strings.Contains(out, "--database "+db+" is reserved") {
			t.Errorf("--database %s: exit %d, %q; want exit 2 saying it is reserved", db, code, out)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("--database %s: data dir written (%v)", db, err)
		}
	}
}

// A FORMAT clause in `ethidx sql` is honoured: the engine's bytes, text or
// binary, reach stdout as they are.
func TestSQLFormatClause(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out, code := run(t, time.Minute, "--data-dir", dir, "sql", "SELECT 1 AS a, 'x' AS b FORMAT Vertical")
	if code != 0 || !strings.Contains(out, "Row 1:") || !strings.Contains(out, "a: 1") || !strings.Contains(out, "b: x") {
		t.Errorf("FORMAT Vertical: exit %d, %q", code, out)
	}
	cmd := exec.Command(ethidxBin, "--data-dir", dir, "sql", "SELECT number AS n FROM numbers(1000) FORMAT Parquet")
	pq, err := cmd.Output()
	if err != nil || len(pq) < 100 || string(pq[:4]) != "PAR1" || string(pq[len(pq)-4:]) != "PAR1" {
		t.Fatalf("FORMAT Parquet: %v, %d bytes %q...", err, len(pq), pq[:min(len(pq), 8)])
	}
	// The Parquet file is whole: the engine reads back what it wrote.
	path := filepath.Join(t.TempDir(), "n.parquet")
	if err := os.WriteFile(path, pq, 0o600); err != nil {
		t.Fatal(err)
	}
	// Released after chdbtest's cleanup has closed the engine.
	inProcessEngine.Lock()
	t.Cleanup(inProcessEngine.Unlock)
	eng := chdbtest.Open(t)
	got, err := eng.Query(context.Background(), "SELECT count(), sum(n) FROM file({p:String}, Parquet)", "TSV", map[string]string{"p": path})
	if err != nil || string(got) != "1000\t499500\n" {
		t.Fatalf("reading the Parquet back: %q, %v", got, err)
	}
}

// A command that opens the engine is confined to its files: even its own
// statements, which the endpoint's guard does not check, read nothing
// outside the data directory.
func TestCommandsAreConfined(t *testing.T) {
	t.Parallel()
	secret := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(secret, []byte("ETHIDX-CONFINED-SECRET\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, sql := range []string{
		"SELECT file('" + secret + "')",
		"SELECT file('/etc/passwd')",
		"SELECT * FROM file('/proc/self/environ', 'LineAsString')",
	} {
		out, code := run(t, time.Minute, "--data-dir", dir, "sql", sql)
		if code == 0 || !strings.Contains(out, "Permission denied") || strings.Contains(out, "ETHIDX-CONFINED-SECRET") || strings.Contains(out, "root:x:0:0") {
			t.Errorf("%s: exit %d, %q; want a refusal by the kernel", sql, code, out)
		}
	}
	// Its own work still runs.
	if out, code := run(t, time.Minute, "--data-dir", dir, "sql", "SELECT count() FROM system.tables"); code != 0 {
		t.Errorf("confined sql: exit %d, %q", code, out)
	}
}
