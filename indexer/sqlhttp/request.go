package sqlhttp

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/ClickHouse/ch-go/compress"
	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"golang.org/x/sync/semaphore"

	"github.com/ethidx/ethidx/indexer/chdb"
	"github.com/ethidx/ethidx/sqltext"
)

// Request is an HTTP request to the endpoint, parsed but not yet
// authenticated or executed. ParseRequest builds it without the engine, so
// the parsing can be fuzzed on its own.
type Request struct {
	User, Password string

	// Query is the statement text. For an insert it is the head only
	// ("INSERT INTO t (a, b)"), and Data carries the rows.
	Query  string
	Insert bool
	Data   io.Reader
	// Format is the input format of an insert, or the output format of a
	// query: its FORMAT clause, else default_format, else TabSeparated.
	Format        string
	DefaultFormat string

	Database string
	QueryID  string
	Params   map[string]string // param_name=value -> {name:Type}
	Settings map[string]string // engine settings from the URL (allowed ones)
	Ignored  []string          // URL parameters accepted but not applied

	// ReadOnly is ClickHouse's readonly level asked for by the request:
	// 2 for GET (read-only, settings allowed, as in ClickHouse), or the
	// readonly URL parameter.
	ReadOnly uint8
	// ProtocolVersion is clickhouse-go's client_protocol_version.
	ProtocolVersion uint64
	// Compress asks for a native-compressed response (compress=1), with
	// CompressMethod (network_compression_method, default LZ4).
	Compress       bool
	CompressMethod compress.Method
	// Encoding is the HTTP Content-Encoding for the response, when
	// enable_http_compression=1 and the client accepts one we speak.
	Encoding string

	closers []io.Closer // decoders holding memory until the request is done
}

// Close releases what decoding the body holds (its share of the server's
// decoding budget).
func (req *Request) Close() {
	for _, c := range req.closers {
		_ = c.Close()
	}
	req.closers = nil
}

const (
	// maxQuerySize bounds statement text read from a body, for every
	// user; Limits.MaxQuerySize lowers it for the endpoint's users.
	// INSERT data is streamed and not bounded by it.
	maxQuerySize = 16 << 20
	// headSize is how much of a body is read to find where an INSERT's
	// data begins.
	headSize = 256 << 10
)

// httpParams are URL parameters that steer the endpoint rather than the
// engine, or that a real server accepts and ethidx has no use for.
var httpParams = map[string]bool{
	"query": true, "database": true, "default_format": true, "query_id": true,
	"user": true, "password": true, "quota_key": true, "client_protocol_version": true,
	"compress": true, "decompress": true, "enable_http_compression": true,
	"network_compression_method": true, "network_zstd_compression_level": true,
	"http_zlib_compression_level": true, "buffer_size": true, "wait_end_of_query": true,
	"session_id": true, "session_timeout": true, "session_check": true, "readonly": true,
	"send_progress_in_http_headers": true, "http_headers_progress_interval_ms": true,
	"cancel_http_readonly_queries_on_client_close": true, "add_http_cors_header": true,
	"async_insert": true, "wait_for_async_insert": true, "async_insert_busy_timeout_ms": true,
	"stacktrace": true, "role": true, "http_wait_end_of_query": true, "http_response_buffer_size": true,
	"enable_http_compression_level": true,
}

// allowedSettings are engine settings a client may set per request. The
// list keeps out what could reach outside the engine's sandbox or the
// endpoint's limits; prefixes cover the large format-setting families.
var allowedSettings = map[string]bool{
	"max_execution_time": true, "max_memory_usage": true, "max_threads": true, "max_block_size": true,
	"max_result_rows": true, "max_result_bytes": true, "result_overflow_mode": true,
	"max_rows_to_read": true, "max_bytes_to_read": true, "read_overflow_mode": true,
	"timeout_overflow_mode": true, "max_rows_to_group_by": true, "group_by_overflow_mode": true,
	"max_bytes_before_external_group_by": true, "max_bytes_before_external_sort": true,
	"join_use_nulls": true, "join_algorithm": true, "extremes": true, "totals_mode": true,
	"date_time_output_format": true, "date_time_input_format": true, "session_timezone": true,
	"use_query_cache": true, "final": true, "insert_deduplicate": true, "mutations_sync": true,
	"lightweight_deletes_sync": true, "alter_sync": true, "max_insert_block_size": true,
	"min_insert_block_size_rows": true, "min_insert_block_size_bytes": true,
	"allow_experimental_analyzer": true, "enable_analyzer": true, "optimize_move_to_prewhere": true,
	"use_uncompressed_cache": true, "log_comment": true, "max_partitions_per_insert_block": true,
	"optimize_on_insert": true,
}

