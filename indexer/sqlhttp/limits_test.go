package sqlhttp_test

import (
	"bytes"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ethidx/ethidx/indexer/sqlhttp"
	"github.com/ethidx/ethidx/indexer/sqlhttp/sqlhttptest"
)

func TestLimits(t *testing.T) {
	addr, _ := sqlhttptest.Start(t, sqlhttp.Config{MaxExecutionTime: time.Second})
	start := time.Now()
	code, h, body := do(t, "GET", q(addr, "SELECT count() FROM numbers(1000000000000)"), "", nil)
	if code == 200 || h.Get("X-ClickHouse-Exception-Code") != "159" {
		t.Fatalf("time limit: %d %v %q", code, h, body)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("time limit took %v", d)
	}
	// A request may not raise a limit.
	code, h, _ = do(t, "GET", q(addr, "SELECT count() FROM numbers(1000000000000)", "max_execution_time", "100"), "", nil)
	if code == 200 || h.Get("X-ClickHouse-Exception-Code") != "159" {
		t.Fatalf("raised time limit: %d %v", code, h)
	}
	// Lowering is fine.
	if code, _, body := do(t, "GET", q(addr, "SELECT getSetting('max_execution_time')", "max_execution_time", "0.5"), "", nil); code != 200 || body != "0.5\n" {
		t.Fatalf("lowered limit: %d %q", code, body)
	}
}

func TestMemoryLimit(t *testing.T) {
	addr, _ := sqlhttptest.Start(t, sqlhttp.Config{MaxMemoryUsage: 100 << 20})
	code, h, body := do(t, "GET", q(addr, "SELECT groupArray(number) FROM numbers(100000000)"), "", nil)
	if code == 200 || h.Get("X-ClickHouse-Exception-Code") != "241" {
		t.Fatalf("memory limit: %d %v %.300q", code, h, body)
	}
	code, h, _ = do(t, "GET", q(addr, "SELECT groupArray(number) FROM numbers(100000000)", "max_memory_usage", "100000000000"), "", nil)
	if code == 200 || h.Get("X-ClickHouse-Exception-Code") != "241" {
		t.Fatalf("raised memory limit: %d %v", code, h)
	}
}

// TestMalformedRequests throws broken requests at the endpoint; each gets
// an error answer and the server keeps serving.
func TestMalformedRequests(t *testing.T) {
	addr, _ := sqlhttptest.Start(t, sqlhttp.Config{})
	base := "http://" + addr + "/"
	for _, c := range []struct {
		method, url, body string
		hdr               map[string]string
	}{
		{"POST", base, "\xff\xfe\x00garbage", nil},
		{"POST", base, "SELECT 1", map[string]string{"Content-Encoding": "gzip"}},
		{"POST", base, "SELECT 1", map[string]string{"Content-Encoding": "lzma-nonsense"}},
		{"POST", q(addr, "INSERT INTO nope FORMAT Native"), "\x01\x02\x03", nil},
		{"POST", q(addr, "INSERT INTO t FORMAT Native", "decompress", "1"), "not compressed blocks at all", nil},
		{"POST", q(addr, "SELECT {x:UInt8}"), "", nil},
		{"POST", q(addr, "SELECT 1", "max_threads", "many"), "", nil},
		{"POST", q(addr, "SELECT 1", "database", "no`such"), "", nil},
		{"POST", q(addr, "SELECT 1", "default_format", "NoSuchFormat"), "", nil},
		{"POST", base, "SELECT 1; DROP TABLE x", nil},
		{"POST", base, strings.Repeat("(", 100000) + "1", nil},
		{"POST", base, "INSERT INTO t FORMAT", nil},
		{"PUT", base, "SELECT 1", nil},
	} {
		code, _, body := do(t, c.method, c.url, c.body, c.hdr)
		if code == 200 {
			t.Errorf("%s %s %.40q accepted: %.200q", c.method, c.url, c.body, body)
		}
	}
	// Raw garbage on the socket, and a client that hangs up mid-body.
	for _, raw := range []string{"GARBAGE\r\n\r\n", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nSELECT", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte(raw))
		c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		var buf bytes.Buffer
		buf.ReadFrom(c)
		c.Close()
	}
	if code, _, body := do(t, "GET", q(addr, "SELECT 1"), "", nil); code != 200 || body != "1\n" {
		t.Fatalf("server unhealthy after abuse: %d %q", code, body)
	}
	// Curl's hello-lookalike in TSV goes to the engine, not the Native answer.
	if code, _, body := do(t, "GET", q(addr, "SELECT displayName(), version(), revision(), timezone()"), "", nil); code != 200 || strings.Count(body, "\t") != 3 {
		t.Fatalf("TSV hello: %d %q", code, body)
	}
	_ = http.StatusOK
}
