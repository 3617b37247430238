package chdb

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strings"

	"github.com/ethidx/ethidx/indexer/chdb/sqlscan"
)

// The host guard keeps statements from outside the process (Statement.Untrusted:
// every statement of the SQL endpoint, whoever the user) inside the
// database: no file, network, process argument, setting or environment of
// the host is reachable from SQL.
//
// Why ethidx checks statements itself: the engine runs as clickhouse-local,
// where the server's protections do not apply. file() reads any path the
// process can (user_files_path is not enforced in local mode), the scalar
// file() even under readonly=1, and there is one built-in user holding
// every grant (SOURCES, INTROSPECTION, SYSTEM), which the engine does not
// let us revoke. What the engine does enforce is still used: read-only
// users run with readonly=1, which refuses writes, SET, SETTINGS and every
// table function. The guard adds what readonly does not cover, and applies
// to admin users of the endpoint too.
//
// The checks run on the lexer's facts (sqlscan.Inspect), which refuses text
// it cannot be sure to split as the engine does. Table functions and table
// engines are refused unless known to be safe, from the engine's own
// catalogue (so a function added by a later engine is refused until it is
// reviewed); host-reaching scalar functions, dictionary sources and system
// tables are listed here.
type hostGuard struct {
	deny map[string]bool // lower-case names refused as name(...)
}

// safeSources are the table functions and engines that read nothing but
// the statement's own arguments or tables of the database.
var safeSources = map[string]bool{
	"numbers": true, "numbers_mt": true, "zeros": true, "zeros_mt": true, "values": true,
	"generaterandom": true, "null": true, "view": true, "viewifpermitted": true,
	"generate_series": true, "generateseries": true, "primes": true, "format": true, "input": true,
	"sqlstandardvalues": true,
	// Table engines an admin may create: data stays in the data directory.
	"memory": true, "log": true, "tinylog": true, "stripelog": true, "set": true, "join": true,
	"materializedview": true,
	// Database engines likewise (Filesystem, S3, MySQL, ... are refused).
	"atomic": true, "ordinary": true, "replicated": true,
}

// SandboxDatabase is the empty database an endpoint statement runs in when
// it names none: in the embedded engine (clickhouse-local) database
// default is an Overlay over a Filesystem database, where any table name
// is a file path (`SELECT * FROM users` reads ./users), so endpoint users
// never use default.
const SandboxDatabase = "_ethidx_sandbox"

// hostFunctions are scalar functions that read the host: files, the
// filesystem, the machine's name and kernel, server settings (paths),
// TLS material, the binary's symbols, models loaded from paths, request
// headers.
var hostFunctions = []string{
	"file", "getserversetting", "getmergetreesetting", "filesystemavailable", "filesystemcapacity",
	"filesystemunreserved", "filesystemfree", "hostname", "fqdn", "fullhostname", "getoskernelversion",
	"getmacro", "catboostevaluate", "modelevaluate", "naivebayesclassifier", "showcertificate",
	"getclienthttpheader", "serveruuid", "addresstoline", "addresstolinewithinlines", "addresstosymbol",
	"demangle", "tcpport", "getserverport",
	// Dictionary sources (CREATE DICTIONARY ... SOURCE(...)) that reach
	// files, processes or other servers.
	"http", "executable", "executable_pool", "clickhouse", "mysql", "postgresql", "mongodb", "redis",
	"odbc", "jdbc", "cassandra", "ytsaurus", "library", "yamlregexptree", "regexptree",
	// Disk definitions in table settings.
	"disk",
}

// systemTables are the system tables an endpoint user may read: catalogue
// metadata that BI tools browse (databases, tables, columns, functions,
// settings of the query), and the constant tables. Everything else in
// system (processes and query logs, server settings and paths, disks,
// users, stack traces, symbols, errors) stays out.
var systemTables = map[string]bool{
	"one": true, "numbers": true, "numbers_mt": true, "zeros": true, "zeros_mt": true,
	"databases": true, "tables": true, "columns": true, "functions": true, "table_functions": true,
	"table_engines": true, "data_type_families": true, "aggregate_function_combinators": true,
	"formats": true, "settings": true, "time_zones": true, "collations": true, "keywords": true,
	"contributors": true, "data_skipping_indices": true, "dictionaries": true,
}