var allowedSettingPrefixes = []string{"output_format_", "input_format_", "format_", "max_bytes_in_", "max_rows_in_"}

func settingAllowed(name string) bool {
	if allowedSettings[name] {
		return true
	}
	for _, p := range allowedSettingPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func badRequest(code int, name, format string, args ...any) error {
	return chdb.NewError(code, name, format, args...)
}

// ParseRequest turns r into a Request, within DefaultLimits. It reads from
// r.Body only as far as it must to find the statement; the rest stays in
// Data. It never panics on hostile input; errors are *chdb.Error so they
// reach clients like engine errors. Close the Request when done.
func ParseRequest(r *http.Request) (*Request, error) {
	return parseRequest(r, DefaultLimits, nil)
}

// parseRequest is ParseRequest within lim, native blocks taking their
// buffers from budget (nil: unlimited).
func parseRequest(r *http.Request, lim Limits, budget *semaphore.Weighted) (_ *Request, err error) {
	q := r.URL.Query()
	req := &Request{
		Database:      q.Get("database"),
		QueryID:       q.Get("query_id"),
		DefaultFormat: q.Get("default_format"),
	}
	if h := r.Header.Get("X-ClickHouse-Database"); h != "" && req.Database == "" {
		req.Database = h
	}
	if h := r.Header.Get("X-ClickHouse-Format"); h != "" && req.DefaultFormat == "" {
		req.DefaultFormat = h
	}
	if h := r.Header.Get("X-ClickHouse-Query-Id"); h != "" && req.QueryID == "" {
		req.QueryID = h
	}
	req.User, req.Password = credentials(r)
	if v := q.Get("client_protocol_version"); v != "" {
		req.ProtocolVersion, _ = strconv.ParseUint(v, 10, 64)
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		req.ReadOnly = 2
	}
	switch q.Get("readonly") {
	case "1":
		req.ReadOnly = 1
	case "2":
		req.ReadOnly = max(req.ReadOnly, 2)
	}
	req.Compress = q.Get("compress") == "1"
	req.CompressMethod = compress.LZ4
	if strings.EqualFold(q.Get("network_compression_method"), "zstd") {
		req.CompressMethod = compress.ZSTD
	}
	if q.Get("enable_http_compression") == "1" {
		req.Encoding = pickEncoding(r.Header.Get("Accept-Encoding"))
	}
	for k, vs := range q {
		v := vs[len(vs)-1]
		switch {
		case strings.HasPrefix(k, "param_") && len(k) > len("param_"):
			if req.Params == nil {
				req.Params = map[string]string{}
			}
			req.Params[k[len("param_"):]] = v
		case httpParams[k]:
		case settingAllowed(k):
			if req.Settings == nil {
				req.Settings = map[string]string{}
			}
			req.Settings[k] = v
		default:
			req.Ignored = append(req.Ignored, k)
		}
	}

	if p := q.Get("query"); int64(len(p)) > lim.MaxQuerySize {
		return nil, tooLarge("Query", lim.MaxQuerySize)
	}
	defer func() {
		if err != nil {
			req.Close()
		}
	}()
	body, err := req.decodeBody(r, q.Get("decompress") == "1", lim, budget)
	if err != nil {
		return nil, err
	}
	if err := req.splitStatement(q.Get("query"), q.Has("query"), body, int(lim.MaxQuerySize)); err != nil {
		return nil, err
	}
	if !req.Insert {
		req.Format = sqltext.OutputFormat(req.Query)
		if req.Format == "" {
			req.Format = req.DefaultFormat
		}
		if req.Format == "" {
			req.Format = "TabSeparated"
		}
	}
	return req, nil
}

// splitStatement finds the statement and, for an insert, its data. The
// statement is the query parameter followed by the body, as in ClickHouse;
// an INSERT's data is whatever follows its FORMAT name (or VALUES).
func (req *Request) splitStatement(param string, hasParam bool, body io.Reader, limit int) error {
	if hasParam {
		if ins, ok := sqltext.SplitInsert(param); ok {
			req.setInsert(ins, param[ins.Data:], true, body)
			return nil
		}
		rest, err := readLimited(body, limit-len(param), limit)
		if err != nil {
			return err
		}
		req.Query = param
		if len(bytes.TrimSpace(rest)) > 0 {
			req.Query += "\n" + string(rest)
		}
		return req.checkEmpty()
	}
	head := make([]byte, min(headSize, limit+1))
	n, err := io.ReadFull(body, head)
	head = head[:n]
	more := true
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		more = false
	} else if err != nil {
		return badRequest(chdb.CodeCannotReadBody, "CANNOT_READ_FROM_ISTREAM", "Cannot read request body: %v", err)
	}
	if ins, ok := sqltext.SplitInsert(string(head)); ok && ins.Data <= n {
		req.setInsert(ins, string(head[ins.Data:]), false, body)
		return nil
	}
	text := head
	if more {
		rest, err := readLimited(body, limit-n, limit)
		if err != nil {
			return err
		}
		text = append(text, rest...)
		if ins, ok := sqltext.SplitInsert(string(text)); ok {
			req.setInsert(ins, string(text[ins.Data:]), false, strings.NewReader(""))
			return nil
		}
	}
	req.Query = string(text)
	return req.checkEmpty()
}

