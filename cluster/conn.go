package cluster

import (
	"context"
	"fmt"
	"io"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Statement is one statement as a program issued it and its cluster form.
type Statement struct {
	Original string
	Cluster  []string
	// InsertToken is the deduplication token the insert carries on the
	// cluster ("" for other statements, or an insert without one).
	InsertToken string
}

// Conn returns conn with every statement sent in its cluster form: the
// one place the cluster variant of every command is made. Inserts
// carrying a token (WithInsertToken) are deduplicated by it.
func Conn(conn driver.Conn, f *Form) driver.Conn { return &clusterConn{Conn: conn, form: f} }

// Shadow returns conn with every statement sent as it is, handing each
// one with its cluster form to see first: for checking, on one node, what
// each command would send to a cluster (no cluster runs in the tests).
func Shadow(conn driver.Conn, f *Form, see func(Statement)) driver.Conn {
	return &clusterConn{Conn: conn, form: f, shadow: see}
}

type clusterConn struct {
	driver.Conn
	form   *Form
	shadow func(Statement)
}

// forms returns the statements to send for query.
func (c *clusterConn) forms(ctx context.Context, query string) ([]string, error) {
	out, err := c.form.Rewrite(query)
	if err != nil {
		return nil, err
	}
	if c.shadow != nil {
		c.shadow(Statement{Original: query, Cluster: out, InsertToken: insertToken(ctx)})
		return []string{query}, nil
	}
	return out, nil
}

// one returns the single statement to send for query: a read, or an
// insert, has one cluster form.
func (c *clusterConn) one(ctx context.Context, query string) (string, error) {
	out, err := c.forms(ctx, query)
	if err != nil {
		return "", err
	}
	if len(out) != 1 {
		return "", fmt.Errorf("cluster form of %.60q is %d statements; it cannot return rows", query, len(out))
	}
	return out[0], nil
}

func (c *clusterConn) Exec(ctx context.Context, query string, args ...any) error {
	out, err := c.forms(ctx, query)
	if err != nil {
		return err
	}
	for _, s := range out {
		if err := c.Conn.Exec(ctx, s, args...); err != nil {
			return err
		}
	}
	return nil
}

func (c *clusterConn) Select(ctx context.Context, dest any, query string, args ...any) error {
	s, err := c.one(ctx, query)
	if err != nil {
		return err
	}
	return c.Conn.Select(ctx, dest, s, args...)
}

func (c *clusterConn) Query(ctx context.Context, query string, args ...any) (driver.Rows, error) {
	s, err := c.one(ctx, query)
	if err != nil {
		return nil, err
	}
	return c.Conn.Query(ctx, s, args...)
}

func (c *clusterConn) QueryRow(ctx context.Context, query string, args ...any) driver.Row {
	s, err := c.one(ctx, query)
	if err != nil {
		return errRow{err}
	}
	return c.Conn.QueryRow(ctx, s, args...)
}

func (c *clusterConn) QueryFormat(ctx context.Context, format, query string, args ...any) (io.ReadCloser, error) {
	s, err := c.one(ctx, query)
	if err != nil {
		return nil, err
	}
	return c.Conn.QueryFormat(ctx, format, s, args...)
}

func (c *clusterConn) PrepareBatch(ctx context.Context, query string, opts ...driver.PrepareBatchOption) (driver.Batch, error) {
	s, err := c.one(ctx, query)
	if err != nil {
		return nil, err
	}
	return c.Conn.PrepareBatch(c.dedup(ctx), s, opts...)
}

func (c *clusterConn) InsertFormat(ctx context.Context, format, query string, data io.Reader) error {
	s, err := c.one(ctx, query)
	if err != nil {
		return err
	}
	return c.Conn.InsertFormat(c.dedup(ctx), format, s, data)
}

func (c *clusterConn) AsyncInsert(ctx context.Context, query string, wait bool, args ...any) error {
	s, err := c.one(ctx, query)
	if err != nil {
		return err
	}
	return c.Conn.AsyncInsert(c.dedup(ctx), s, wait, args...)
}

// dedup turns the insert's token into the server's deduplication token.
// (Shadow sends statements to one node as they are: no token there.)
func (c *clusterConn) dedup(ctx context.Context) context.Context {
	tok := insertToken(ctx)
	if tok == "" || c.shadow != nil {
		return ctx
	}
	return clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"insert_deduplication_token": tok}))
}

type tokenKey struct{}

// WithInsertToken names the insert made with ctx: a replica that already
// holds an insert of that name (the same rows, sent again after an error
// that hid whether the first one landed) skips it. The writer derives the
// token from what it inserts and from a generation that changes whenever
// it deletes rows, so that rows deleted and then written again are never
// taken for a retry. Only the cluster form uses it: one node's tables
// replace re-written rows by key anyway.
func WithInsertToken(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, tokenKey{}, token)
}

func insertToken(ctx context.Context) string {
	s, _ := ctx.Value(tokenKey{}).(string)
	return s
}

type errRow struct{ err error }

func (r errRow) Err() error           { return r.err }
func (r errRow) Scan(...any) error    { return r.err }
func (r errRow) ScanStruct(any) error { return r.err }
