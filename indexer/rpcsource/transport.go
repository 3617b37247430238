package rpcsource

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ethereum/go-ethereum/rpc"

	"github.com/ethidx/ethidx/internal/bufpool"
)

// call is one JSON-RPC call of a batch. After the batch, result holds the
// raw JSON result (a slice of the response body, not copied) or err the
// call's own error.
type call struct {
	method string
	params []any
	result []byte
	err    error
}

// Why two transports: go-ethereum's rpc client reads a batch response with
// a json.Decoder, unmarshals it into messages, then unmarshals each result
// again into the caller's json.RawMessage: four full encoding/json passes
// over ~1.2 MB per mainnet block. Measured here (BenchmarkBlocks) that was
// 6,000 tx/s end to end against a local replay server, 75% of the CPU in
// encoding/json. The HTTP path below reads the body once, finds each
// result with the same scanner the decoder uses, and hands out slices.
// The rpc client still does everything else: single calls, and batches on
// ws:// and IPC endpoints.

// batch sends calls in JSON-RPC batches of at most BatchSize. Per-call
// errors are left in the calls; a returned error means a whole batch
// failed (HTTP status, connection, timeout, unparseable body).
// Response bodies are kept in held until the caller is done with the raw
// results, then recycled.
func (s *Source) batch(ctx context.Context, ep *endpoint, calls []*call, held *bodies) error {
	return s.batchOf(ctx, ep, calls, held, s.opts.BatchSize)
}

// batchOf is batch with at most size calls per request.
func (s *Source) batchOf(ctx context.Context, ep *endpoint, calls []*call, held *bodies, size int) error {
	for len(calls) > 0 {
		chunk := calls[:min(len(calls), size)]
		calls = calls[len(chunk):]
		if err := s.limiter.wait(ctx, len(chunk)); err != nil {
			return err
		}
		cctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
		var err error
		if ep.http != nil {
			err = ep.postBatch(cctx, chunk, held)
		} else {
			err = ep.rpcBatch(cctx, chunk)
		}
		cancel()
		if err != nil {
			return err
		}
	}
	return nil
}

func (ep *endpoint) rpcBatch(ctx context.Context, calls []*call) error {
	elems := make([]rpc.BatchElem, len(calls))
	raws := make([]json.RawMessage, len(calls))
	for i, c := range calls {
		elems[i] = rpc.BatchElem{Method: c.method, Args: c.params, Result: &raws[i]}
	}
	if err := ep.client.BatchCallContext(ctx, elems); err != nil {
		return shortHTTPError(err)
	}
	for i, c := range calls {
		c.result, c.err = raws[i], elems[i].Error
	}
	return nil
}

// postBatch makes one HTTP JSON-RPC batch request. Errors keep go-ethereum's
// types (rpc.HTTPError for HTTP statuses, rpc.Error for JSON-RPC errors) so
// both transports are classified alike.
func (ep *endpoint) postBatch(ctx context.Context, calls []*call, held *bodies) error {
	body, err := encodeBatch(calls)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := ep.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return rpc.HTTPError{StatusCode: resp.StatusCode, Status: resp.Status, Body: excerpt(resp.Header, msg)}
	}
	raw, err := held.read(resp)
	if err != nil {
		return fmt.Errorf("reading response: %w", err)
	}
	return splitBatch(raw, calls)
}

// bodies holds the response buffers of one Blocks call. A backfill reads
// gigabytes of JSON; decoded rows never point into it, so once a call's
// blocks are decoded its buffers go back to bodyFree instead of the
// garbage collector.
type bodies struct{ bufs []*[]byte }

// bodyFree keeps released response buffers for the next calls (1.4 GB of
// a 1,500-block bench's 7.8 GB allocated were response bodies before it).
var bodyFree = bufpool.Pool{Max: 1 << 30, Idle: 10 * time.Second} // four workers' batches of 100 mainnet blocks, with room

// read reads a whole response body into a recycled buffer.
func (h *bodies) read(resp *http.Response) ([]byte, error) {
	var p *[]byte
	n := resp.ContentLength
	if h != nil {
		p = bodyFree.Get(n)
	}
	if p == nil {
		p = new([]byte)
	}
	buf := (*p)[:0]
	if n > 0 && n < 1<<31 && int64(cap(buf)) < n {
		// An eighth more, so that the buffer fits the next, slightly
		// larger answers too.
		buf = make([]byte, 0, n+n/8)
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		m, err := resp.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if n > 0 && int64(len(buf)) != n {
		return nil, io.ErrUnexpectedEOF
	}
	*p = buf
	if h != nil {
		h.bufs = append(h.bufs, p)
	}
	return buf, nil
}

// release recycles the buffers; nothing may use their bytes afterwards.
func (h *bodies) release() {
	for _, p := range h.bufs {
		bodyFree.Put(p)
	}
	h.bufs = nil
}

func encodeBatch(calls []*call) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, c := range calls {
		if i > 0 {
			b.WriteByte(',')
		}
		params, err := json.Marshal(c.params)
		if err != nil {
			return nil, fmt.Errorf("encoding %s params: %w", c.method, err)
		}
		if c.params == nil {
			params = []byte("[]")
		}
		b.WriteString(`{"jsonrpc":"2.0","id":`)
		b.WriteString(strconv.Itoa(i))
		b.WriteString(`,"method":"`)
		b.WriteString(c.method)
		b.WriteString(`","params":`)
		b.Write(params)
		b.WriteByte('}')
	}
	b.WriteByte(']')
	return b.Bytes(), nil
}

