package sqlhttp_test

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ethidx/ethidx/indexer/sqlhttp"
	"github.com/ethidx/ethidx/indexer/sqlhttp/sqlhttptest"
)

// stall opens a connection, asks for an endless result as user and never
// reads it: the handler blocks writing, holding what it took.
func stall(t *testing.T, addr, user, password string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	// A tiny receive window fills at once.
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4096)
	}
	v := url.Values{"query": {"SELECT * FROM numbers(10000000000)"}, "user": {user}, "password": {password}}
	fmt.Fprintf(c, "GET /?%s HTTP/1.1\r\nHost: x\r\n\r\n", v.Encode())
	t.Cleanup(func() { c.Close() })
	return c
}

// timed runs one POST and reports its status and how long it took.
func timed(t *testing.T, addr, user, password, sql string) (int, string, time.Duration) {
	t.Helper()
	v := url.Values{"user": {user}, "password": {password}}
	start := time.Now()
	code, hdr, body := do(t, "POST", "http://"+addr+"/?"+v.Encode(), sql, nil)
	return code, hdr.Get("X-ClickHouse-Exception-Code") + " " + body, time.Since(start)
}

// Readers that stall never stop the process's own writes nor an admin:
// nine stalled read-only connections of two users hold at most each
// user's share and together the readers' share of the engine; the
// process's account (the follower's writes) and an admin are served, not
// queued; further reader queries are answered 503 TOO_MANY_SIMULTANEOUS_
// QUERIES after the queue timeout instead of hanging (per user, and for
// the readers' share); once the readers go, they are served again.
func TestStalledReadersLeaveWritersAndAdmins(t *testing.T) {
	cfg := sqlhttp.Config{
		Users: []sqlhttp.User{
			{Name: "admin", Password: "a"},
			{Name: "viewer", Password: "v", ReadOnly: true},
			{Name: "viewer2", Password: "v2", ReadOnly: true},
			{Name: "self", Password: "s", Internal: true},
		},
		QueueTimeout: 2 * time.Second,
	}
	addr, e := sqlhttptest.Start(t, cfg)
	if err := e.Exec(context.Background(), "CREATE TABLE w (n UInt64) ENGINE = MergeTree ORDER BY n", nil); err != nil {
		t.Fatal(err)
	}
	var stalled []net.Conn
	for range 6 {
		stalled = append(stalled, stall(t, addr, "viewer", "v"))
	}
	// A second reader fills the readers' share of the engine.
	for range 3 {
		stalled = append(stalled, stall(t, addr, "viewer2", "v2"))
	}
	// Until the stalled readers hold their slots a reader is still served;
	// once they do, its next query is refused after the queue timeout
	// (2 s here; the bound is only against hanging).
	for _, u := range [][2]string{{"viewer", "v"}, {"viewer2", "v2"}} {
		for deadline := time.Now().Add(time.Minute); ; {
			code, body, d := timed(t, addr, u[0], u[1], "SELECT 1")
			if code == 503 && strings.HasPrefix(body, "202 ") && d < 30*time.Second {
				break
			}
			if code != 200 || time.Now().After(deadline) {
				t.Fatalf("%s's next query: %d %q in %v; want 503 with code 202 after the queue timeout", u[0], code, body, d)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	// Queued behind the readers, the process's writes and an admin would
	// be refused at the queue timeout: 200 is what says they were not.
	// The bound only catches a wait for the stalls' own end.
	const served = 10 * time.Second
	for i := range 5 {
		sql := fmt.Sprintf("INSERT INTO w SELECT %d", i)
		if code, body, d := timed(t, addr, "self", "s", sql); code != 200 || d > served {
			t.Fatalf("the process's own insert %d while readers stall: %d %q in %v", i, code, body, d)
		}
	}
	if code, body, d := timed(t, addr, "self", "s", "SELECT count() FROM w"); code != 200 || strings.TrimSpace(body[strings.IndexByte(body, ' ')+1:]) != "5" || d > served {
		t.Fatalf("the process's own read: %d %q in %v", code, body, d)
	}
	if code, body, d := timed(t, addr, "admin", "a", "SELECT 42"); code != 200 || d > served {
		t.Fatalf("admin SELECT 42 while readers stall: %d %q in %v", code, body, d)
	}
	for _, c := range stalled {
		c.Close()
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body, _ := timed(t, addr, "viewer", "v", "SELECT 1")
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("viewer not served after its stalled readers left: %d %q", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A POST whose body stops short of its Content-Length is cut off after
// the stall timeout, not held for ever, and others are served meanwhile.
func TestShortBodyDoesNotHang(t *testing.T) {
	const stall = 5 * time.Second
	addr, _ := sqlhttptest.Start(t, sqlhttp.Config{StallTimeout: stall})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nSELECT 1")
	// Served while the hanging body still holds its connection.
	if code, _, d := timed(t, addr, "default", "", "SELECT 1"); code != 200 || d >= stall {
		t.Fatalf("other client while a body hangs: %d in %v", code, d)
	}
	_ = c.SetReadDeadline(time.Now().Add(3 * stall))
	buf := make([]byte, 4096)
	for {
		if _, err := c.Read(buf); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("connection with a short body still open after %v", time.Since(start))
			}
			break // answered and/or closed by the server
		}
	}
	if d := time.Since(start); d > 2*stall {
		t.Fatalf("short body held for %v", d)
	}
}

// With no users configured (the password-less default, an admin) the
// process's own writes still never wait: four stalled anonymous queries
// hold the endpoint users' share of the engine, not the connection kept
// for the process's account.
func TestAnonymousQueriesLeaveWriters(t *testing.T) {
	cfg := sqlhttp.Config{
		Users:        []sqlhttp.User{{Name: "default"}, {Name: "self", Password: "s", Internal: true}},
		QueueTimeout: 2 * time.Second,
	}
	addr, e := sqlhttptest.Start(t, cfg)
	if err := e.Exec(context.Background(), "CREATE TABLE w (n UInt64) ENGINE = MergeTree ORDER BY n", nil); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		stall(t, addr, "default", "")
	}
	// Until they hold the endpoint users' share an anonymous query is
	// served; then it is refused at the queue timeout.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		code, body, _ := timed(t, addr, "default", "", "SELECT 1")
		if code == 503 && strings.HasPrefix(body, "202 ") {
			break
		}
		if code != 200 || time.Now().After(deadline) {
			t.Fatalf("an anonymous query while four stall: %d %q, want 503 once they hold their share", code, body)
		}
	}
	for i := range 5 {
		sql := fmt.Sprintf("INSERT INTO w SELECT %d", i)
		if code, body, d := timed(t, addr, "self", "s", sql); code != 200 || d > 10*time.Second {
			t.Fatalf("the process's own insert %d while anonymous queries stall: %d %q in %v", i, code, body, d)
		}
	}
}
