package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// RawQuerier runs a statement over ClickHouse's HTTP interface and copies
// the server's answer as it comes, in whatever format the statement's
// FORMAT clause names (Vertical, CSV, Parquet, ...): the rows are not
// decoded, so every format the server writes reaches the caller intact.
type RawQuerier interface {
	RawQuery(ctx context.Context, sql string, w io.Writer) error
	// RawQueryWith is RawQuery with query parameters (bound server-side
	// to the statement's {name:Type}) and settings for this statement.
	RawQueryWith(ctx context.Context, sql string, params, settings map[string]string, w io.Writer) error
}

// httpRaw is a RawQuerier over an HTTP endpoint: this process's own (in
// process), another ethidx's, or a ClickHouse server's HTTP port.
type httpRaw struct {
	client         *http.Client
	base           string // scheme://host:port/
	database       string
	user, password string
}

func (h *httpRaw) RawQuery(ctx context.Context, sql string, w io.Writer) error {
	return h.RawQueryWith(ctx, sql, nil, nil, w)
}

func (h *httpRaw) RawQueryWith(ctx context.Context, sql string, params, settings map[string]string, w io.Writer) error {
	q := url.Values{}
	q.Set("database", h.database)
	for k, v := range params {
		q.Set("param_"+k, v)
	}
	for k, v := range settings {
		q.Set(k, v)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.base+"?"+q.Encode(), strings.NewReader(sql))
	if err != nil {
		return err
	}
	req.Header.Set("X-ClickHouse-User", h.user)
	req.Header.Set("X-ClickHouse-Key", h.password)
	resp, err := h.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if err != nil {
			return err
		}
		return &clickhouse.HTTPError{StatusCode: resp.StatusCode, Err: exception(resp, msg)}
	}
	// An error after the output began comes in-band, at its end, between
	// two "__exception__" lines carrying the response's exception tag: the
	// caller has the bytes, but must not take them for a whole result.
	tail := &tailWriter{max: 64 << 10}
	if _, err := io.Copy(io.MultiWriter(w, tail), resp.Body); err != nil {
		return fmt.Errorf("copying the result: %w", err)
	}
	marker := []byte("__exception__")
	if tag := resp.Header.Get("X-ClickHouse-Exception-Tag"); tag != "" {
		marker = []byte("__exception__\r\n" + tag)
	}
	if i := bytes.Index(tail.buf, marker); i >= 0 {
		return errors.New("the statement failed after its output began: " + string(bytes.TrimSpace(tail.buf[i:])))
	}
	return nil
}

// tailWriter keeps the last max bytes written.
type tailWriter struct {
	buf []byte
	max int
}

func (t *tailWriter) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) > t.max {
		p = p[len(p)-t.max:]
	}
	if over := len(t.buf) + len(p) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

// rawFor returns the RawQuerier for an HTTP client's options, or nil for
// the native protocol, which carries no formatted output.
func rawFor(o *clickhouse.Options, database string) RawQuerier {
	if o.Protocol != clickhouse.HTTP || len(o.Addr) == 0 {
		return nil
	}
	scheme := "http"
	t := &http.Transport{Proxy: http.ProxyFromEnvironment, ResponseHeaderTimeout: o.ReadTimeout}
	if t.ResponseHeaderTimeout == 0 {
		t.ResponseHeaderTimeout = 300 * time.Second // clickhouse-go's default
	}
	if o.TLS != nil {
		scheme = "https"
		t.TLSClientConfig = o.TLS.Clone()
	}
	var rt http.RoundTripper = t
	if o.TransportFunc != nil {
		if r, err := o.TransportFunc(t); err == nil {
			rt = r
		}
	}
	return &httpRaw{client: &http.Client{Transport: rt}, base: scheme + "://" + o.Addr[0] + "/",
		database: database, user: o.Auth.Username, password: o.Auth.Password}
}
