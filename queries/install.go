package queries

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"regexp"
	"strings"
	"sync"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/ethidx/ethidx/queries/daycache"
	"github.com/ethidx/ethidx/schema"
	"github.com/ethidx/ethidx/sqltext"
)

// Install creates, in the connection's current database, the day cache
// table, the internal views the saved queries build on, and one view per
// saved query (plus its all-rows view). Every statement is CREATE OR
// REPLACE or IF NOT EXISTS, so installing on every start keeps the views in
// step with this binary; a start skips the statements while their hash is
// recorded in _views_installed and every view exists. It needs the schema
// migrations applied first.
//
// The views name everything they read with that database (see Qualify), so
// they answer from a connection whose current database is another one:
// `SELECT * FROM eth.daily_activity` with database=default.
func Install(ctx context.Context, db DB) error {
	var cur []struct {
		Name string `ch:"name"`
	}
	if err := db.Select(ctx, &cur, installedSQL("current_database")); err != nil || len(cur) != 1 {
		return fmt.Errorf("installing saved queries: reading the current database: %v", err)
	}
	stmts := InstallStatements(cur[0].Name)
	hash, names := installHash(stmts)
	current, err := viewsCurrent(ctx, db, hash, names)
	if err != nil {
		return err
	}
	if !current {
		for _, stmt := range stmts {
			if err := db.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("installing saved queries: %w\nstatement: %s", err, firstLine(stmt))
			}
		}
		if err := db.Exec(ctx, installedSQL("views_record"), hash); err != nil {
			return fmt.Errorf("installing saved queries: recording them: %w", err)
		}
	}
	return daycache.DropGenesisAlone(ctx, db)
}

// installHash is a hash of Install's statements (which name the database)
// and the names of the views they create.
func installHash(stmts []string) (string, []string) {
	h := sha256.New()
	for _, stmt := range stmts {
		h.Write([]byte(stmt))
		h.Write([]byte{0})
	}
	var names []string
	for _, stmt := range installSQL() { // the same statements, unqualified
		if m := created.FindStringSubmatch(stripLeadingComments(stmt)); m != nil {
			names = append(names, m[1])
		}
	}
	return hex.EncodeToString(h.Sum(nil)), names
}

// viewsCurrent reports whether this binary's views are installed: the
// statements' hash is recorded and every view they create exists, so a
// view dropped by hand is installed again.
func viewsCurrent(ctx context.Context, db DB, hash string, names []string) (bool, error) {
	list := make([]string, len(names))
	for i, n := range names {
		list[i] = sqltext.QuoteString(n)
	}
	qctx := clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{
		"hash": hash, "names": "[" + strings.Join(list, ",") + "]"}))
	var got []struct {
		Recorded uint64 `ch:"recorded"`
		Present  uint64 `ch:"present"`
	}
	if err := db.Select(qctx, &got, installedSQL("views_current")); err != nil || len(got) != 1 {
		return false, fmt.Errorf("installing saved queries: checking the installed views: %v", err)
	}
	return got[0].Recorded > 0 && got[0].Present == uint64(len(names)), nil
}

// InstallStatements lists Install's DDL for database, in order:
// install/*.sql by file name, then the saved queries by name (a query may
// use any view of a query sorted before it). Every statement is passed
// through Qualify.
func InstallStatements(database string) []string {
	stmts := installSQL()
	bodies := map[string]string{}
	for _, stmt := range stmts {
		if name, query, ok := sqltext.ViewQuery(stmt); ok && sqltext.HasParams(query) {
			bodies[name] = query
		}
	}
	var out []string
	for _, stmt := range stmts {
		// Each view is installed with the views it calls written out in
		// it (sqltext.Inline says why); the .sql files keep one home for
		// each view's text.
		inlined, err := sqltext.Inline(stmt, func(name string) (string, bool) {
			body, ok := bodies[name]
			return body, ok
		})
		if err != nil {
			panic(err) // the embedded statements are constant; a test installs them
		}
		out = append(out, Qualify(inlined, database))
	}
	return out
}

// installSQL is Install's DDL as written, with unqualified names.
func installSQL() []string {
	names, err := fs.Glob(files, "install/*.sql")
	if err != nil {
		panic(err) // constant pattern
	}
	var out []string
	for _, name := range names {
		body, err := files.ReadFile(name)
		if err != nil {
			panic(err)
		}
		out = append(out, schema.SplitStatements(string(body))...)
	}
	for _, q := range all {
		out = append(out, "CREATE OR REPLACE VIEW "+q.View+" AS\n"+q.SQL)
		if q.AllView != "" {
			out = append(out, allView(q))
		}
	}
	return out
}

// allView is the plain view of q: q.View over the header's `-- all:`
// arguments, or else over its parameters' defaults.
func allView(q Query) string {
	args := q.AllArgs
	if args == "" {
		var list []string
		for _, p := range q.Params {
			list = append(list, p.Name+" = "+sqltext.QuoteString(p.Default))
		}
		args = strings.Join(list, ", ")
	}
	return fmt.Sprintf("CREATE OR REPLACE VIEW %s AS\nSELECT * FROM %s(%s)", q.AllView, q.View, args)
}

// Objects returns the names of every table and view ethidx creates: the
// schema's and Install's. Qualify qualifies references to these.
func Objects() []string {
	seen := map[string]bool{}
	var out []string
	add := func(stmt string) {
		if m := created.FindStringSubmatch(stripLeadingComments(stmt)); m != nil && !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	for _, m := range schema.Migrations() {
		for _, stmt := range m.Statements {
			add(stmt)
		}
	}
	for _, stmt := range installSQL() {
		add(stmt)
	}
	return out
}

var created = regexp.MustCompile(`^CREATE\s+(?:OR\s+REPLACE\s+)?(?:TABLE|VIEW|MATERIALIZED\s+VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\b`)

// Qualify prefixes every reference in stmt to one of ethidx's tables and
// views (Objects) with database: the name a statement creates and every
// name it reads after FROM or JOIN. ClickHouse qualifies plain table names
// in a view by itself when the view is created, but not a parameterized
// view called as a table function (`FROM _daily(from = ..., to = ...)`),
// which it resolves in the reader's current database at query time; so
// without this, `SELECT * FROM eth.daily_activity` fails unless the
// connection's database is eth. Names already qualified, names of other
// objects and column names are left alone.
func Qualify(stmt, database string) string {
	known := objectSet()
	return sqltext.Qualify(stmt, database, func(name string) bool { return known[name] })
}

var objectSet = sync.OnceValue(func() map[string]bool {
	set := map[string]bool{}
	for _, name := range Objects() {
		set[name] = true
	}
	return set
})

func stripLeadingComments(stmt string) string {
	lines := strings.Split(strings.TrimSpace(stmt), "\n")
	for len(lines) > 0 && strings.HasPrefix(strings.TrimSpace(lines[0]), "--") {
		lines = lines[1:]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// installedSQL returns the single statement of installed/name.sql:
// Install's own reads and writes of what is installed.
func installedSQL(name string) string {
	body, err := files.ReadFile("installed/" + name + ".sql")
	if err != nil {
		panic(fmt.Sprintf("queries: no install statement %q", name)) // a typo in a constant; tests catch it
	}
	stmts := schema.SplitStatements(string(body))
	if len(stmts) != 1 {
		panic(fmt.Sprintf("queries: installed/%s.sql has %d statements, want 1", name, len(stmts)))
	}
	return strings.TrimSpace(stmts[0])
}
