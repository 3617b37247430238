package sqlhttp_test

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"

	"github.com/ethidx/ethidx/indexer/sqlhttp"
	"github.com/ethidx/ethidx/indexer/sqlhttp/sqlhttptest"
)

// do sends one request the way curl would and returns status, headers, body.
func do(t testing.TB, method, rawURL string, body string, hdr map[string]string) (int, http.Header, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, rawURL, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, string(b)
}

func q(addr, sql string, extra ...string) string {
	v := url.Values{"query": {sql}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return "http://" + addr + "/?" + v.Encode()
}

func TestCurlBasics(t *testing.T) {
	addr, _ := sqlhttptest.Start(t, sqlhttp.Config{})
	base := "http://" + addr + "/"

	if code, _, body := do(t, "GET", "http://"+addr+"/ping", "", nil); code != 200 || body != "Ok.\n" {
		t.Fatalf("ping: %d %q", code, body)
	}
	if code, h, body := do(t, "GET", q(addr, "SELECT 1"), "", nil); code != 200 || body != "1\n" || h.Get("X-ClickHouse-Query-Id") == "" || h.Get("X-ClickHouse-Timezone") == "" {
		t.Fatalf("GET SELECT 1: %d %q %v", code, body, h)
	}
	if code, _, body := do(t, "POST", base, "SELECT 1", nil); code != 200 || body != "1\n" {
		t.Fatalf("POST SELECT 1: %d %q", code, body)
	}
	code, h, body := do(t, "GET", q(addr, "SELECT 1 AS x, 'a' AS s FORMAT JSON"), "", nil)
	var js struct {
		Data []struct {
			X int    `json:"x"`
			S string `json:"s"`
		} `json:"data"`
		Rows int `json:"rows"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &js) != nil || js.Rows != 1 || js.Data[0].X != 1 || js.Data[0].S != "a" {
		t.Fatalf("JSON: %d %q", code, body)
	}
	if !strings.HasPrefix(h.Get("Content-Type"), "application/json") || h.Get("X-ClickHouse-Format") != "JSON" {
		t.Fatalf("JSON headers: %v", h)
	}
	// default_format, params, query_id, query param + body.
	if _, _, body := do(t, "GET", q(addr, "SELECT {n:UInt8} + 1 AS v", "param_n", "41", "default_format", "JSONEachRow"), "", nil); body != "{\"v\":42}\n" {
		t.Fatalf("params: %q", body)
	}
	if _, h, _ := do(t, "GET", q(addr, "SELECT 1", "query_id", "abc"), "", nil); h.Get("X-ClickHouse-Query-Id") != "abc" {
		t.Fatalf("query_id: %v", h)
	}
	if _, _, body := do(t, "POST", q(addr, "SELECT number FROM numbers(3)"), "WHERE number > 0", nil); body != "1\n2\n" {
		t.Fatalf("query + body: %q", body)
	}
	// DDL, inserts in several shapes, database, TSVWithNamesAndTypes.
	for _, s := range []string{"CREATE DATABASE d", "CREATE TABLE d.t (a UInt32, s String) ENGINE = MergeTree ORDER BY a"} {
		if code, _, body := do(t, "POST", base, s, nil); code != 200 {
			t.Fatalf("%s: %d %s", s, code, body)
		}
	}
	inserts := []struct{ url, body string }{
		{q(addr, "INSERT INTO d.t FORMAT TSV"), "1\tone\n2\ttwo\n"},
		{base, "INSERT INTO t VALUES (3, 'three'), (4, 'it''s')"},
		{base, "INSERT INTO t FORMAT CSV\n5,\"five\"\n"},
		{q(addr, "INSERT INTO t (a, s) FORMAT JSONEachRow"), `{"a":6,"s":"six"}`},
	}
	for _, in := range inserts {
		u := in.url
		if !strings.Contains(u, "d.t") {
			u += map[bool]string{true: "&", false: "?"}[strings.Contains(u, "?")] + "database=d"
		}
		if code, h, body := do(t, "POST", u, in.body, nil); code != 200 || !strings.Contains(h.Get("X-ClickHouse-Summary"), "written_rows") {
			t.Fatalf("insert %q: %d %s %v", in.body, code, body, h)
		}
	}
	_, h, body = do(t, "GET", q(addr, "SELECT a, s FROM t ORDER BY a FORMAT TabSeparatedWithNamesAndTypes", "database", "d"), "", nil)
	want := "a\ts\nUInt32\tString\n1\tone\n2\ttwo\n3\tthree\n4\tit\\'s\n5\tfive\n6\tsix\n"
	if body != want || !strings.HasPrefix(h.Get("Content-Type"), "text/tab-separated-values") {
		t.Fatalf("select back: %q, want %q", body, want)
	}
	// Compressed request and response bodies, as clickhouse-connect and
	// curl --compressed send them.
	var lz bytes.Buffer
	lw := lz4.NewWriter(&lz)
	lw.Write([]byte("7\tseven\n"))
	lw.Close()
	if code, _, body := do(t, "POST", q(addr, "INSERT INTO d.t FORMAT TSV"), lz.String(), map[string]string{"Content-Encoding": "lz4"}); code != 200 {
		t.Fatalf("lz4 insert: %d %s", code, body)
	}
	for _, enc := range []string{"gzip", "deflate", "br", "zstd", "lz4"} {
		req, _ := http.NewRequest("GET", q(addr, "SELECT s FROM d.t WHERE a = 7", "enable_http_compression", "1"), nil)
		req.Header.Set("Accept-Encoding", enc)
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.Header.Get("Content-Encoding") != enc || bytes.Equal(raw, []byte("seven\n")) {
			t.Fatalf("%s: response not encoded: %v %q", enc, res.Header, raw)
		}
		if got := decode(t, enc, raw); got != "seven\n" {
			t.Fatalf("%s: decoded %q", enc, got)
		}
	}
	do(t, "POST", base, "ALTER TABLE d.t DELETE WHERE a = 7 SETTINGS mutations_sync = 1", nil)

	// Errors: status, code header, engine text.
	code, h, body = do(t, "GET", q(addr, "SELECT * FROM nope"), "", nil)
	if code != 404 || h.Get("X-ClickHouse-Exception-Code") != "60" || !strings.HasPrefix(body, "Code: 60. DB::Exception:") {
		t.Fatalf("unknown table: %d %v %q", code, h, body)
	}
	if code, h, body := do(t, "POST", base, "SELEC 1", nil); code != 400 || h.Get("X-ClickHouse-Exception-Code") != "62" || strings.Contains(body, "ethidx:") {
		t.Fatalf("syntax error: %d %v %q", code, h, body)
	}
	if code, h, _ := do(t, "POST", base, "", nil); code != 400 || h.Get("X-ClickHouse-Exception-Code") != "62" {
		t.Fatalf("empty query: %d %v", code, h)
	}
	// GET is read-only, as in ClickHouse.
	if code, h, _ := do(t, "GET", q(addr, "DROP TABLE d.t"), "", nil); code != 403 || h.Get("X-ClickHouse-Exception-Code") != "164" {
		t.Fatalf("GET DROP: %d %v", code, h)
	}
	if code, _, _ := do(t, "DELETE", base, "", nil); code == 200 {
		t.Fatal("DELETE accepted")
	}
	if code, _, _ := do(t, "GET", "http://"+addr+"/nope", "", nil); code != 404 {
		t.Fatal("unknown path accepted")
	}
}

func TestAuth(t *testing.T) {
	addr, _ := sqlhttptest.Start(t, sqlhttp.Config{Users: []sqlhttp.User{
		{Name: "admin", Password: "s3cret"},
		{Name: "viewer", Password: "pw", ReadOnly: true},
	}})
	base := "http://" + addr + "/"
	admin := map[string]string{"X-ClickHouse-User": "admin", "X-ClickHouse-Key": "s3cret"}
	viewer := map[string]string{"X-ClickHouse-User": "viewer", "X-ClickHouse-Key": "pw"}

	for name, hdr := range map[string]map[string]string{
		"no credentials": nil,
		"wrong password": {"X-ClickHouse-User": "admin", "X-ClickHouse-Key": "nope"},
		"unknown user":   {"X-ClickHouse-User": "mallory", "X-ClickHouse-Key": ""},
	} {
		code, h, body := do(t, "POST", base, "SELECT 1", hdr)
		if code != 403 || h.Get("X-ClickHouse-Exception-Code") != "516" || !strings.Contains(body, "AUTHENTICATION_FAILED") {
			t.Errorf("%s: %d %v %q", name, code, h, body)
		}
	}
	// The three ways of passing credentials.
	if code, _, body := do(t, "POST", base, "SELECT 1", admin); code != 200 || body != "1\n" {
		t.Fatalf("headers: %d %q", code, body)
	}
	if code, _, _ := do(t, "POST", "http://admin:s3cret@"+addr+"/", "SELECT 1", nil); code != 200 {
		t.Fatalf("basic auth: %d", code)
	}
	if code, _, _ := do(t, "POST", q(addr, "SELECT 1", "user", "admin", "password", "s3cret"), "", nil); code != 200 {
		t.Fatalf("URL params: %d", code)
	}

	if code, _, body := do(t, "POST", base, "CREATE TABLE t (a UInt8) ENGINE = MergeTree ORDER BY a", admin); code != 200 {
		t.Fatalf("admin CREATE: %d %s", code, body)
	}
	for _, c := range []struct{ url, body string }{
		{base, "CREATE TABLE u (a UInt8) ENGINE = Memory"},
		{base, "DROP TABLE t"},
		{base, "INSERT INTO t VALUES (1)"},
		{q(addr, "INSERT INTO t FORMAT TSV"), "1\n"},
		{base, "INSERT INTO t SELECT 1"},
		{base, "SET max_threads = 1"},
		{q(addr, "SELECT 1", "max_threads", "1"), ""},
		{base, "SELECT 1 SETTINGS max_memory_usage = 100000000000"},
		{base, "ALTER TABLE t DELETE WHERE 1"},
	} {
		code, h, body := do(t, "POST", c.url, c.body, viewer)
		if code != 403 || h.Get("X-ClickHouse-Exception-Code") != "164" {
			t.Errorf("viewer %q %q: %d %v %q", c.url, c.body, code, h, body)
		}
	}
	if code, _, body := do(t, "POST", base, "SELECT count() FROM t", viewer); code != 200 || body != "0\n" {
		t.Fatalf("viewer SELECT: %d %q", code, body)
	}
	// A viewer may still limit and format its own results: clickhouse-go
	// (Grafana) sends max_execution_time with every deadline-bound request.
	if code, _, body := do(t, "POST", q(addr, "SELECT toUInt64(1) AS n FORMAT JSONEachRow", "max_execution_time", "60",
		"output_format_json_quote_64bit_integers", "1"), "", viewer); code != 200 || body != "{\"n\":\"1\"}\n" {
		t.Errorf("viewer with result settings: %d %q", code, body)
	}
	if code, _, body := do(t, "POST", q(addr, "INSERT INTO t VALUES (2)", "max_execution_time", "60"), "", viewer); code != 403 {
		t.Errorf("viewer INSERT with max_execution_time: %d %q", code, body)
	}
}

func TestConcurrentQueries(t *testing.T) {
	addr, _ := sqlhttptest.Start(t, sqlhttp.Config{})
	const clients, perClient = 16, 13 // 208 queries
	var wg sync.WaitGroup
	errs := make(chan error, clients*perClient)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perClient {
				n := c*1000 + i
				res, err := http.Get(q(addr, "SELECT sum(number) FROM numbers({n:UInt64})", "param_n", strconv.Itoa(n)))
				if err != nil {
					errs <- err
					continue
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if want := fmt.Sprintf("%d\n", n*(n-1)/2); string(b) != want || res.StatusCode != 200 {
					errs <- fmt.Errorf("n=%d: %d %q want %q", n, res.StatusCode, b, want)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestStreamedResultMemory reads a few hundred MB of output and checks the
// process did not buffer it: heap and RSS growth stay a small fraction.
func TestStreamedResultMemory(t *testing.T) {
	addr, _ := sqlhttptest.Start(t, sqlhttp.Config{})
	streamAndMeasure(t, addr, 300<<20)
}

func streamAndMeasure(t testing.TB, addr string, size int64) {
	// 8-byte UInt64 rows in RowBinary: size bytes is size/8 rows.
	rows := size / 8
	runtime.GC()
	rss0 := rss(t)
	var peakHeap uint64
	res, err := http.Get(q(addr, fmt.Sprintf("SELECT number FROM numbers(%d) FORMAT RowBinary", rows)))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	buf := make([]byte, 1<<20)
	var n int64
	var ms runtime.MemStats
	for {
		k, err := res.Body.Read(buf)
		n += int64(k)
		if n%(32<<20) < int64(k) {
			runtime.ReadMemStats(&ms)
			peakHeap = max(peakHeap, ms.HeapInuse)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	rss1 := rss(t)
	t.Logf("streamed %d MB: peak Go heap %d MB, RSS %d -> %d MB", n>>20, peakHeap>>20, rss0>>20, rss1>>20)
	if n != size {
		t.Fatalf("got %d bytes, want %d", n, size)
	}
	if peakHeap > 64<<20 {
		t.Errorf("Go heap reached %d MB while streaming", peakHeap>>20)
	}
	if rss1 > rss0 && rss1-rss0 > uint64(size)/3 {
		t.Errorf("RSS grew by %d MB for a %d MB result", (rss1-rss0)>>20, size>>20)
	}
}

func decode(t testing.TB, enc string, raw []byte) string {
	var r io.Reader
	var err error
	switch enc {
	case "gzip":
		r, err = gzip.NewReader(bytes.NewReader(raw))
	case "deflate":
		r, err = zlib.NewReader(bytes.NewReader(raw))
	case "br":
		r = brotli.NewReader(bytes.NewReader(raw))
	case "zstd":
		r, err = zstd.NewReader(bytes.NewReader(raw))
	case "lz4":
		r = lz4.NewReader(bytes.NewReader(raw))
	}
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: %v", enc, err)
	}
	return string(b)
}

// rss reads the process's resident set size from /proc (Linux).
func rss(t testing.TB) uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skip("no /proc/self/statm")
	}
	f := strings.Fields(string(b))
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

// BenchmarkStream2GB streams 2 GB of query output through the endpoint
// (make bench); the memory assertions of TestStreamedResultMemory apply.
func BenchmarkStream2GB(b *testing.B) {
	addr, _ := sqlhttptest.Start(b, sqlhttp.Config{})
	b.SetBytes(2 << 30)
	for b.Loop() {
		streamAndMeasure(b, addr, 2<<30)
	}
}

var _ = context.Background
