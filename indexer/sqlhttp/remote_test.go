package sqlhttp_test

import (
	"context"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/ethidx/ethidx/indexer/sqlhttp"
	"github.com/ethidx/ethidx/indexer/sqlhttp/sqlhttptest"
)

// front serves backend with cfg on a loopback port until t ends.
func front(t *testing.T, backend sqlhttp.Backend, cfg sqlhttp.Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Logger = slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sqlhttp.New(backend, cfg).Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}

// An ethidx serve beside the data dir's owner fronts the owner's private
// endpoint (sqlhttp.Remote): its users are its own, a read-only one reads
// and cannot write, an admin writes, the host guard still refuses, errors
// keep their code, clickhouse-go works through it; the owner's endpoint
// refuses anyone without its account, and its account with PeerHeader is
// held to what an endpoint user may do.
func TestRemoteFrontsOwner(t *testing.T) {
	owner, e := sqlhttptest.Start(t, sqlhttp.Config{Users: []sqlhttp.User{{Name: "ethidx_internal", Password: "secret", Internal: true}}})
	ctx := context.Background()
	if err := e.Exec(ctx, "CREATE DATABASE eth", nil); err != nil {
		t.Fatal(err)
	}
	if err := e.Exec(ctx, "CREATE TABLE eth.w (n UInt64) ENGINE = MergeTree ORDER BY n", nil); err != nil {
		t.Fatal(err)
	}
	addr := front(t, sqlhttp.NewRemote(owner, "ethidx_internal", "secret", e.DataDir()), sqlhttp.Config{
		Users: []sqlhttp.User{{Name: "admin", Password: "a"}, {Name: "grafana", Password: "g", ReadOnly: true}},
	})
	as := func(user, password string, extra ...string) string {
		v := url.Values{"user": {user}, "password": {password}}
		for i := 0; i+1 < len(extra); i += 2 {
			v.Set(extra[i], extra[i+1])
		}
		return "http://" + addr + "/?" + v.Encode()
	}

	if code, _, body := do(t, "POST", as("admin", "a"), "INSERT INTO eth.w FORMAT TSV\n1\n2\n3\n", nil); code != 200 {
		t.Fatalf("admin insert through serve: %d %q", code, body)
	}
	if code, _, body := do(t, "POST", as("admin", "a", "query", "INSERT INTO eth.w FORMAT CSV"), "4\n", nil); code != 200 {
		t.Fatalf("admin insert, statement in the URL: %d %q", code, body)
	}
	if code, _, body := do(t, "POST", as("grafana", "g"), "SELECT sum(n) FROM eth.w", nil); code != 200 || body != "10\n" {
		t.Fatalf("read-only user's read through serve: %d %q, want 10", code, body)
	}
	if code, h, body := do(t, "POST", as("grafana", "g", "default_format", "JSONEachRow"), "SELECT n FROM eth.w ORDER BY n LIMIT 1", nil); code != 200 || body != "{\"n\":\"1\"}\n" && body != "{\"n\":1}\n" {
		t.Fatalf("default_format: %d %q %v", code, body, h)
	}
	if code, h, body := do(t, "POST", as("grafana", "g"), "INSERT INTO eth.w VALUES (5)", nil); code == 200 || h.Get("X-ClickHouse-Exception-Code") != "164" {
		t.Fatalf("read-only user's insert through serve: %d %q, want READONLY (164)", code, body)
	}
	for _, u := range [][2]string{{"admin", "a"}, {"grafana", "g"}} {
		code, h, body := do(t, "POST", as(u[0], u[1]), "SELECT * FROM file('/etc/passwd', 'LineAsString')", nil)
		if code != 403 || h.Get("X-ClickHouse-Exception-Code") != "497" || strings.Contains(body, "root") {
			t.Fatalf("%s reading a host file through serve: %d %q, want 403 ACCESS_DENIED", u[0], code, body)
		}
	}
	if code, h, body := do(t, "POST", as("grafana", "g"), "SELEC 1", nil); code != 400 || h.Get("X-ClickHouse-Exception-Code") != "62" {
		t.Fatalf("syntax error through serve: %d %q %v, want 400 with code 62", code, body, h)
	}
	// An error after the output began reaches the client in-band, tagged
	// by serve, not the owner.
	_, h, body := do(t, "POST", as("admin", "a", "max_block_size", "1000"), "SELECT throwIf(number = 200000, 'late') FROM numbers(300000)", nil)
	if tag := h.Get("X-ClickHouse-Exception-Tag"); tag == "" || !strings.Contains(body, "__exception__\r\n"+tag+"\r\n") || !strings.Contains(body, "late") {
		t.Errorf("late error through serve: tag %q, end %q", tag, body[max(0, len(body)-300):])
	}
	if code, _, _ := do(t, "POST", as("grafana", "wrong"), "SELECT 1", nil); code != 516 && code != 401 && code != 403 {
		t.Errorf("wrong password at serve: %d", code)
	}

	conn, err := clickhouse.Open(&clickhouse.Options{Protocol: clickhouse.HTTP, Addr: []string{addr},
		Auth: clickhouse.Auth{Username: "grafana", Password: "g", Database: "eth"}, DialTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM w").Scan(&n); err != nil || n != 4 {
		t.Fatalf("clickhouse-go through serve: %d, %v", n, err)
	}

	// The owner's private endpoint: nobody without its account.
	for _, c := range [][2]string{{"", ""}, {"default", ""}, {"ethidx_internal", "wrong"}, {"admin", "a"}} {
		v := url.Values{"query": {"SELECT 1"}, "user": {c[0]}, "password": {c[1]}}
		if code, _, body := do(t, "GET", "http://"+owner+"/?"+v.Encode(), "", nil); code == 200 {
			t.Errorf("owner's endpoint as %q/%q: 200 %q, want a refusal", c[0], c[1], body)
		}
	}
	// Its account as a peer is an endpoint user: guarded.
	hdr := map[string]string{"X-ClickHouse-User": "ethidx_internal", "X-ClickHouse-Key": "secret", sqlhttp.PeerHeader: "1"}
	if code, _, body := do(t, "POST", "http://"+owner+"/", "SELECT * FROM file('/etc/passwd', 'LineAsString')", hdr); code != 403 {
		t.Errorf("peer reading a host file: %d %q, want 403", code, body)
	}
}

// A local account guessing the owner's password does not lock ethidx
// itself (a second ethidx, a fronting serve) out of the owner's endpoint.
func TestGuessingDoesNotLockOutTheOwnersAccount(t *testing.T) {
	addr, _ := sqlhttptest.Start(t, sqlhttp.Config{Users: []sqlhttp.User{{Name: "ethidx_internal", Password: "secret", Internal: true}}})
	as := func(password string) string {
		v := url.Values{"query": {"SELECT 1"}, "user": {"ethidx_internal"}, "password": {password}}
		return "http://" + addr + "/?" + v.Encode()
	}
	for range 30 {
		if code, _, _ := do(t, "GET", as("guess"), "", nil); code == 200 {
			t.Fatal("a wrong password was accepted")
		}
	}
	if code, _, body := do(t, "GET", as("secret"), "", nil); code != 200 {
		t.Fatalf("the owner's account after 30 wrong guesses: %d %q", code, body)
	}
}