// refusedStatements are statement kinds the endpoint never runs: they act
// on the host (SYSTEM SHUTDOWN, BACKUP/RESTORE to files, ATTACH from a
// path).
var refusedStatements = map[string]bool{"system": true, "backup": true, "restore": true, "attach": true}

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

// newHostGuard builds the guard from the engine's catalogue of table
// functions and table engines (lower-case names).
func newHostGuard(catalogue []string) *hostGuard {
	g := &hostGuard{deny: map[string]bool{}}
	for _, n := range catalogue {
		n = strings.ToLower(n)
		if !safeSources[n] && !strings.HasSuffix(n, "mergetree") {
			g.deny[n] = true
		}
	}
	for _, n := range hostFunctions {
		g.deny[n] = true
	}
	return g
}

//go:embed sql/catalogue.sql
var catalogueSQL string

// loadHostGuard reads the catalogue from a fresh connection.
func (e *Engine) loadHostGuard(c *conn) error {
	var out strings.Builder
	var err error
	c.do(func() {
		_, err = e.query(c, Statement{
			SQL:    strings.TrimSuffix(strings.TrimSpace(catalogueSQL), ";"),
			Format: "TabSeparated",
		}, &out)
	})
	if err != nil {
		return fmt.Errorf("reading the engine's table functions: %w", err)
	}
	names := strings.Fields(out.String())
	if len(names) < 10 || !contains(names, "file") {
		return fmt.Errorf("reading the engine's table functions: unexpected catalogue (%d names)", len(names))
	}
	e.guard = newHostGuard(names)
	return nil
}

func contains(names []string, s string) bool {
	for _, n := range names {
		if n == s {
			return true
		}
	}
	return false
}

// refuse builds the guard's error: ClickHouse's ACCESS_DENIED, which
// clients report as a refusal, not a fault.
func refuse(format string, args ...any) error {
	return NewError(CodeAccessDenied, "ACCESS_DENIED", "%s: not allowed over the SQL endpoint", fmt.Sprintf(format, args...))
}

// check refuses st if it could reach the host.
func (g *hostGuard) check(st Statement) error {
	if strings.EqualFold(st.Database, "system") {
		return refuse("database system")
	}
	for k := range st.Settings {
		if settingRefused(k) {
			return refuse("setting %s", k)
		}
	}
	f, err := sqlscan.Inspect(st.SQL)
	if err != nil {
		if errors.Is(err, sqlscan.ErrAmbiguous) {
			return refuse("statement text (%v)", err)
		}
		return err
	}
	if err := g.checkFacts(f); err != nil {
		return err
	}
	for name, typ := range f.Placeholders {
		if typ != "identifier" {
			continue
		}
		// An Identifier parameter is spliced in as a name: check it as one.
		v, ok := st.Params[name]
		if !ok {
			continue
		}
		pf, err := sqlscan.Inspect(v)
		if err != nil {
			return refuse("parameter %s (%v)", name, err)
		}
		for _, w := range pf.Names {
			if w == "system" || w == "default" {
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

func (g *hostGuard) checkFacts(f sqlscan.Facts) error {
	if len(f.Words) > 0 {
		first := f.Words[0]
		if refusedStatements[first] {
			return refuse("%s statement", strings.ToUpper(first))
		}
		if first == "use" && len(f.Names) > 1 && (f.Names[1] == "system" || f.Names[1] == "default") {
			return refuse("database %s", f.Names[1])
		}
		if first == "show" {
			if len(f.Words) < 2 || !showAllowed[f.Words[1]] {
				return refuse("this SHOW statement")
			}
			for _, w := range f.Words[1:min(len(f.Words), 4)] {
				if showRefused[w] {
					return refuse("SHOW %s", strings.ToUpper(w))
				}
			}
		}
	}
	for _, w := range f.Words {
		if refusedWords[w] {
			return refuse("%s", strings.ToUpper(w))
		}
	}
	for _, c := range f.Calls {
		if g.deny[c] {
			return refuse("%s(), which reaches outside the database,", c)
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

// guardUntrusted checks st when it comes from outside the process, runs
// it in SandboxDatabase when it names no database or default, and keeps
// Values data from being evaluated.
func (e *Engine) guardUntrusted(_ context.Context, st *Statement) error {
	if !st.Untrusted {
		return nil
	}
	if err := e.guard.check(*st); err != nil {
		return err
	}
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
