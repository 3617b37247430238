package store

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// ownConn is the serving process's connection to its own endpoint: a
// clickhouse-go connection that also takes Native-format inserts, sent
// through the endpoint's in-process transport to the same handler, as the
// same user (it satisfies chsink.NativeInserter, which this package does
// not import: chsink's tests open storage through it).
type ownConn struct {
	driver.Conn
	client   *http.Client
	database string
	user     string
	password string
}

func (c *ownConn) InsertNative(ctx context.Context, query string, settings map[string]string, body []byte) error {
	q := url.Values{}
	q.Set("query", query)
	q.Set("database", c.database)
	for k, v := range settings {
		q.Set(k, v)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://in-process/?"+q.Encode(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("X-ClickHouse-User", c.user)
	req.Header.Set("X-ClickHouse-Key", c.password)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || bytes.Contains(msg, []byte("__exception__")) {
		return &clickhouse.HTTPError{StatusCode: resp.StatusCode, Err: exception(resp, msg)}
	}
	return nil
}

// exception is the engine's error as clickhouse-go reports one: the code
// from the response header, the name from the text's end ("... (NAME)"),
// the message without its "Code: N. DB::Exception: " prefix.
func exception(resp *http.Response, body []byte) *clickhouse.Exception {
	ex := &clickhouse.Exception{Message: string(bytes.TrimSpace(body))}
	if c, err := strconv.ParseInt(resp.Header.Get("X-ClickHouse-Exception-Code"), 10, 32); err == nil {
		ex.Code = int32(c)
	}
	if m := exceptionText.FindStringSubmatch(ex.Message); m != nil {
		ex.Message = m[1]
		if m[2] != "" {
			ex.Name = m[2]
		}
	}
	return ex
}

var exceptionText = regexp.MustCompile(`(?s)^(?:Code: \d+\. )?(?:DB::Exception: )?(.*?)(?: \(([A-Z_]+)\))?(?: \(version [^)]*\))?$`)
