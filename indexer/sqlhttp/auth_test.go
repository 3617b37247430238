package sqlhttp_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/ethidx/ethidx/indexer/chdb/chdbtest"
	"github.com/ethidx/ethidx/indexer/sqlhttp"
)

// TestFailedAuthSlowDown: an address that keeps failing to authenticate is
// refused (429, Retry-After) before its credentials are checked; the
// process's own account, in-process, is not affected.
func TestFailedAuthSlowDown(t *testing.T) {
	e := chdbtest.Open(t)
	srv := sqlhttp.New(e, sqlhttp.Config{
		Users:  []sqlhttp.User{{Name: "admin", Password: "right"}, {Name: "ro", Password: "ro-pw", ReadOnly: true}, {Name: "own", Password: "own-secret", Internal: true}},
		Logger: slog.New(slog.DiscardHandler),
	})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	addr := hs.Listener.Addr().String()
	if code, _, body := do(t, "GET", q(addr, "SELECT 1", "user", "admin", "password", "right"), "", nil); code != 200 || body != "1\n" {
		t.Fatalf("right password: %d %q", code, body)
	}
	// The first 10 failures are checked (403); then the address is slowed
	// down. A slow machine may earn it a refilled attempt or two on the
	// way (one a second), never the 429 early.
	refused := 0
	for i := 0; ; i++ {
		code, h, body := do(t, "GET", q(addr, "SELECT 1", "user", "admin", "password", "guess"+strconv.Itoa(i)), "", nil)
		if code == 429 {
			if i < 10 || h.Get("X-ClickHouse-Exception-Code") != "516" || h.Get("Retry-After") == "" {
				t.Fatalf("after %d failures: %d %v %q, want 429 with Retry-After only after 10", i, code, h, body)
			}
			break
		}
		if code != 403 || h.Get("X-ClickHouse-Exception-Code") != "516" {
			t.Fatalf("wrong password %d: %d %v", i, code, h)
		}
		if refused++; refused > 20 {
			t.Fatalf("%d wrong passwords were all checked: never slowed down", refused)
		}
	}
	// Another user from the same address is not affected.
	if code, _, body := do(t, "GET", q(addr, "SELECT 1", "user", "ro", "password", "ro-pw"), "", nil); code != 200 || body != "1\n" {
		t.Fatalf("another user: %d %q", code, body)
	}
	// The process's own writes do not wait for the address's budget.
	conn := inProcessConn(t, srv, "own", "own-secret")
	if err := conn.Exec(context.Background(), "SELECT 1"); err != nil {
		t.Fatalf("own account: %v", err)
	}
}
