package chdb_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethidx/ethidx/indexer/chdb"
	"github.com/ethidx/ethidx/indexer/chdb/chdbtest"
)

func TestQueryInsertRoundTrip(t *testing.T) {
	e := chdbtest.Open(t)
	ctx := context.Background()
	t.Logf("library load time %v", e.LoadTime())
	if err := e.Exec(ctx, "CREATE TABLE t (a UInt64, s String) ENGINE = MergeTree ORDER BY a", nil); err != nil {
		t.Fatal(err)
	}
	n, err := e.Insert(ctx, "INSERT INTO t (a, s)", "TSV", strings.NewReader("1\tx\n2\ty\n"))
	if err != nil || n != 2 {
		t.Fatalf("insert: %d, %v", n, err)
	}
	out, err := e.Query(ctx, "SELECT a, s FROM t ORDER BY a", "CSV", nil)
	if err != nil || string(out) != "1,\"x\"\n2,\"y\"\n" {
		t.Fatalf("select: %q, %v", out, err)
	}
	out, err = e.Query(ctx, "SELECT {a:UInt64} + 1 AS v, {s:String} AS s", "CSV", map[string]string{"a": "41", "s": "it's"})
	if err != nil || string(out) != "42,\"it's\"\n" {
		t.Fatalf("params: %q, %v", out, err)
	}
}

func TestErrors(t *testing.T) {
	e := chdbtest.Open(t)
	ctx := context.Background()
	_, err := e.Query(ctx, "SELECT * FROM missing", "TSV", nil)
	var ce *chdb.Error
	if !errors.As(err, &ce) || ce.Code != 60 || ce.Name != "UNKNOWN_TABLE" {
		t.Fatalf("got %#v", err)
	}
	_, err = e.Query(ctx, "SELECT 1; SELECT 2", "TSV", nil)
	if !errors.As(err, &ce) || ce.Code != chdb.CodeSyntaxError {
		t.Fatalf("multi-statement: %v", err)
	}
}

func TestReadOnlyAndDatabase(t *testing.T) {
	e := chdbtest.Open(t)
	ctx := context.Background()
	for _, q := range []string{"CREATE DATABASE d", "CREATE TABLE d.t (a UInt8) ENGINE = Memory", "INSERT INTO d.t VALUES (7)"} {
		if err := e.Exec(ctx, q, nil); err != nil {
			t.Fatal(q, err)
		}
	}
	var out bytes.Buffer
	_, err := e.Run(ctx, chdb.Statement{SQL: "SELECT a, currentDatabase() FROM t", Database: "d", ReadOnly: 1}, &out)
	if err != nil || out.String() != "7\td\n" {
		t.Fatalf("%q %v", out.String(), err)
	}
	for _, q := range []string{"INSERT INTO t VALUES (1)", "DROP TABLE t", "SET max_threads = 1", "SELECT 1 SETTINGS max_threads = 1"} {
		_, err := e.Run(ctx, chdb.Statement{SQL: q, Database: "d", ReadOnly: 1}, io.Discard)
		var ce *chdb.Error
		if !errors.As(err, &ce) || ce.Code != chdb.CodeReadonly {
			t.Errorf("%s: want READONLY, got %v", q, err)
		}
	}
	_, err = e.RunInsert(ctx, chdb.Statement{SQL: "INSERT INTO t", Format: "TSV", Database: "d", ReadOnly: 1}, strings.NewReader("1\n"))
	if err == nil {
		t.Error("read-only insert accepted")
	}
	// readonly=2 (ClickHouse's level for GET) still refuses writes but
	// lets the statement carry settings.
	out.Reset()
	if _, err := e.Run(ctx, chdb.Statement{SQL: "SELECT getSetting('max_threads') SETTINGS max_threads = 1", ReadOnly: 2}, &out); err != nil || out.String() != "1\n" {
		t.Fatalf("readonly=2 SETTINGS: %q %v", out.String(), err)
	}
	if _, err := e.Run(ctx, chdb.Statement{SQL: "INSERT INTO d.t VALUES (1)", ReadOnly: 2}, io.Discard); err == nil {
		t.Fatal("readonly=2 insert accepted")
	}
	// Settings apply to their statement only.
	out.Reset()
	_, err = e.Run(ctx, chdb.Statement{SQL: "SELECT getSetting('max_threads')", Settings: map[string]string{"max_threads": "3"}}, &out)
	if err != nil || out.String() != "3\n" {
		t.Fatalf("%q %v", out.String(), err)
	}
	// A USE in one statement does not leak into the next.
	if err := e.Exec(ctx, "USE d", nil); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		got, err := e.Query(ctx, "SELECT currentDatabase(), getSetting('max_threads') = 3", "TSV", nil)
		if err != nil || string(got) != "default\t0\n" {
			t.Fatalf("%q %v", got, err)
		}
	}
	_, err = e.Run(ctx, chdb.Statement{SQL: "SELECT 1", Settings: map[string]string{"max_threads": "lots"}}, io.Discard)
	if err == nil {
		t.Fatal("bad setting value accepted")
	}
}