var errMissingAnswer = errors.New("batch response has no answer to this call")

// splitBatch matches the answers of a batch response to its calls by id.
func splitBatch(raw []byte, calls []*call) error {
	for _, c := range calls {
		c.result, c.err = nil, errMissingAnswer
	}
	s := &scanner{b: raw}
	if s.peek() == '{' {
		// One object for a whole batch: the node refused it (rate limit,
		// batch too large). Its error applies to every call.
		_, result, err := readAnswer(s)
		if s.err != nil {
			return fmt.Errorf("reading batch response: %w", s.err)
		}
		if err == nil {
			err = fmt.Errorf("node answered a batch with a single result %.40q", result)
		}
		return err
	}
	if s.expect('[') {
		for first := true; s.next(']', &first); {
			id, result, err := readAnswer(s)
			if s.err != nil {
				break
			}
			if id < 0 || id >= len(calls) {
				continue // not ours; the missing answer shows on the call
			}
			calls[id].result, calls[id].err = result, err
		}
	}
	if s.err == nil && s.peek() != 0 {
		s.fail("data after the batch")
	}
	if s.err != nil {
		return fmt.Errorf("reading batch response (truncated or invalid JSON): %w", s.err)
	}
	return nil
}

// readAnswer reads one JSON-RPC response object: its id (-1 if absent or
// not a small number), raw result, and error.
func readAnswer(s *scanner) (id int, result []byte, err error) {
	id = -1
	if !s.expect('{') {
		return
	}
	hasResult := false
	for first := true; s.next('}', &first); {
		switch string(s.key()) {
		case "id":
			s.ws()
			begin := s.i
			s.skip()
			// Ids are sent as numbers; some proxies echo them as strings.
			v := bytes.Trim(s.b[begin:s.i], `"`)
			if n, perr := strconv.Atoi(string(v)); perr == nil && n >= 0 {
				id = n
			}
		case "result":
			s.ws()
			begin := s.i
			s.skip()
			result, hasResult = s.b[begin:s.i], true
		case "error":
			s.ws()
			begin := s.i
			s.skip()
			err = parseRPCError(s.b[begin:s.i])
		default:
			s.skip()
		}
	}
	switch {
	case err != nil:
		result = nil // an answer with both is an error
	case !hasResult:
		err = rpc.ErrNoResult
	}
	return
}

// rpcError is a JSON-RPC error object; it satisfies go-ethereum's rpc.Error.
type rpcError struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data,omitempty"`
}

func (e *rpcError) Error() string  { return e.Message }
func (e *rpcError) ErrorCode() int { return e.Code }

var _ rpc.Error = (*rpcError)(nil)

func parseRPCError(raw []byte) error {
	e := new(rpcError)
	if err := json.Unmarshal(raw, e); err != nil || (e.Code == 0 && e.Message == "") {
		return fmt.Errorf("node error %.200s", raw)
	}
	return e
}

// shortHTTPError gives go-ethereum's client's HTTP errors the excerpt of
// their body that postBatch's have.
func shortHTTPError(err error) error {
	var he rpc.HTTPError
	if errors.As(err, &he) {
		he.Body = excerpt(http.Header{}, he.Body)
		return he
	}
	return err
}

// excerpt is what an error shows of a failed response's body: the node's
// text when it is short, a line that says what answered when it is not an
// Ethereum node (a web page, a ClickHouse SQL endpoint such as ethidx
// serve's), never a whole HTML page.
func excerpt(h http.Header, body []byte) []byte {
	text := strings.Join(strings.Fields(string(body)), " ")
	switch {
	case h.Get("X-ClickHouse-Exception-Code") != "" || strings.Contains(text, "DB::Exception"):
		return []byte("a ClickHouse SQL endpoint answered (ethidx serve's?), not an Ethereum node's JSON-RPC; give --rpc the node's URL")
	case strings.Contains(h.Get("Content-Type"), "html") || strings.HasPrefix(strings.ToLower(text), "<!doctype") || strings.HasPrefix(strings.ToLower(text), "<html"):
		page := htmlTag.ReplaceAllString(text, " ")
		if m := htmlTitle.FindStringSubmatch(text); m != nil {
			page = m[1]
		}
		return []byte("a web page answered, not an Ethereum node's JSON-RPC: " + clip(strings.Join(strings.Fields(page), " "), 120))
	}
	return []byte(clip(text, 300))
}

var (
	htmlTag   = regexp.MustCompile(`<[^>]*>`)
	htmlTitle = regexp.MustCompile(`(?i)<title>([^<]*)</title>`)
)

// clip shortens s to n bytes (at a rune boundary), marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
