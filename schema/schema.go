// Package schema holds ethidx's ClickHouse DDL as versioned, embedded .sql
// files and applies them. Each file is one migration, named
// NNNN_title.sql; its statements are separated by a semicolon at the end of
// a line. Every statement is safe to run twice (IF NOT EXISTS / OR REPLACE),
// so a migration interrupted half way is simply applied again.
package schema

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

//go:embed *.sql
var files embed.FS

// The migrator's own statements (its bookkeeping table).
//
//go:embed migrator/*.sql
var migratorFiles embed.FS

func migratorSQL(name string) string {
	body, err := migratorFiles.ReadFile("migrator/" + name + ".sql")
	if err != nil {
		panic(fmt.Sprintf("schema: no migrator statement %q", name))
	}
	stmts := SplitStatements(string(body))
	if len(stmts) != 1 {
		panic(fmt.Sprintf("schema: migrator/%s.sql has %d statements, want 1", name, len(stmts)))
	}
	return stmts[0]
}

// Migration is one versioned DDL file.
type Migration struct {
	Version    int
	Name       string
	Statements []string
}

// Migrations returns every embedded migration in version order.
func Migrations() []Migration {
	names, err := fs.Glob(files, "*.sql")
	if err != nil {
		panic(err) // the pattern is constant
	}
	var out []Migration
	for _, name := range names {
		body, err := files.ReadFile(name)
		if err != nil {
			panic(err) // embedded files are always readable
		}
		m, err := parse(name, string(body))
		if err != nil {
			panic(err) // a broken embedded file is a build defect; TestMigrationsParse catches it
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out
}

func parse(name, body string) (Migration, error) {
	base := strings.TrimSuffix(path.Base(name), ".sql")
	num, title, ok := strings.Cut(base, "_")
	if !ok {
		return Migration{}, fmt.Errorf("migration %s: want NNNN_title.sql", name)
	}
	v, err := strconv.Atoi(num)
	if err != nil {
		return Migration{}, fmt.Errorf("migration %s: version: %w", name, err)
	}
	m := Migration{Version: v, Name: title, Statements: SplitStatements(body)}
	if len(m.Statements) == 0 {
		return Migration{}, fmt.Errorf("migration %s: no statements", name)
	}
	return m, nil
}

// SplitStatements cuts SQL text into statements at semicolons that end a
// line, dropping comment-only lines. Our DDL never puts a semicolon at the
// end of a line inside a string, which keeps this simple and predictable.
func SplitStatements(body string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(body, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "--") && cur.Len() == 0 {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			if s := strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"); s != "" {
				out = append(out, s)
			}
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// DB is what the migrator needs from a ClickHouse connection;
// clickhouse-go's driver.Conn satisfies it.
type DB interface {
	Exec(ctx context.Context, query string, args ...any) error
	Select(ctx context.Context, dest any, query string, args ...any) error
}

// Migrate applies the migrations not yet recorded in schema_migrations, in
// order, to the connection's current database, and returns how many it
// applied.
func Migrate(ctx context.Context, db DB) (int, error) {
	if err := db.Exec(ctx, migratorSQL("create")); err != nil {
		return 0, fmt.Errorf("creating schema_migrations: %w", err)
	}
	var applied []struct {
		Version uint32 `ch:"version"`
	}
	if err := db.Select(ctx, &applied, migratorSQL("applied")); err != nil {
		return 0, fmt.Errorf("reading schema_migrations: %w", err)
	}
	done := map[int]bool{}
	for _, v := range applied {
		done[int(v.Version)] = true
	}
	n := 0
	for _, m := range Migrations() {
		if done[m.Version] {
			continue
		}
		for i, stmt := range m.Statements {
			if err := db.Exec(ctx, stmt); err != nil {
				return n, fmt.Errorf("migration %04d_%s statement %d: %w", m.Version, m.Name, i+1, err)
			}
		}
		if err := db.Exec(ctx, migratorSQL("record"), uint32(m.Version), m.Name); err != nil {
			return n, fmt.Errorf("recording migration %04d: %w", m.Version, err)
		}
		n++
	}
	// Views are defined again by later migrations (0005 and 0006 replace
	// 0003's). Processes migrating a new database at once, or one killed
	// between the two, could leave an older definition last although the
	// newer migration is recorded; so every run applies the newest
	// definition of every view once more. It is cheap (a few CREATE OR
	// REPLACE VIEW) and changes nothing when they already are the newest.
	for _, stmt := range NewestViews() {
		if err := db.Exec(ctx, stmt); err != nil {
			return n, fmt.Errorf("applying the newest view definitions: %w", err)
		}
	}
	return n, nil
}

var viewName = regexp.MustCompile(`(?is)^\s*(?:--[^\n]*\n\s*)*CREATE\s+OR\s+REPLACE\s+VIEW\s+(\w+)`)

// NewestViews returns, for every view the migrations create, its newest
// definition, in the order the views first appear.
func NewestViews() []string {
	newest := map[string]string{}
	var order []string
	for _, m := range Migrations() {
		for _, stmt := range m.Statements {
			if v := viewName.FindStringSubmatch(stmt); v != nil {
				if _, ok := newest[v[1]]; !ok {
					order = append(order, v[1])
				}
				newest[v[1]] = stmt
			}
		}
	}
	out := make([]string, 0, len(order))
	for _, v := range order {
		out = append(out, newest[v])
	}
	return out
}

// Statements lists every statement of the schema in the order Migrate
// applies them to a new database: the migrator's own table, then each
// migration's statements.
func Statements() []string {
	out := []string{migratorSQL("create")}
	for _, m := range Migrations() {
		out = append(out, m.Statements...)
	}
	return out
}

// Print returns the whole DDL as one script, each migration under a
// comment naming it, its statements passed through rewrite (the cluster
// form, or nil for the statements as they are).
func Print(rewrite func(string) ([]string, error)) (string, error) {
	var b strings.Builder
	emit := func(stmt string) error {
		out := []string{stmt}
		if rewrite != nil {
			var err error
			if out, err = rewrite(stmt); err != nil {
				return err
			}
		}
		for _, s := range out {
			b.WriteString(strings.TrimSpace(s))
			b.WriteString(";\n\n")
		}
		return nil
	}
	b.WriteString("-- the migrator's record of applied migrations\n")
	if err := emit(migratorSQL("create")); err != nil {
		return "", err
	}
	for _, m := range Migrations() {
		fmt.Fprintf(&b, "-- migration %04d_%s\n", m.Version, m.Name)
		for _, stmt := range m.Statements {
			if err := emit(stmt); err != nil {
				return "", err
			}
		}
	}
	return b.String(), nil
}
