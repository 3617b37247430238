package chdb

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strings"

	"github.com/ethidx/ethidx/sqltext"
)

// The host guard keeps statements from outside the process (Statement.Untrusted:
// every statement of the SQL endpoint, whoever the user) inside the
// database: no file, network, process argument, setting, name or
// environment of the host is reachable from SQL.
//
// Why ethidx checks statements itself: the engine runs as clickhouse-local,
// where the server's protections do not apply. file() reads any path the
// process can (user_files_path is not enforced in local mode), the scalar
// file() even under readonly=1, and there is one built-in user holding
// every grant (SOURCES, INTROSPECTION, SYSTEM), which the engine does not
// let us revoke. What the engine does enforce is still used: read-only
// users run with readonly=1, which refuses writes, SET, SETTINGS and every
// table function. The guard adds what readonly does not cover, and applies
// to admin users of the endpoint too. Where the kernel offers it, the
// process is also confined to its own files (package confine), so a
// function the guard wrongly allowed still finds nothing to read.
//
// The guard allows rather than forbids. The checks run on the lexer's facts
// (sqltext.Inspect), which refuses text it cannot be sure to split as the
// engine does, and each kind of thing is checked against a list of what is
// known to be safe:
//   - statement kinds (allowedStatements);
//   - every name the engine can call — functions, aggregate functions,
//     table functions, table engines, database engines, dictionary sources
//     — against catalogue.tsv, which classifies the engine's catalogue: a
//     name the running engine has and the file does not allow is refused,
//     so a function added by a later engine is refused until classified.
//     Words the engine cannot call (a table, column or alias followed by
//     a parenthesis) do not matter;
//   - system tables (systemTables), read through views that hide the
//     host's paths (sql/system_views.sql);
//   - SHOW forms (showAllowed).
type hostGuard struct {
	callable    map[string]bool // lower-case names the running engine can call
	allowed     map[string]bool // lower-case names catalogue.tsv allows
	aggregates  map[string]bool // the allowed ones that are aggregate functions
	combinators []string        // lower-case aggregate combinator suffixes
	why         map[string]string
}

// SandboxDatabase is the empty database an endpoint statement runs in when
// it names none: in the embedded engine (clickhouse-local) database
// default is an Overlay over a Filesystem database, where any table name
// is a file path (`SELECT * FROM users` reads ./users), so endpoint users
// never use default.
const SandboxDatabase = "_ethidx_sandbox"

// systemViews is the database of the views through which endpoint users
// read system tables (sql/system_views.sql).
const systemViews = "_ethidx_system"

// ReservedDatabase reports whether name is a database ethidx cannot keep
// its tables in: the engine's own (system, default, INFORMATION_SCHEMA)
// and those ethidx keeps for its endpoint (any _ethidx_ name).
func ReservedDatabase(name string) bool {
	n := strings.ToLower(name)
	return n == "system" || n == "default" || n == "information_schema" || strings.HasPrefix(n, "_ethidx_")
}

// systemTables are the system tables an endpoint user may read: catalogue
// metadata that BI tools browse (databases, tables, columns, functions,
// settings of the query), and the constant tables; each has a view in
// sql/system_views.sql. Everything else in system (processes and query
// logs, server settings and paths, disks, users, stack traces, symbols,
// errors) stays out.
var systemTables = map[string]bool{
	"one": true, "numbers": true, "numbers_mt": true, "zeros": true, "zeros_mt": true,
	"databases": true, "tables": true, "columns": true, "functions": true, "table_functions": true,
	"table_engines": true, "data_type_families": true, "aggregate_function_combinators": true,
	"formats": true, "settings": true, "time_zones": true, "collations": true, "keywords": true,
	"contributors": true, "data_skipping_indices": true, "dictionaries": true,
}

// allowedStatements are the statement kinds (first word) the endpoint
// runs: queries, DDL and writes within the database, and the session's
// USE and SET. Not: SYSTEM, KILL (it lists other users' statements),
// BACKUP/RESTORE, ATTACH/DETACH, GRANT/REVOKE, transactions, and whatever
// a later engine adds.
var allowedStatements = map[string]bool{
	"select": true, "with": true, "insert": true, "create": true, "alter": true, "drop": true,
	"show": true, "describe": true, "desc": true, "explain": true, "exists": true, "use": true,
	"set": true, "optimize": true, "truncate": true, "rename": true, "delete": true, "update": true,
	"check": true, "exchange": true,
}

