package sqlhttp

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ClickHouse/ch-go/compress"
	"github.com/ethidx/ethidx/indexer/chdb"
)

func parse(t *testing.T, method, target, body string, hdr ...string) *Request {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	req, err := ParseRequest(r)
	if err != nil {
		t.Fatalf("%s %s %q: %v", method, target, body, err)
	}
	return req
}

func data(t *testing.T, req *Request) string {
	t.Helper()
	b, err := io.ReadAll(req.Data)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseRequest(t *testing.T) {
	// clickhouse-go batch: statement in the URL, Native data in the body.
	req := parse(t, "POST", "/?query=INSERT+INTO+t+(a,+b)+FORMAT+Native&database=eth&client_protocol_version=54460&default_format=Native", "\x02\x0a\x00binary\n")
	if !req.Insert || req.Query != "INSERT INTO t (a, b)" || req.Format != "Native" || req.Database != "eth" || req.ProtocolVersion != 54460 {
		t.Fatalf("%+v", req)
	}
	if d := data(t, req); d != "\x02\x0a\x00binary\n" {
		t.Fatalf("data %q", d)
	}
	// Statement and data in the body.
	req = parse(t, "POST", "/", "insert into t format CSV\n1,2\n")
	if !req.Insert || req.Query != "insert into t" || req.Format != "CSV" || data(t, req) != "1,2\n" {
		t.Fatalf("%+v", req)
	}
	req = parse(t, "POST", "/", "INSERT INTO t VALUES (1, 'a;b'), (2, 'FORMAT x')")
	if !req.Insert || req.Format != "Values" || data(t, req) != " (1, 'a;b'), (2, 'FORMAT x')" {
		t.Fatalf("%+v", req)
	}
	// Query parameter continued by the body.
	req = parse(t, "POST", "/?query=SELECT+1", " + 1")
	if req.Insert || req.Query != "SELECT 1\n + 1" || req.Format != "TabSeparated" {
		t.Fatalf("%+v", req)
	}
	req = parse(t, "GET", "/?query=SELECT+1+FORMAT+JSON&param_x=5&max_threads=2&foo=bar&readonly=0", "")
	if req.ReadOnly != 2 || req.Format != "JSON" || req.Params["x"] != "5" || req.Settings["max_threads"] != "2" || len(req.Ignored) != 1 {
		t.Fatalf("%+v", req)
	}
	// Credentials: headers, basic auth, URL; default user.
	if r := parse(t, "POST", "/", "SELECT 1", "X-ClickHouse-User", "u", "X-ClickHouse-Key", "k"); r.User != "u" || r.Password != "k" {
		t.Fatalf("%+v", r)
	}
	if r := parse(t, "POST", "/", "SELECT 1", "Authorization", "Basic dTpr"); r.User != "u" || r.Password != "k" {
		t.Fatalf("%+v", r)
	}
	if r := parse(t, "POST", "/?user=u&password=k", "SELECT 1"); r.User != "u" || r.Password != "k" {
		t.Fatalf("%+v", r)
	}
	if r := parse(t, "POST", "/", "SELECT 1"); r.User != "default" {
		t.Fatalf("%+v", r)
	}
	// Compressed bodies.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("1\n2\n"))
	zw.Close()
	req = parse(t, "POST", "/?query=INSERT+INTO+t+FORMAT+TSV", gz.String(), "Content-Encoding", "gzip")
	if data(t, req) != "1\n2\n" {
		t.Fatal("gzip body")
	}
	cw := compress.NewWriter(compress.LevelZero, compress.LZ4)
	if err := cw.Compress([]byte("3\n4\n")); err != nil {
		t.Fatal(err)
	}
	req = parse(t, "POST", "/?query=INSERT+INTO+t+FORMAT+TSV&decompress=1", string(cw.Data))
	if data(t, req) != "3\n4\n" {
		t.Fatal("native-compressed body")
	}
	// Refusals.
	for _, c := range []struct {
		target, body, enc string
		code              int
	}{
		{"/", "", "", chdb.CodeSyntaxError},
		{"/", "  -- nothing\n", "", -1},
		{"/", "SELECT 1", "rot13", chdb.CodeUnknownEncoding},
		{"/", "not gzip", "gzip", chdb.CodeCannotReadBody},
		{"/", strings.Repeat("x", maxQuerySize+1), "", chdb.CodeQueryTooLarge},
	} {
		r := httptest.NewRequest("POST", c.target, strings.NewReader(c.body))
		if c.enc != "" {
			r.Header.Set("Content-Encoding", c.enc)
		}
		_, err := ParseRequest(r)
		var ce *chdb.Error
		if c.code == -1 {
			continue // the engine judges comments-only text
		}
		if !errors.As(err, &ce) || ce.Code != c.code {
			t.Errorf("%q (%s): got %v, want code %d", c.body[:min(len(c.body), 20)], c.enc, err, c.code)
		}
	}
}

// FuzzParseRequest feeds raw HTTP requests to ParseRequest: it must never
// panic, and what it returns must be usable.
func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{
		"POST /?query=INSERT+INTO+t+FORMAT+Native&client_protocol_version=54460 HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n\x01\x00\x02\x03",
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 56\r\n\r\nSELECT displayName(), version(), revision(), timezone()",
		"GET /?query=SELECT+%7Bx%3AUInt8%7D&param_x=1&default_format=JSON HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /?database=d&decompress=1&compress=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 30\r\n\r\nINSERT INTO t VALUES (1),(2)\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc",
		"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic dTpr\r\nContent-Length: 40\r\n\r\nINSERT INTO t /* FORMAT */ FORMAT CSV\n1\n",
		"POST /?query=INSERT%20INTO%20%60values%60%20VALUES HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n(1)",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			return
		}
		req, err := ParseRequest(r)
		if err != nil {
			var ce *chdb.Error
			if !errors.As(err, &ce) || ce.Code == 0 || !strings.HasPrefix(ce.Message, "Code: ") {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if req.Format == "" || req.User == "" {
			t.Fatalf("incomplete request %+v", req)
		}
		if req.Insert {
			if req.Data == nil || !strings.Contains(strings.ToUpper(req.Query), "INSERT") {
				t.Fatalf("bad insert %+v", req)
			}
			io.Copy(io.Discard, io.LimitReader(req.Data, 1<<20))
		} else if strings.TrimSpace(req.Query) == "" {
			t.Fatalf("empty query accepted")
		}
	})
}
