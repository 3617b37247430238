package sqlhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ethidx/ethidx/indexer/chdb"
)

// Remote is a Backend that runs statements on the endpoint of the ethidx
// that owns the data directory, with that process's own account and
// PeerHeader: so `ethidx serve` can run beside a follower or a backfill,
// fronting its engine with serve's own address, users and limits. Serve
// authenticates, bounds and parses each request as it would for its own
// engine (decompressing what a client sent); the owner receives plain
// statements and still applies the host guard, keeps them off the share of
// the engine its writes use, and enforces its engine's memory bounds.
//
// The owner is looked up again in dataDir's endpoint file for each
// statement: a follower that restarts (a new port, a new password) is
// found without restarting serve.
type Remote struct {
	owner   chdb.Endpoint // as first found
	dataDir string
	client  *http.Client
}

// NewRemote returns a Remote for the owner's endpoint addr and its own
// account; dataDir is the directory it owns (reported by /ping), whose
// endpoint file names the owner from then on.
func NewRemote(addr, user, password, dataDir string) *Remote {
	t := &http.Transport{
		// Serve's own clients decide compression; the owner answers plain.
		DisableCompression:  true,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     time.Minute,
	}
	return &Remote{owner: chdb.Endpoint{Addr: addr, User: user, Password: password}, dataDir: dataDir,
		client: &http.Client{Transport: t}}
}

// current is the owner now advertised in the data directory, or the one
// first found.
func (r *Remote) current() chdb.Endpoint {
	if ep := chdb.ReadEndpoint(r.dataDir); ep.Addr != "" && ep.User != "" {
		return ep
	}
	return r.owner
}

// DataDir is the owner's data directory.
func (r *Remote) DataDir() string { return r.dataDir }

// Bounds are unknown here: the owner's engine enforces its own, and serve
// applies its configured limits on top.
func (r *Remote) Bounds() chdb.Bounds { return chdb.Bounds{} }

// Query runs sql and returns its whole output.
func (r *Remote) Query(ctx context.Context, sql, format string, params map[string]string) ([]byte, error) {
	var b bytes.Buffer
	_, err := r.Run(ctx, chdb.Statement{SQL: sql, Format: format, Params: params}, &b)
	return b.Bytes(), err
}

// Run runs a query, copying its output to w as the owner sends it.
func (r *Remote) Run(ctx context.Context, st chdb.Statement, w io.Writer) (chdb.Stats, error) {
	q := r.values(st)
	if st.Format != "" {
		q.Set("default_format", st.Format)
	}
	return r.do(ctx, q, strings.NewReader(st.SQL), w)
}

// RunInsert runs an insert whose data, in st.Format, is body.
func (r *Remote) RunInsert(ctx context.Context, st chdb.Statement, body io.Reader) (chdb.Stats, error) {
	q := r.values(st)
	q.Set("query", st.SQL+" FORMAT "+st.Format)
	return r.do(ctx, q, body, io.Discard)
}

func (r *Remote) values(st chdb.Statement) url.Values {
	q := url.Values{}
	for k, v := range st.Settings {
		q.Set(k, v)
	}
	for k, v := range st.Params {
		q.Set("param_"+k, v)
	}
	if st.Database != "" {
		q.Set("database", st.Database)
	}
	if st.ReadOnly > 0 {
		q.Set("readonly", strconv.Itoa(int(min(st.ReadOnly, 2))))
	}
	return q
}

// holdBack is how much of an answer is held until its end, to find the
// in-band exception the owner writes when a statement fails after its
// output began.
const holdBack = 64 << 10

func (r *Remote) do(ctx context.Context, q url.Values, body io.Reader, w io.Writer) (chdb.Stats, error) {
	start := time.Now()
	owner := r.current()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+owner.Addr+"/?"+q.Encode(), body)
	if err != nil {
		return chdb.Stats{}, err
	}
	req.Header.Set("X-ClickHouse-User", owner.User)
	req.Header.Set("X-ClickHouse-Key", owner.Password)
	req.Header.Set(PeerHeader, "1")
	resp, err := r.client.Do(req)
	if err != nil {
		return chdb.Stats{}, chdb.NewError(chdb.CodeUnknownException, "UNKNOWN_EXCEPTION",
			"the ethidx that owns the data directory (%s) did not answer; is it still running? %v", owner.Addr, err)
	}
	defer resp.Body.Close()
	stats := parseSummary(resp.Header.Get("X-ClickHouse-Summary"))
	if resp.StatusCode != http.StatusOK {
		text, _ := io.ReadAll(io.LimitReader(resp.Body, holdBack))
		return stats, remoteError(resp.Header.Get("X-ClickHouse-Exception-Code"), string(text))
	}
	hb := &holdBackWriter{w: w, max: holdBack}
	_, err = io.Copy(hb, resp.Body)
	stats.Elapsed = time.Since(start)
	if err != nil {
		return stats, err
	}
	// The owner's in-band exception: "\r\n__exception__\r\nTAG\r\nTEXT\nLEN TAG\r\n__exception__\r\n".
	if tag := resp.Header.Get("X-ClickHouse-Exception-Tag"); tag != "" {
		marker := []byte("\r\n__exception__\r\n" + tag + "\r\n")
		if i := bytes.LastIndex(hb.buf, marker); i >= 0 {
			if _, err := w.Write(hb.buf[:i]); err != nil {
				return stats, err
			}
			text := hb.buf[i+len(marker):]
			if j := bytes.LastIndexByte(text, '\n'); j >= 0 {
				text = text[:j]
				if k := bytes.LastIndexByte(text, '\n'); k >= 0 {
					text = text[:k]
				}
			}
			return stats, remoteError("", string(text))
		}
	}
	_, err = w.Write(hb.buf)
	return stats, err
}

// holdBackWriter passes everything on but the last max bytes written.
type holdBackWriter struct {
	w   io.Writer
	buf []byte
	max int
}

func (h *holdBackWriter) Write(p []byte) (int, error) {
	h.buf = append(h.buf, p...)
	// Passed on once twice max is held, so the kept tail is moved once
	// per max bytes, not on every write.
	if over := len(h.buf) - h.max; len(h.buf) >= 2*h.max {
		if _, err := h.w.Write(h.buf[:over]); err != nil {
			return 0, err
		}
		h.buf = append(h.buf[:0], h.buf[over:]...)
	}
	return len(p), nil
}

var errNameRe = regexp.MustCompile(`\(([A-Z][A-Z0-9_]+)\)\s*$`)

// remoteError is the owner's error as the engine's: its code (from the
// header, else the text) and name, and its text.
func remoteError(code, text string) error {
	text = strings.TrimSpace(text)
	e := &chdb.Error{Code: chdb.CodeUnknownException, Message: text}
	if c, err := strconv.Atoi(code); err == nil {
		e.Code = c
	} else if _, err := fmt.Sscanf(text, "Code: %d.", &e.Code); err != nil {
		e.Code = chdb.CodeUnknownException
	}
	if m := errNameRe.FindStringSubmatch(text); m != nil {
		e.Name = m[1]
	}
	return e
}

func parseSummary(h string) chdb.Stats {
	var m map[string]string
	if h == "" || json.Unmarshal([]byte(h), &m) != nil {
		return chdb.Stats{}
	}
	n := func(k string) uint64 { v, _ := strconv.ParseUint(m[k], 10, 64); return v }
	return chdb.Stats{RowsRead: n("read_rows"), BytesRead: n("read_bytes"),
		RowsWritten: n("written_rows"), BytesWritten: n("written_bytes")}
}