// statementWords start statements the endpoint refuses (the rest of the
// words that start no allowed statement are answered as syntax errors:
// SELEC is a typo, not an attempt).
var statementWords = map[string]bool{
	"system": true, "kill": true, "backup": true, "restore": true, "attach": true, "detach": true,
	"grant": true, "revoke": true, "begin": true, "commit": true, "rollback": true, "watch": true,
	"move": true, "undrop": true, "execute": true, "prepare": true, "deallocate": true, "copy": true,
	"start": true, "set_role": true, "parallel": true,
}

// accessWords follow CREATE, ALTER or DROP in statements about access
// control and server resources, which are not the endpoint's business.
var accessWords = map[string]bool{
	"user": true, "role": true, "quota": true, "policy": true, "row": true, "profile": true,
	"settings": true, "named": true, "workload": true, "resource": true, "masking": true,
}

// refusedWords are words that, anywhere in a statement, name a way out.
var refusedWords = map[string]bool{"infile": true, "outfile": true, "processlist": true}

// showAllowed are the SHOW statements that list the catalogue.
var showAllowed = map[string]bool{
	"tables": true, "databases": true, "columns": true, "fields": true, "create": true,
	"full": true, "extended": true, "index": true, "indexes": true, "indices": true, "keys": true,
	"engines": true, "functions": true, "setting": true, "settings": true, "changed": true,
	"dictionaries": true, "temporary": true,
}

// showRefused are words after SHOW (or SHOW CREATE/FULL) about access
// control, running queries or the server.
var showRefused = map[string]bool{
	"user": true, "users": true, "role": true, "roles": true, "quota": true, "quotas": true,
	"policy": true, "policies": true, "row": true, "profile": true, "profiles": true,
	"grants": true, "access": true, "privileges": true, "processlist": true, "caches": true,
	"disks": true, "clusters": true, "cluster": true, "merges": true, "masking": true,
}

