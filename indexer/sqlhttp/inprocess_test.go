package sqlhttp_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ethidx/ethidx/indexer/chdb/chdbtest"
	"github.com/ethidx/ethidx/indexer/sqlhttp"
)

// inProcessConn is a clickhouse-go connection that reaches srv through
// its in-process transport, as package store connects the serving
// process to its own endpoint.
func inProcessConn(t *testing.T, srv *sqlhttp.Server, user, password string) driver.Conn {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr:          []string{"in-process:0"}, // never dialled
		Protocol:      clickhouse.HTTP,
		Auth:          clickhouse.Auth{Username: user, Password: password},
		TransportFunc: func(*http.Transport) (http.RoundTripper, error) { return srv.Transport(time.Minute), nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func TestInProcessTransport(t *testing.T) {
	e := chdbtest.Open(t)
	srv := sqlhttp.New(e, sqlhttp.Config{
		Users:  []sqlhttp.User{{Name: "owner", Password: "secret"}},
		Logger: slog.New(slog.DiscardHandler),
	})
	ctx := context.Background()
	conn := inProcessConn(t, srv, "owner", "secret")

	t.Run("insert and read back", func(t *testing.T) {
		if err := conn.Exec(ctx, `CREATE TABLE ip (id UInt64, addr FixedString(20), note String) ENGINE = MergeTree ORDER BY id`); err != nil {
			t.Fatal(err)
		}
		b, err := conn.PrepareBatch(ctx, "INSERT INTO ip")
		if err != nil {
			t.Fatal(err)
		}
		const n = 200_000 // several MB: more than one read of the handler's
		for i := uint64(0); i < n; i++ {
			addr := strings.Repeat(string(rune('a'+i%26)), 20)
			if err := b.Append(i, addr, strings.Repeat("x", int(i%50))); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Send(); err != nil {
			t.Fatal(err)
		}
		var count, sum, notes uint64
		if err := conn.QueryRow(ctx, `SELECT count(), sum(id), sum(length(note)) FROM ip`).Scan(&count, &sum, &notes); err != nil {
			t.Fatal(err)
		}
		if count != n || sum != n*(n-1)/2 || notes != 24.5*n {
			t.Fatalf("read back count %d sum %d note bytes %d, want %d %d %d", count, sum, notes, n, n*(n-1)/2, uint64(24.5*n))
		}
	})

	t.Run("engine error", func(t *testing.T) {
		err := conn.Exec(ctx, `SELECT * FROM no_such_table`)
		var ex *clickhouse.Exception
		if !errors.As(err, &ex) || ex.Code != 60 {
			t.Fatalf("got %v, want the engine's UNKNOWN_TABLE (60)", err)
		}
	})

	t.Run("authentication still applies", func(t *testing.T) {
		// The hello query is the first request: Open or the first
		// statement fails, never succeeds.
		bad, err := clickhouse.Open(&clickhouse.Options{
			Addr: []string{"in-process:0"}, Protocol: clickhouse.HTTP,
			Auth:          clickhouse.Auth{Username: "owner", Password: "wrong"},
			TransportFunc: func(*http.Transport) (http.RoundTripper, error) { return srv.Transport(time.Minute), nil },
		})
		if err == nil {
			defer bad.Close()
			err = bad.Ping(ctx)
		}
		if err == nil || !strings.Contains(err.Error(), "AUTHENTICATION_FAILED") && !strings.Contains(err.Error(), "516") {
			t.Fatalf("wrong password: got %v, want an authentication failure", err)
		}
	})

	t.Run("a result closed early stops the handler", func(t *testing.T) {
		before := runtime.NumGoroutine()
		for range 3 {
			rows, err := conn.Query(ctx, `SELECT number FROM numbers(100000000)`)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 10 && rows.Next(); i++ {
			}
			rows.Close()
		}
		// Each handler ends at its next write; a minute is only against a
		// handler that never does.
		deadline := time.Now().Add(time.Minute)
		for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before+2 {
			t.Fatalf("%d goroutines after closing three results early, %d before: handlers still running", n, before)
		}
		var one uint8
		if err := conn.QueryRow(ctx, `SELECT 1`).Scan(&one); err != nil || one != 1 {
			t.Fatalf("next statement: %v %d", err, one)
		}
	})

	t.Run("context cancelled before the header", func(t *testing.T) {
		cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		err := conn.Exec(cctx, `SELECT sleep(3)`)
		if err == nil {
			t.Fatal("a statement outliving its context succeeded")
		}
	})

	t.Run("an answer that does not begin in time", func(t *testing.T) {
		c := &http.Client{Transport: srv.Transport(300 * time.Millisecond)}
		req, _ := http.NewRequest(http.MethodPost, "http://in-process/?user=owner&password=secret", strings.NewReader("SELECT sleep(3)"))
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("a statement outliving the header timeout answered %d", resp.StatusCode)
		}
		if !strings.Contains(err.Error(), "timeout awaiting response headers") {
			t.Fatalf("got %v, want the header timeout", err)
		}
	})

	t.Run("plain HTTP", func(t *testing.T) {
		c := &http.Client{Transport: srv.Transport(0)}
		resp, err := c.Get("http://in-process/ping")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "Ok.\n" {
			t.Fatalf("/ping: %d %q", resp.StatusCode, body)
		}
		req, _ := http.NewRequest(http.MethodPost, "http://in-process/?user=owner&password=secret", strings.NewReader("SELECT 6*7"))
		resp, err = c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "42\n" || resp.Header.Get("X-ClickHouse-Query-Id") == "" {
			t.Fatalf("query: %d %q %v", resp.StatusCode, body, resp.Header)
		}
	})
}
