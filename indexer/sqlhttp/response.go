package sqlhttp

import (
	"compress/gzip"
	"compress/zlib"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/ClickHouse/ch-go/compress"
	"github.com/andybalholm/brotli"
	"github.com/ethidx/ethidx/indexer/chdb"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// resultWriter sends a statement's output. It holds the status line back
// until the first byte of output, so an error that comes before any output
// gets a real error status; one that comes after is written in-band as
// ClickHouse does, in an "__exception__" block clients know to look for.
type resultWriter struct {
	w       http.ResponseWriter
	req     *Request
	headers http.Header // set on start
	started bool
	out     io.Writer // the encoding chain over w
	encOut  io.Writer // out less native block compression
	native  *nativeCompressor
	closers []io.Closer // HTTP encoders, flushed on finish
	tag     string
	until   time.Time // the statement's deadline, if any
	stall   time.Duration
}

func (rw *resultWriter) deadline() (time.Time, bool) { return rw.until, !rw.until.IsZero() }

func newResultWriter(w http.ResponseWriter, req *Request) *resultWriter {
	return &resultWriter{w: w, req: req, headers: http.Header{}, tag: randomHex(8)}
}

func (rw *resultWriter) start() {
	rw.started = true
	h := rw.w.Header()
	for k, v := range rw.headers {
		h[k] = v
	}
	h.Set("Content-Type", contentType(rw.req.Format))
	h.Set("X-ClickHouse-Format", rw.req.Format)
	h.Set("X-ClickHouse-Exception-Tag", rw.tag)
	var out io.Writer = rw.w
	if enc := rw.req.Encoding; enc != "" {
		h.Set("Content-Encoding", enc)
		var wc io.WriteCloser
		switch enc {
		case "gzip":
			wc = gzip.NewWriter(out)
		case "deflate":
			wc = zlib.NewWriter(out)
		case "br":
			wc = brotli.NewWriter(out)
		case "zstd":
			wc, _ = zstd.NewWriter(out, zstd.WithEncoderConcurrency(1))
		case "lz4":
			wc = lz4.NewWriter(out)
		}
		if wc != nil {
			out = wc
			rw.closers = append([]io.Closer{wc}, rw.closers...)
		}
	}
	rw.encOut = out
	if rw.req.Compress {
		rw.native = &nativeCompressor{w: out, c: compress.NewWriter(compress.LevelZero, rw.req.CompressMethod)}
		out = rw.native
	}
	rw.out = out
	rw.w.WriteHeader(http.StatusOK)
}

func (rw *resultWriter) Write(p []byte) (int, error) {
	if !rw.started {
		rw.start()
	}
	// A client that stops reading must not hold an engine connection for
	// ever: each write gets its own deadline, and none reaches past the
	// statement's (max_execution_time), so trickling reads do not stretch
	// it either.
	deadline := time.Now().Add(rw.stall)
	if d, ok := rw.deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = http.NewResponseController(rw.w).SetWriteDeadline(deadline)
	return rw.out.Write(p)
}

// defaultStallTimeout is how long a client may leave the endpoint waiting,
// with an engine connection taken, for it to read output or send a body
// (Config.StallTimeout).
const defaultStallTimeout = 30 * time.Second

// stallReader reads an insert body, renewing the connection's read
// deadline per read, for the same reason.
type stallReader struct {
	r     io.Reader
	rc    *http.ResponseController
	stall time.Duration
}

func (s stallReader) Read(p []byte) (int, error) {
	_ = s.rc.SetReadDeadline(time.Now().Add(s.stall))
	return s.r.Read(p)
}

// finish ends the response: flushes the encoders, or reports err.
func (rw *resultWriter) finish(stats chdb.Stats, err error) {
	if err != nil && !rw.started {
		writeError(rw.w, err, rw.headers)
		return
	}
	if !rw.started {
		// Nothing was written (DDL, INSERT): the summary is known now.
		rw.headers.Set("X-ClickHouse-Summary", summary(stats))
		rw.start()
	}
	if rw.native != nil {
		_ = rw.native.flush()
	}
	if err != nil {
		// Outside native compression, as ClickHouse does: a client reading
		// compressed blocks fails on it and then finds the text raw.
		text := errorText(err)
		fmt.Fprintf(rw.encOut, "\r\n__exception__\r\n%s\r\n%s\n%d %s\r\n__exception__\r\n", rw.tag, text, len(text), rw.tag)
	}
	for _, c := range rw.closers {
		_ = c.Close()
	}
}

// writeError sends err as a complete error response: ClickHouse's status
// for the code, the code in X-ClickHouse-Exception-Code, the text as body.
func writeError(w http.ResponseWriter, err error, extra http.Header) {
	code := chdb.CodeUnknownException
	var ce *chdb.Error
	if errors.As(err, &ce) {
		code = ce.Code
	}
	h := w.Header()
	for k, v := range extra {
		h[k] = v
	}
	h.Set("Content-Type", "text/plain; charset=UTF-8")
	h.Set("X-ClickHouse-Exception-Code", strconv.Itoa(code))
	h.Del("Content-Encoding")
	w.WriteHeader(httpStatus(code))
	io.WriteString(w, errorText(err)+"\n")
}

// errorText is the engine-style text for err ("Code: N. DB::Exception: ...").
func errorText(err error) string {
	var ce *chdb.Error
	if errors.As(err, &ce) {
		return ce.Message
	}
	return chdb.NewError(chdb.CodeUnknownException, "UNKNOWN_EXCEPTION", "%v", err).Message
}

// httpStatus maps an error code to the status ClickHouse's HTTP handler
// uses for it, so clients that branch on status behave the same.
func httpStatus(code int) int {
	switch code {
	case 194: // REQUIRED_PASSWORD
		return http.StatusUnauthorized
	case chdb.CodeAuthenticationError, 192, 193, chdb.CodeReadonly, 497: // + UNKNOWN_USER, WRONG_PASSWORD, ACCESS_DENIED
		return http.StatusForbidden
	case chdb.CodeSyntaxError, chdb.CodeCannotReadBody, chdb.CodeUnknownSetting, 6, 25, 26, 27, 38, 41, 72, 376, 467, 456, 457, 36, 53, 43, 80, 117:
		return http.StatusBadRequest
	case chdb.CodeUnknownTable, chdb.CodeUnknownDatabase, 46, 47, 50, 63, 16:
		return http.StatusNotFound
	case chdb.CodeUnknownFormat, chdb.CodeUnknownEncoding:
		return http.StatusNotAcceptable
	case chdb.CodeTooManySimultaneousQueries:
		return http.StatusServiceUnavailable
	case chdb.CodeQueryTooLarge, codeTooLargeSizeCompressed:
		return http.StatusRequestEntityTooLarge
	case codeCannotDecompress, codeChecksumDoesntMatch:
		return http.StatusBadRequest
	case 48: // NOT_IMPLEMENTED
		return http.StatusNotImplemented
	case 381: // HTTP_LENGTH_REQUIRED
		return http.StatusLengthRequired
	case 209: // SOCKET_TIMEOUT
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

func summary(s chdb.Stats) string {
	b, _ := json.Marshal(map[string]string{
		"read_rows":          strconv.FormatUint(s.RowsRead, 10),
		"read_bytes":         strconv.FormatUint(s.BytesRead, 10),
		"written_rows":       strconv.FormatUint(s.RowsWritten, 10),
		"written_bytes":      strconv.FormatUint(s.BytesWritten, 10),
		"total_rows_to_read": "0",
		"result_rows":        strconv.FormatUint(s.RowsWritten, 10),
		"result_bytes":       strconv.FormatUint(s.BytesWritten, 10),
		"elapsed_ns":         strconv.FormatInt(s.Elapsed.Nanoseconds(), 10),
	})
	return string(b)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// nativeCompressor frames output in ClickHouse's compressed blocks
// (compress=1), which is how clickhouse-go reads responses when LZ4 or
// ZSTD compression is on.
type nativeCompressor struct {
	w   io.Writer
	c   *compress.Writer
	buf []byte
}

const nativeBlock = 1 << 20

func (n *nativeCompressor) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		k := min(len(p), nativeBlock-len(n.buf))
		n.buf = append(n.buf, p[:k]...)
		p = p[k:]
		if len(n.buf) == nativeBlock {
			if err := n.flush(); err != nil {
				return total - len(p), err
			}
		}
	}
	return total, nil
}

func (n *nativeCompressor) flush() error {
	if len(n.buf) == 0 {
		return nil
	}
	if err := n.c.Compress(n.buf); err != nil {
		return err
	}
	n.buf = n.buf[:0]
	_, err := n.w.Write(n.c.Data)
	return err
}
