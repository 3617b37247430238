// Package inspect reads a store's account of itself, for the commands
// that judge it rather than write to it: the completed ranges (the
// ledger), the chain the store is bound to, the damage check (detached or
// lost parts, rows short of what the block rows and the ledger say, rows
// of unfinished loads), the parts inventory, what verify audits against
// the node, and status's figures. Its one write is dropping the detached
// parts a repair has made obsolete. Package chsink, which writes, reads
// the ledger and the chain binding through it; inspect imports neither
// chsink nor store.
package inspect

import (
	"context"
	"embed"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/ethidx/ethidx/schema"
)

// The statements live in sql/, one file per statement, each with a header
// comment. The tables they read are schema's.
//
//go:embed sql/*.sql
var sqlFiles embed.FS

// opQuery returns sql/name.sql, which holds a single statement; the names
// are fixed at build time, so a missing one is a defect the tests catch.
func opQuery(name string) string {
	body, err := sqlFiles.ReadFile("sql/" + name + ".sql")
	if err != nil {
		panic(fmt.Sprintf("inspect: no statement file %q", name))
	}
	s := schema.SplitStatements(string(body))
	if len(s) != 1 {
		panic(fmt.Sprintf("inspect: %s.sql has %d statements, want 1", name, len(s)))
	}
	return strings.TrimSpace(s[0])
}

func withParams(ctx context.Context, p map[string]uint64) context.Context {
	params := clickhouse.Parameters{}
	for k, v := range p {
		params[k] = strconv.FormatUint(v, 10)
	}
	return clickhouse.Context(ctx, clickhouse.WithParameters(params))
}

func unix(ts uint64) time.Time { return time.Unix(int64(ts), 0).UTC() }
