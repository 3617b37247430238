package chsink

import (
	"embed"
	"fmt"
	"strings"

	"github.com/ethidx/ethidx/schema"
)

// The sink's own statements — what it writes besides rows, what it reads
// back as it writes (stored hashes, neighbours), and the rewind and
// rebuild of derived rows — live in sql/, one file per statement list,
// each with a header comment. The tables they touch are schema's.
//
//go:embed sql/*.sql
var sqlFiles embed.FS

// op returns the statements of sql/name.sql; the names are fixed at build
// time, so a missing one is a defect the tests catch.
func op(name string) []string {
	body, err := sqlFiles.ReadFile("sql/" + name + ".sql")
	if err != nil {
		panic(fmt.Sprintf("chsink: no statement file %q", name))
	}
	return schema.SplitStatements(string(body))
}

// opQuery returns sql/name.sql, which holds a single statement.
func opQuery(name string) string {
	s := op(name)
	if len(s) != 1 {
		panic(fmt.Sprintf("chsink: %s.sql has %d statements, want 1", name, len(s)))
	}
	return strings.TrimSpace(s[0])
}