// setInsert makes req an insert whose data is inline (rows in the text
// after FORMAT/VALUES) followed by body. When the text came from the query
// parameter, the body continues it on a new line, as in ClickHouse.
func (req *Request) setInsert(ins sqltext.Insert, inline string, fromParam bool, body io.Reader) {
	req.Insert, req.Query, req.Format = true, ins.Head, ins.Format
	switch {
	case inline == "" || fromParam && strings.TrimSpace(inline) == "":
		req.Data = body
	case fromParam && !strings.HasSuffix(inline, "\n"):
		req.Data = io.MultiReader(strings.NewReader(inline+"\n"), body)
	default:
		req.Data = io.MultiReader(strings.NewReader(inline), body)
	}
}

func (req *Request) checkEmpty() error {
	if strings.TrimSpace(req.Query) == "" {
		return badRequest(chdb.CodeSyntaxError, "SYNTAX_ERROR", "Empty query")
	}
	if strings.IndexByte(req.Query, 0) >= 0 {
		// The engine would stop reading at the NUL and run what precedes it.
		return badRequest(chdb.CodeSyntaxError, "SYNTAX_ERROR", "Query contains a NUL byte (binary data belongs after an INSERT's FORMAT clause)")
	}
	return nil
}

// readLimited reads all of r, failing if it holds more than limit bytes
// (of a query of at most total).
func readLimited(r io.Reader, limit, total int) ([]byte, error) {
	if limit < 0 {
		return nil, tooLarge("Query", int64(total))
	}
	b, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, readErr(err)
	}
	if len(b) > limit {
		return nil, tooLarge("Query", int64(total))
	}
	return b, nil
}

// credentials takes the user from ClickHouse's headers, basic auth or URL
// parameters, in that order. No user means "default".
func credentials(r *http.Request) (user, password string) {
	if u := r.Header.Get("X-ClickHouse-User"); u != "" {
		user, password = u, r.Header.Get("X-ClickHouse-Key")
	} else if u, p, ok := r.BasicAuth(); ok {
		user, password = u, p
	} else {
		user, password = r.URL.Query().Get("user"), r.URL.Query().Get("password")
	}
	if user == "" {
		user = "default"
	}
	return user, password
}

