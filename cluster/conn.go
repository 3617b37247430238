package cluster

import (
	"context"
	"fmt"
	"io"
	"maps"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ethidx/ethidx/sqltext"
)

// Statement is one statement as a program issued it and its cluster form.
type Statement struct {
	Original string
	Cluster  []string
	// InsertToken is the deduplication token the insert carries on the
	// cluster ("" for other statements, or an insert without one).
	InsertToken string
	// Settings are the statement's own settings on the cluster (an
	// insert's deduplication), beside the connection's (Form.Settings).
	Settings map[string]any
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

// forms returns the statements to send for query, and the context to
// send them with.
func (c *clusterConn) forms(ctx context.Context, query string) (context.Context, []string, error) {
	out, err := c.form.Rewrite(query)
	if err != nil {
		return ctx, nil, err
	}
	settings := insertSettings(ctx, out)
	if c.shadow != nil {
		c.shadow(Statement{Original: query, Cluster: out, InsertToken: insertToken(ctx), Settings: settings})
		return ctx, []string{query}, nil // one node: sent as it is
	}
	if settings != nil {
		ctx = clickhouse.Context(ctx, clickhouse.WithSettings(withCallerSettings(ctx, settings)))
	}
	return ctx, out, nil
}

// insertSettings are an insert's deduplication settings on the cluster.
// An insert carrying a token (WithInsertToken) is skipped by a replica
// that has one of that name; any other insert is never taken for a retry
// (insert_deduplicate = 0): replicas otherwise skip an insert whose rows
// hash like a recent one's, and ethidx writes the same rows again on
// purpose (a rebuild after its delete, a range marked done again after a
// rewind). Statements other than inserts get none.
func insertSettings(ctx context.Context, out []string) clickhouse.Settings {
	if len(out) != 1 || !sqltext.Begins(out[0], "INSERT", "INTO") {
		return nil
	}
	if tok := insertToken(ctx); tok != "" {
		return clickhouse.Settings{"insert_deduplication_token": tok}
	}
	return clickhouse.Settings{"insert_deduplicate": 0}
}

// one returns the single statement to send for query: a read, or an
// insert, has one cluster form.
func (c *clusterConn) one(ctx context.Context, query string) (context.Context, string, error) {
	ctx, out, err := c.forms(ctx, query)
	if err != nil {
		return ctx, "", err
	}
	if len(out) != 1 {
		return ctx, "", fmt.Errorf("cluster form of %.60q is %d statements; it cannot return rows", query, len(out))
	}
	return ctx, out[0], nil
}

func (c *clusterConn) Exec(ctx context.Context, query string, args ...any) error {
	ctx, out, err := c.forms(ctx, query)
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
	ctx, s, err := c.one(ctx, query)
	if err != nil {
		return err
	}
	return c.Conn.Select(ctx, dest, s, args...)
}

func (c *clusterConn) Query(ctx context.Context, query string, args ...any) (driver.Rows, error) {
	ctx, s, err := c.one(ctx, query)
	if err != nil {
		return nil, err
	}
	return c.Conn.Query(ctx, s, args...)
}

func (c *clusterConn) QueryRow(ctx context.Context, query string, args ...any) driver.Row {
	ctx, s, err := c.one(ctx, query)
	if err != nil {
		return errRow{err}
	}
	return c.Conn.QueryRow(ctx, s, args...)
}

func (c *clusterConn) QueryFormat(ctx context.Context, format, query string, args ...any) (io.ReadCloser, error) {
	ctx, s, err := c.one(ctx, query)
	if err != nil {
		return nil, err
	}
	return c.Conn.QueryFormat(ctx, format, s, args...)
}

func (c *clusterConn) PrepareBatch(ctx context.Context, query string, opts ...driver.PrepareBatchOption) (driver.Batch, error) {
	ctx, s, err := c.one(ctx, query)
	if err != nil {
		return nil, err
	}
	return c.Conn.PrepareBatch(ctx, s, opts...)
}

func (c *clusterConn) InsertFormat(ctx context.Context, format, query string, data io.Reader) error {
	ctx, s, err := c.one(ctx, query)
	if err != nil {
		return err
	}
	return c.Conn.InsertFormat(ctx, format, s, data)
}

func (c *clusterConn) AsyncInsert(ctx context.Context, query string, wait bool, args ...any) error {
	ctx, s, err := c.one(ctx, query)
	if err != nil {
		return err
	}
	return c.Conn.AsyncInsert(ctx, s, wait, args...)
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

type settingsKey struct{}

// WithSettings sends the statements made with ctx with settings s, on one
// node as on a cluster: a cluster connection adds its own settings to them
// rather than replacing them, as a later clickhouse.Context would.
func WithSettings(ctx context.Context, s clickhouse.Settings) context.Context {
	s = maps.Clone(s)
	ctx = context.WithValue(ctx, settingsKey{}, s)
	return clickhouse.Context(ctx, clickhouse.WithSettings(s))
}

// withCallerSettings returns own with the settings of WithSettings added
// (own wins where both set one).
func withCallerSettings(ctx context.Context, own clickhouse.Settings) clickhouse.Settings {
	caller, _ := ctx.Value(settingsKey{}).(clickhouse.Settings)
	if len(caller) == 0 {
		return own
	}
	out := maps.Clone(caller)
	maps.Copy(out, own)
	return out
}

type errRow struct{ err error }

func (r errRow) Err() error           { return r.err }
func (r errRow) Scan(...any) error    { return r.err }
func (r errRow) ScanStruct(any) error { return r.err }
