package store

import (
	"context"
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
	q := url.Values{}
	q.Set("database", h.database)
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
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("copying the result: %w", err)
	}
	return nil
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