// decodeBody undoes the request's Content-Encoding and, with decompress=1,
// ClickHouse's native block compression (what clickhouse-go sends with LZ4
// or ZSTD compression on), within lim.
func (req *Request) decodeBody(r *http.Request, native bool, lim Limits, budget *semaphore.Weighted) (io.Reader, error) {
	var raw io.Reader = r.Body
	if raw == nil {
		raw = strings.NewReader("")
	}
	if lim.MaxBodySize > 0 && r.ContentLength > lim.MaxBodySize {
		return nil, tooLarge("Request body", lim.MaxBodySize)
	}
	wire := &countingReader{r: raw, max: lim.MaxBodySize, what: "Request body"}
	var body io.Reader = wire
	var err error
	enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding")))
	switch enc {
	case "br", "lz4", "zstd":
		// Their decoders keep a window of up to maxDecoderMemory: taken
		// from the same budget as native blocks.
		if err := req.hold(r.Context(), budget, maxDecoderMemory); err != nil {
			return nil, err
		}
	}
	switch enc {
	case "", "identity", "none":
	case "gzip", "x-gzip":
		body, err = gzip.NewReader(body)
	case "deflate":
		body, err = zlib.NewReader(body)
	case "br":
		body = brotli.NewReader(body)
	case "lz4": // the LZ4 frame format, what clickhouse-connect sends
		body = lz4.NewReader(body)
	case "zstd":
		// A frame may declare a window of up to 2 GiB: the decoder would
		// allocate it. zstd's levels use at most 8 MiB.
		var d *zstd.Decoder
		if d, err = zstd.NewReader(body, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxWindow(maxZstdWindow)); err == nil {
			body = d.IOReadCloser()
			req.closers = append(req.closers, d.IOReadCloser())
		}
	default:
		return nil, badRequest(chdb.CodeUnknownEncoding, "UNKNOWN_COMPRESSION_METHOD", "Unknown Content-Encoding %q", enc)
	}
	if err != nil {
		return nil, badRequest(chdb.CodeCannotReadBody, "CANNOT_READ_FROM_ISTREAM", "Cannot decode request body: %v", readErr(err))
	}
	encoded := body != io.Reader(wire)
	if encoded && lim.MaxRatio > 0 {
		body = &ratioReader{r: body, wire: wire, max: lim.MaxRatio}
	}
	if native {
		nr := newNativeReader(r.Context(), body, lim, budget)
		req.closers = append(req.closers, nr)
		body = nr
	}
	if (encoded || native) && lim.MaxDataSize > 0 {
		body = &countingReader{r: body, max: lim.MaxDataSize, what: "Request data after decompression"}
	}
	return eofReader{body}, nil
}

// maxZstdWindow bounds a zstd request body's window (its decoder's
// memory); zstd's levels use at most 8 MiB. maxDecoderMemory is what a
// brotli, LZ4 frame or zstd decoder may hold: brotli's largest standard
// window is 16 MiB.
const (
	maxZstdWindow    = 8 << 20
	maxDecoderMemory = 16 << 20
)

// hold takes n bytes of budget (nil: none) until the request is closed.
func (req *Request) hold(ctx context.Context, budget *semaphore.Weighted, n int64) error {
	if budget == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, decodeWait)
	defer cancel()
	if err := budget.Acquire(ctx, n); err != nil {
		return chdb.NewError(chdb.CodeTooManySimultaneousQueries, "TOO_MANY_SIMULTANEOUS_QUERIES",
			"Too many compressed request bodies being decoded at once: %v", err)
	}
	req.closers = append(req.closers, releaser(func() { budget.Release(n) }))
	return nil
}

// releaser is a Closer that runs a func once.
type releaser func()

func (f releaser) Close() error { f(); return nil }

// eofReader reports a wrapped end of input as plain io.EOF, which is what
// io.Reader users (io.ReadFull, io.Copy) test for.
type eofReader struct{ r io.Reader }

func (e eofReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && errors.Is(err, io.EOF) {
		err = io.EOF
	}
	return n, err
}

// pickEncoding chooses a response encoding the client accepts.
func pickEncoding(accept string) string {
	for _, part := range strings.Split(accept, ",") {
		name, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		switch name = strings.ToLower(strings.TrimSpace(name)); name {
		case "gzip", "deflate", "br", "zstd", "lz4":
			return name
		}
	}
	return ""
}
