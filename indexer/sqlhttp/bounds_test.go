package sqlhttp_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/go-faster/city"
	"github.com/klauspost/compress/zstd"

	"github.com/ethidx/ethidx/indexer/sqlhttp"
	"github.com/ethidx/ethidx/indexer/sqlhttp/sqlhttptest"
)

// nativeHeader is a native compressed block's 25-byte header declaring
// raw compressed bytes (with the 9-byte header) and size decompressed.
func nativeHeader(method byte, raw, size uint32) []byte {
	h := make([]byte, 25)
	h[16] = method
	binary.LittleEndian.PutUint32(h[17:], raw)
	binary.LittleEndian.PutUint32(h[21:], size)
	return h
}

// allocated runs f and returns how many bytes the Go heap allocated
// meanwhile (the whole process: the server runs in it).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestDecompressionBombs sends bodies that declare or expand to far more
// than they hold; each is refused with a ClickHouse error, having cost the
// server a small fraction of what it declared.
func TestDecompressionBombs(t *testing.T) {
	addr, e := sqlhttptest.Start(t, sqlhttp.Config{})
	for _, sql := range []string{"CREATE DATABASE b", "CREATE TABLE b.t (n UInt64) ENGINE = Memory"} {
		if err := e.Exec(context.Background(), sql, nil); err != nil {
			t.Fatal(err)
		}
	}
	insert := q(addr, "INSERT INTO t FORMAT Native", "decompress", "1", "database", "b")
	zeros := func(n int) []byte {
		var b bytes.Buffer
		w, _ := zstd.NewWriter(&b, zstd.WithEncoderLevel(zstd.SpeedFastest))
		w.Write(make([]byte, n))
		w.Close()
		return b.Bytes()
	}
	bigZstd := zeros(256 << 20)
	// A whole valid native block whose ZSTD payload expands 30,000 times.
	block := func(payload []byte, size uint32) []byte {
		b := append(nativeHeader(0x90, uint32(9+len(payload)), size), payload...)
		sum := city.CH128(b[16:])
		binary.LittleEndian.PutUint64(b[0:], sum.Low)
		binary.LittleEndian.PutUint64(b[8:], sum.High)
		return b
	}
	for _, c := range []struct {
		name   string
		body   []byte
		hdr    map[string]string
		status int
		code   string
	}{
		// The reported bug: 25 bytes declaring a 128 MiB block.
		{"declared block", nativeHeader(0x82, 128<<20, 128<<20), nil, 413, "39"},
		{"declared block, zero payload", nativeHeader(0x82, 9, 64<<20), nil, 400, "271"},
		{"declared huge compressed size", nativeHeader(0x82, 0xffffffff, 100), nil, 413, "39"},
		{"expanding block", block(zeros(60<<20), 60<<20), nil, 400, "271"},
		{"zstd body", bigZstd, map[string]string{"Content-Encoding": "zstd"}, 400, "271"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var code int
			var h http.Header
			var body string
			a := allocated(func() {
				u := insert
				if c.hdr != nil {
					u = q(addr, "INSERT INTO t FORMAT RowBinary", "database", "b")
				}
				code, h, body = do(t, "POST", u, string(c.body), c.hdr)
			})
			if code != c.status || h.Get("X-ClickHouse-Exception-Code") != c.code || !strings.HasPrefix(body, "Code: "+c.code+". DB::Exception:") {
				t.Fatalf("got %d %s %.300q; want %d with code %s", code, h.Get("X-ClickHouse-Exception-Code"), body, c.status, c.code)
			}
			if a > 8<<20 {
				t.Fatalf("refusing it allocated %d bytes", a)
			}
		})
	}
	// Nothing got in, and the server still answers.
	if code, _, body := do(t, "GET", q(addr, "SELECT count() FROM b.t"), "", nil); code != 200 || body != "0\n" {
		t.Fatalf("after bombs: %d %q", code, body)
	}
}

// TestRequestSizeLimits: the statement text and the body are bounded, and
// a Content-Length over the limit is refused before a byte is read.
func TestRequestSizeLimits(t *testing.T) {
	addr, _ := sqlhttptest.Start(t, sqlhttp.Config{Limits: sqlhttp.Limits{MaxQuerySize: 1000, MaxBodySize: 4000}})
	long := "SELECT 1 -- " + strings.Repeat("x", 1000)
	for _, c := range []struct {
		name, url, body string
	}{
		{"query in body", "http://" + addr + "/", long},
		{"query in URL", q(addr, long), ""},
		{"URL and body together", q(addr, "SELECT 1 -- "+strings.Repeat("y", 600)), strings.Repeat("-", 600)},
		{"body", q(addr, "INSERT INTO t FORMAT TSV"), strings.Repeat("1\n", 3000)},
	} {
		code, h, body := do(t, "POST", c.url, c.body, nil)
		if code != 413 || h.Get("X-ClickHouse-Exception-Code") != "229" {
			t.Errorf("%s: %d %s %.200q; want 413 QUERY_IS_TOO_LARGE", c.name, code, h.Get("X-ClickHouse-Exception-Code"), body)
		}
	}
	// A declared length is checked before reading: the server answers
	// although the body never comes.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\nSELECT")
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 413 {
		t.Fatalf("declared body: %d", res.StatusCode)
	}
	if code, _, body := do(t, "GET", q(addr, "SELECT 1"), "", nil); code != 200 || body != "1\n" {
		t.Fatalf("short query: %d %q", code, body)
	}
}

// TestOpenRequestLimit: a user's requests beyond its open limit are
// answered 503 at once, while the others' still run.
func TestOpenRequestLimit(t *testing.T) {
	addr, _ := sqlhttptest.Start(t, sqlhttp.Config{
		Users:                  []sqlhttp.User{{Name: "a", Password: "pa"}, {Name: "b", Password: "pb"}},
		MaxOpenRequestsPerUser: 2,
	})
	// Two requests of user a that stall in their body hold its slots.
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, "POST /?user=a&password=pa HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nSELECT")
	}
	// Until the server has read both (no timing assumed: ask until it
	// answers 503, at most a few hundred times).
	got := 0
	for i := 0; i < 500 && got != 503; i++ {
		got, _, _ = do(t, "GET", q(addr, "SELECT 1", "user", "a", "password", "pa"), "", nil)
		if got == 200 {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if got != 503 {
		t.Fatalf("third open request of user a: %d, want 503", got)
	}
	if code, _, body := do(t, "GET", q(addr, "SELECT 1", "user", "b", "password", "pb"), "", nil); code != 200 || body != "1\n" {
		t.Fatalf("user b: %d %q", code, body)
	}
}