func TestLocked(t *testing.T) {
	e, dir := chdbtest.OpenOptions(t, chdb.Options{})
	want := chdb.Endpoint{Addr: "127.0.0.1:9999", User: "ethidx_internal", Password: "secret", PID: 1}
	if err := chdb.WriteEndpoint(dir, want); err != nil {
		t.Fatal(err)
	}
	// It holds a password: its owner alone may read it.
	if fi, err := os.Stat(filepath.Join(dir, chdb.EndpointFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("endpoint file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	_, err := chdb.Open(dir, chdb.Options{})
	var le *chdb.LockedError
	if !errors.As(err, &le) || le.Endpoint != want {
		t.Fatalf("got %v (%+v)", err, le)
	}
	if strings.Contains(err.Error(), want.Password) {
		t.Errorf("the error tells the password: %v", err)
	}
	_ = e
}

func TestCancelLongStatement(t *testing.T) {
	e := chdbtest.Open(t)
	for _, format := range []string{"TSV", "JSON"} { // streamed and unstreamed
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		start := time.Now()
		_, err := e.Query(ctx, "SELECT count() FROM numbers(1000000000000)", format, nil)
		cancel()
		var ce *chdb.Error
		if !errors.As(err, &ce) || ce.Code != chdb.CodeQueryWasCancelled {
			t.Fatalf("%s: got %v, want QUERY_WAS_CANCELLED", format, err)
		}
		if d := time.Since(start); d > 30*time.Second {
			t.Fatalf("%s: cancel took %v", format, d)
		}
	}
	// A context that ends while the statement is still being set up, before
	// the engine lists it, stops it all the same (a single KILL would find
	// nothing, and the count would run for hours).
	for _, after := range []time.Duration{0, 100 * time.Microsecond, time.Millisecond, 3 * time.Millisecond, 10 * time.Millisecond, 30 * time.Millisecond} {
		ctx, cancel := context.WithTimeout(context.Background(), after)
		done := make(chan error, 1)
		go func() {
			_, err := e.Query(ctx, "SELECT count() FROM numbers(1000000000000)", "JSON", nil)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil {
				t.Errorf("cancelled after %v: no error", after)
			}
		case <-time.After(time.Minute):
			t.Fatalf("cancelled after %v: still running a minute later", after)
		}
		cancel()
	}
	// The connections are usable afterwards.
	for range 8 {
		if out, err := e.Query(context.Background(), "SELECT 1", "TSV", nil); err != nil || string(out) != "1\n" {
			t.Fatalf("%q %v", out, err)
		}
	}
}

func TestChdbtestReopen(t *testing.T) {
	// A test may Open twice: the first engine is closed, the second is fresh.
	e1 := chdbtest.Open(t)
	if err := e1.Exec(context.Background(), "CREATE TABLE x (a UInt8) ENGINE = Memory", nil); err != nil {
		t.Fatal(err)
	}
	e2 := chdbtest.Open(t)
	out, err := e2.Query(context.Background(), "EXISTS TABLE x", "TSV", nil)
	if err != nil || string(out) != "0\n" {
		t.Fatalf("%q %v", out, err)
	}
	if _, err := e1.Query(context.Background(), "SELECT 1", "TSV", nil); err == nil {
		t.Fatal("closed engine still answers")
	}
}