// settingRefused reports whether a setting names a file, path, URL,
// schema or template file, or secrets: the settings through which a
// statement could read or write outside the database.
func settingRefused(name string) bool {
	n := strings.ToLower(name)
	if _, ok := untrustedSettings[n]; ok {
		return true // set by the guard (below); a statement may not undo it
	}
	for _, s := range []string{"schema", "template", "url", "path", "file", "dir", "secret", "certificate", "password", "credential"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

//go:embed catalogue.tsv
var catalogueTSV string

// classification is catalogue.tsv: verdict and reason per (kind, name).
type classification struct {
	kind, name, verdict, why string
}

// parseCatalogue reads catalogue.tsv: the engine version it classifies
// (its "# engine: VERSION" line) and its lines.
func parseCatalogue(s string) (version string, out []classification, err error) {
	for i, line := range strings.Split(s, "\n") {
		if v, ok := strings.CutPrefix(line, "# engine: "); ok {
			version = strings.TrimSpace(v)
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 3 || len(f) > 4 || f[2] != "allow" && f[2] != "refuse" {
			return "", nil, fmt.Errorf("catalogue.tsv line %d: want kind, name, allow|refuse[, why]: %q", i+1, line)
		}
		c := classification{kind: f[0], name: f[1], verdict: f[2]}
		if len(f) == 4 {
			c.why = f[3]
		}
		out = append(out, c)
	}
	if version == "" {
		return "", nil, errors.New("catalogue.tsv names no engine version")
	}
	return version, out, nil
}

// newHostGuard builds the guard from catalogue.tsv's classification and
// the running engine's catalogue (kind, name pairs as sql/catalogue.sql
// reads them).
func newHostGuard(cls []classification, engine [][2]string) *hostGuard {
	g := &hostGuard{callable: map[string]bool{}, allowed: map[string]bool{}, aggregates: map[string]bool{}, why: map[string]string{}}
	refused := map[string]bool{}
	for _, c := range cls {
		n := strings.ToLower(c.name)
		if c.kind == "combinator" {
			continue // a suffix, not a name (and merge, array, map are names too)
		}
		if c.verdict == "allow" {
			g.allowed[n] = true
			if c.kind == "aggregate" {
				g.aggregates[n] = true
			}
			continue
		}
		refused[n] = true
		g.why[n] = c.why
		if c.kind == "syntax" {
			g.callable[n] = true // a keyword that reaches the host, e.g. disk(...)
		}
	}
	// A name refused under one kind is refused under all: the lexer cannot
	// tell a table function from a function of the same name.
	for n := range refused {
		delete(g.allowed, n)
		delete(g.aggregates, n)
	}
	for _, kn := range engine {
		n := strings.ToLower(kn[1])
		if kn[0] == "combinator" {
			g.combinators = append(g.combinators, n)
			continue
		}
		g.callable[n] = true
	}
	return g
}

// callAllowed reports whether name(...) may be called, and why not.
func (g *hostGuard) callAllowed(name string) (bool, string) {
	if g.allowed[name] {
		return true, ""
	}
	if g.callable[name] {
		why := g.why[name]
		if why == "" {
			why = "not classified in catalogue.tsv"
		}
		return false, why
	}
	// An aggregate function with combinators appended (sumIf,
	// uniqExactStateIf) is allowed if the function is; a name that only
	// ends like a combinator after a name the engine can call is not.
	for _, base := range g.combinatorBases(name, 0) {
		if g.aggregates[base] {
			return true, ""
		}
		if g.callable[base] {
			return false, "not an allowed aggregate function with combinators"
		}
	}
	// Not a name the engine can call: a table, column or alias before a
	// parenthesis (INSERT INTO t (a), CREATE TABLE t (...)), or a type.
	return true, ""
}

// combinatorBases returns the names left when combinator suffixes are
// taken off name, one or more, shortest removal first.
func (g *hostGuard) combinatorBases(name string, depth int) []string {
	if depth > 8 {
		return nil
	}
	var out []string
	for _, c := range g.combinators {
		if base, ok := strings.CutSuffix(name, c); ok && base != "" {
			out = append(out, base)
			out = append(out, g.combinatorBases(base, depth+1)...)
		}
	}
	return out
}

//go:embed sql/catalogue.sql
var catalogueSQL string

//go:embed sql/system_views.sql
var systemViewsSQL string

// loadHostGuard builds the guard and creates the views of the system
// tables endpoint users may read. The engine's catalogue is catalogue.tsv's
// own names when the engine is the version the file classifies (as
// TestCatalogueClassified checks; reading system.functions costs a tenth
// of a second), and is read from the engine otherwise.
func (e *Engine) loadHostGuard(c *conn) error {
	version, cls, err := parseCatalogue(catalogueTSV)
	if err != nil {
		return err
	}
	var names [][2]string
	if e.engineVersion(c) == version {
		for _, cl := range cls {
			names = append(names, [2]string{cl.kind, cl.name})
		}
	} else {
		if names, err = e.readCatalogue(c); err != nil {
			return err
		}
		e.log.Debug("engine is not the version catalogue.tsv classifies: its catalogue was read", "classified", version)
	}
	e.guard = newHostGuard(cls, names)
	for _, st := range splitStatements(systemViewsSQL) {
		if err := e.exec(c, st); err != nil {
			return fmt.Errorf("creating the endpoint's system views: %w", err)
		}
	}
	return nil
}

// engineVersion is the engine's version(), or "" if it cannot say.
func (e *Engine) engineVersion(c *conn) string {
	var out strings.Builder
	var err error
	c.do(func() { _, err = e.query(c, Statement{SQL: "SELECT version()", Format: "TabSeparated"}, &out) })
	if err != nil {
		return ""
	}
	return strings.TrimSpace(out.String())
}

// readCatalogue returns the engine's callable names as (kind, name).
func (e *Engine) readCatalogue(c *conn) ([][2]string, error) {
	var out strings.Builder
	var err error
	c.do(func() {
		_, err = e.query(c, Statement{SQL: splitStatements(catalogueSQL)[0], Format: "TabSeparated"}, &out)
	})
	if err != nil {
		return nil, fmt.Errorf("reading the engine's catalogue: %w", err)
	}
	var names [][2]string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		k, n, ok := strings.Cut(line, "\t")
		if ok {
			names = append(names, [2]string{k, n})
		}
	}
	if len(names) < 100 {
		return nil, fmt.Errorf("reading the engine's catalogue: unexpected catalogue (%d names)", len(names))
	}
	return names, nil
}

// splitStatements splits an embedded .sql file at the semicolons that end
// its lines, dropping comment lines.
func splitStatements(s string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteString("\n")
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if t := strings.TrimSpace(cur.String()); t != "" {
		out = append(out, t)
	}
	return out
}

// refuse builds the guard's error: ClickHouse's ACCESS_DENIED, which
// clients report as a refusal, not a fault.
func refuse(format string, args ...any) error {
	return NewError(CodeAccessDenied, "ACCESS_DENIED", "%s: not allowed over the SQL endpoint", fmt.Sprintf(format, args...))
}

// check refuses st if it could reach the host.
func (g *hostGuard) check(st Statement) error {
	if db := strings.ToLower(st.Database); db == "system" || strings.HasPrefix(db, "_ethidx_") && db != SandboxDatabase {
		return refuse("database %s", st.Database)
	}
	for k := range st.Settings {
		if settingRefused(k) {
			return refuse("setting %s", k)
		}
	}
	f, err := sqltext.Inspect(st.SQL)
	if err != nil {
		if errors.Is(err, sqltext.ErrAmbiguous) {
			return refuse("statement text (%v)", err)
		}
		return err
	}
	if err := g.checkStatement(f); err != nil {
		return err
	}
	if err := g.checkFacts(f); err != nil {
		return err
	}
	for name, typ := range f.Placeholders {
		if typ != "identifier" {
			continue
		}
		// An Identifier parameter is spliced in as a name, after the guard
		// has rewritten the text: check it as one, and let it name no
		// reserved database at all.
		v, ok := st.Params[name]
		if !ok {
			continue
		}
		pf, err := sqltext.Inspect(v)
		if err != nil {
			return refuse("parameter %s (%v)", name, err)
		}
		for _, w := range pf.Names {
			if ReservedDatabase(w) {
				return refuse("parameter %s naming database %s", name, w)
			}
		}
		if len(pf.Calls) > 0 || len(pf.Qualified) > 1 {
			return refuse("parameter %s", name)
		}
		if err := g.checkFacts(pf); err != nil {
			return err
		}
	}
	return nil
}

// checkStatement checks the statement's kind.
func (g *hostGuard) checkStatement(f sqltext.Facts) error {
	if len(f.Words) == 0 {
		return nil // blank or only punctuation: the engine's parser says no
	}
	first := f.Words[0]
	if !allowedStatements[first] {
		if !statementWords[first] {
			// Most likely a typo (SELEC): say so as the engine would.
			return NewError(CodeSyntaxError, "SYNTAX_ERROR", "Syntax error: %s starts no statement the SQL endpoint runs", strings.ToUpper(first))
		}
		return refuse("%s statement", strings.ToUpper(first))
	}
	switch first {
	case "create", "alter", "drop":
		for _, w := range f.Words[1:min(len(f.Words), 5)] {
			if accessWords[w] {
				return refuse("%s %s", strings.ToUpper(first), strings.ToUpper(w))
			}
		}
	case "use":
		if len(f.Names) > 1 && ReservedDatabase(f.Names[1]) {
			return refuse("database %s", f.Names[1])
		}
	case "show":
		if len(f.Words) < 2 || !showAllowed[f.Words[1]] {
			return refuse("this SHOW statement")
		}
		for _, w := range f.Words[1:min(len(f.Words), 4)] {
			if showRefused[w] {
				return refuse("SHOW %s", strings.ToUpper(w))
			}
		}
	}
	return nil
}

// checkFacts checks the names a statement (or an Identifier parameter)
// uses.
func (g *hostGuard) checkFacts(f sqltext.Facts) error {
	for _, w := range f.Words {
		if refusedWords[w] {
			return refuse("%s", strings.ToUpper(w))
		}
	}
	for _, c := range append(f.Calls, f.Engines...) {
		if ok, why := g.callAllowed(c); !ok {
			return refuse("%s (%s)", c, why)
		}
	}
	for _, q := range f.Qualified {
		if q[0] == "system" && !systemTables[q[1]] {
			return refuse("table system.%s", q[1])
		}
		if q[0] == "default" {
			return refuse("database default (it maps table names to files)")
		}
	}
	for _, n := range f.Names {
		if strings.HasPrefix(n, "_ethidx_") && n != SandboxDatabase {
			return refuse("name %s (kept for the endpoint)", n)
		}
	}
	for _, n := range f.Quoted {
		if strings.ContainsRune(n, '/') {
			return refuse("a name holding a path (%q)", n)
		}
	}
	for _, s := range f.Settings {
		if settingRefused(s) {
			return refuse("setting %s", s)
		}
	}
	return nil
}

// untrustedSettings keep Values data from being evaluated, in an endpoint
// INSERT's body or a format() table function's string: the Values format
// otherwise runs any expression in a row, file() included.
var untrustedSettings = map[string]string{
	"input_format_values_interpret_expressions":           "0",
	"input_format_values_deduce_templates_of_expressions": "0",
}

// guardUntrusted checks st when it comes from outside the process, sends
// its system tables to their views, runs it in SandboxDatabase when it
// names no database or default, and keeps Values data from being
// evaluated.
func (e *Engine) guardUntrusted(_ context.Context, st *Statement) error {
	if !st.Untrusted {
		return nil
	}
	if err := e.guard.check(*st); err != nil {
		return err
	}
	// System tables are read through views that hide the host's paths.
	st.SQL = sqltext.RenameQualifier(st.SQL, "system", systemViews)
	if st.Database == "" || strings.EqualFold(st.Database, "default") {
		st.Database = SandboxDatabase
	}
	s := make(map[string]string, len(st.Settings)+len(untrustedSettings))
	for k, v := range st.Settings {
		s[k] = v
	}
	for k, v := range untrustedSettings {
		s[k] = v
	}
	st.Settings = s
	return nil
}
