package sqlhttp_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ethidx/ethidx/indexer/chdb"
	"github.com/ethidx/ethidx/indexer/sqlhttp"
	"github.com/ethidx/ethidx/indexer/sqlhttp/sqlhttptest"
)

// memoryServer serves an engine with the endpoint's memory limits, as
// ethidx serve does: the engine enforces them, the endpoint shares them.
func memoryServer(t *testing.T, m sqlhttp.Memory, users []sqlhttp.User) string {
	t.Helper()
	addr, _ := sqlhttptest.StartOptions(t,
		sqlhttp.Config{Users: users, Memory: m, QueueTimeout: 300 * time.Millisecond},
		chdb.Options{Bounds: chdb.Bounds{ServerMemory: m.Server, MaxMemoryUsage: m.PerQuery, MaxExecutionTime: time.Minute}})
	return addr
}

// TestMemoryLimitsHold: no kind of endpoint user lifts the per-statement
// limit, by URL parameter, SETTINGS or SET; the limit stops a statement
// that needs more.
func TestMemoryLimitsHold(t *testing.T) {
	m := sqlhttp.Memory{Server: 2 << 30, Reserved: 1 << 30, PerUser: 512 << 20, PerQuery: 100 << 20}
	for _, users := range [][]sqlhttp.User{
		nil, // the password-less default
		{{Name: "admin", Password: "a"}},
		{{Name: "ro", Password: "r", ReadOnly: true}},
	} {
		name, pass := "default", ""
		if users != nil {
			name, pass = users[0].Name, users[0].Password
		}
		t.Run(name, func(t *testing.T) {
			addr := memoryServer(t, m, users)
			get := func(sql string, extra ...string) (int, http.Header, string) {
				return do(t, "POST", q(addr, sql, append([]string{"user", name, "password", pass}, extra...)...), "", nil)
			}
			limit := "SELECT getSetting('max_memory_usage')"
			for _, c := range []struct {
				sql   string
				extra []string
			}{
				{limit, nil},
				{limit, []string{"max_memory_usage", "0"}},
				{limit, []string{"max_memory_usage", "100000000000"}},
			} {
				if code, _, body := get(c.sql, c.extra...); code != 200 || body != "104857600\n" && !(name == "ro" && code == 403) {
					t.Errorf("%s %v: %d %q", c.sql, c.extra, code, body)
				}
			}
			for _, sql := range []string{
				limit + " SETTINGS max_memory_usage = 0",
				limit + " SETTINGS max_memory_usage = 100000000000",
				limit + " SETTINGS max_memory_usage_for_user = 1",
				limit + " SETTINGS max_untracked_memory = 100000000000",
				"SET max_memory_usage = 0",
			} {
				if code, h, body := get(sql); code == 200 {
					t.Errorf("%s: accepted: %q", sql, body)
				} else if c := h.Get("X-ClickHouse-Exception-Code"); c != "452" && c != "164" {
					t.Errorf("%s: %d %s %.200q", sql, code, c, body)
				}
			}
			code, h, body := get("SELECT length(groupArray(number)) FROM numbers(100000000)", "max_memory_usage", "0")
			if code == 200 || h.Get("X-ClickHouse-Exception-Code") != "241" {
				t.Fatalf("memory bomb: %d %s %.300q", code, h.Get("X-ClickHouse-Exception-Code"), body)
			}
		})
	}
}

// TestMemoryShares: a user whose running statements hold its share waits,
// then is refused, while another user runs.
func TestMemoryShares(t *testing.T) {
	m := sqlhttp.Memory{Server: 2 << 30, Reserved: 1 << 30, PerUser: 100 << 20, PerQuery: 100 << 20}
	addr := memoryServer(t, m, []sqlhttp.User{{Name: "a", Password: "pa"}, {Name: "b", Password: "pb"}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	slow := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, "GET", q(addr, "SELECT sleepEachRow(1) FROM numbers(30) SETTINGS max_block_size = 1", "user", "a", "password", "pa"), nil)
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
		}
		slow <- err
	}()
	// Until the slow statement holds user a's share (no timing assumed:
	// ask until refused, while it runs).
	refused := false
	for deadline := time.Now().Add(25 * time.Second); !refused && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		code, h, body := do(t, "GET", q(addr, "SELECT 1", "user", "a", "password", "pa"), "", nil)
		switch {
		case code == 503 && h.Get("X-ClickHouse-Exception-Code") == "202" && strings.Contains(body, "user a"):
			refused = true
		case code != 200:
			t.Fatalf("user a: %d %q", code, body)
		}
	}
	if !refused {
		t.Fatal("user a's second statement was never refused while its first held its memory")
	}
	if code, _, body := do(t, "GET", q(addr, "SELECT 1", "user", "b", "password", "pb"), "", nil); code != 200 {
		t.Fatalf("user b: %d %q", code, body)
	}
	cancel()
	<-slow
}
