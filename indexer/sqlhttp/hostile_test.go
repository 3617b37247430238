package sqlhttp_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethidx/ethidx/indexer/sqlhttp"
	"github.com/ethidx/ethidx/indexer/sqlhttp/sqlhttptest"
)

// hostile is one attempt to reach the host through SQL.
type hostile struct {
	name   string
	sql    string
	params url.Values // extra URL parameters
}

// hostileStatements are ways to read a file, the process's arguments,
// environment or settings, the network, or to write outside the
// database. secret is a file only the host should be able to read.
func hostileStatements(secret string) []hostile {
	s := func(name, sql string, kv ...string) hostile {
		sql = strings.ReplaceAll(sql, "SECRET", secret)
		h := hostile{name: name, sql: sql, params: url.Values{}}
		for i := 0; i+1 < len(kv); i += 2 {
			h.params.Set(kv[i], strings.ReplaceAll(kv[i+1], "SECRET", secret))
		}
		return h
	}
	return []hostile{
		s("scalar file", "SELECT file('SECRET')"),
		s("cmdline", "SELECT file('/proc/self/cmdline')"),
		s("environ", "SELECT file('/proc/self/environ')"),
		s("passwd", "SELECT file('/etc/passwd')"),
		s("file table function", "SELECT * FROM file('SECRET', 'LineAsString')"),
		s("describe file", "DESCRIBE TABLE file('SECRET', 'LineAsString')"),
		s("describe short", "DESC file('SECRET', 'LineAsString')"),
		s("upper case", "SELECT FILE('SECRET')"),
		s("mixed case table function", "select * from FiLe('SECRET', 'LineAsString')"),
		s("backquoted name", "SELECT `file`('SECRET')"),
		s("double-quoted name", `SELECT "file"('SECRET')`),
		s("block comment before paren", "SELECT file/**/('SECRET')"),
		s("line comment before paren", "SELECT file -- x\n('SECRET')"),
		s("nested comments", "SELECT /* a /* b */ c */ file('SECRET')"),
		s("hash comment", "SELECT 1, # x\nfile('SECRET')"),
		s("no-break space", "SELECT file\u00a0('SECRET')"),
		s("unicode quotes", "SELECT \u201cfile\u201d('SECRET')"),
		s("zero-width space", "SELECT fi\u200ble('SECRET')"),
		s("heredoc hides the call", "SELECT $$'$$, file('SECRET') -- '"),
		s("hex escape in a backquoted name", "SELECT `\\x66ile`('SECRET')"),
		s("hex escape in a double-quoted name", `SELECT "\x66ile"('SECRET')`),
		s("escaped system database", "SELECT query FROM `\\x73ystem`.processes"),
		s("form feed before paren", "SELECT file\f('SECRET')"),
		s("file as a table of database default", "SELECT * FROM default.`SECRET`"),
		s("file relative to the working directory", "SELECT * FROM ethidx_hostile_users"),
		s("same, database default asked for", "SELECT * FROM ethidx_hostile_users", "database", "default"),
		s("same, qualified", "SELECT * FROM default.ethidx_hostile_users"),
		s("quoted path as a table", "SELECT * FROM `SECRET`"),
		s("Filesystem database", "CREATE DATABASE fs ENGINE = Filesystem('/')"),
		s("format() evaluates Values", "SELECT * FROM format(Values, 'x String', '(file(''SECRET''))')"),
		s("quoted setting name", "SELECT 1 FORMAT Template SETTINGS \"format_template_resultset\" = 'SECRET'"),
		s("backquoted setting in SET", "SET `format_template_resultset` = 'SECRET'"),
		s("USE quoted system", "USE `system`"),
		s("Values expressions switched back on", "SELECT * FROM format(Values, 'x String', '(file(''SECRET''))') SETTINGS input_format_values_interpret_expressions = 1"),
		s("same, in an insert", "INSERT INTO t SETTINGS input_format_values_interpret_expressions = 1 VALUES (file('SECRET'))"),
		s("tabs and newlines", "SELECT\tfile\n(\n'SECRET'\n)"),
		s("inside a lambda", "SELECT arrayMap(x -> file(x), ['SECRET'])"),
		s("in a subquery", "SELECT * FROM (SELECT file('SECRET') AS f)"),
		s("in a view()", "SELECT * FROM view(SELECT file('SECRET'))"),
		s("comma join", "SELECT * FROM numbers(1) AS n, file('SECRET', 'LineAsString') AS f"),
		s("url", "SELECT * FROM url('http://127.0.0.1:1/', 'LineAsString')"),
		s("urlCluster", "SELECT * FROM urlCluster('default', 'http://127.0.0.1:1/', 'LineAsString')"),
		s("fileCluster", "SELECT * FROM fileCluster('default', 'SECRET', 'LineAsString')"),
		s("s3", "SELECT * FROM s3('http://127.0.0.1:1/b/k', 'LineAsString')"),
		s("s3Cluster", "SELECT * FROM s3Cluster('default', 'http://127.0.0.1:1/b/k', 'LineAsString')"),
		s("hdfs", "SELECT * FROM hdfs('hdfs://127.0.0.1:1/x', 'LineAsString')"),
		s("remote", "SELECT * FROM remote('127.0.0.1:1', system.one)"),
		s("mysql", "SELECT * FROM mysql('127.0.0.1:1', 'd', 't', 'u', 'p')"),
		s("postgresql", "SELECT * FROM postgresql('127.0.0.1:1', 'd', 't', 'u', 'p')"),
		s("sqlite", "SELECT * FROM sqlite('SECRET', 't')"),
		s("executable", "SELECT * FROM executable('cat SECRET', 'LineAsString', 'x String')"),
		s("merge over system", "SELECT * FROM merge('system', '^processes$')"),
		s("insert into file", "INSERT INTO FUNCTION file('/tmp/ethidx-hostile.tsv', 'TSV', 'a String') SELECT 'x'"),
		s("into outfile", "SELECT 1 INTO OUTFILE '/tmp/ethidx-hostile.out'"),
		s("from infile", "INSERT INTO t FROM INFILE 'SECRET' FORMAT LineAsString"),
		s("file engine", "CREATE TABLE f (line String) ENGINE = File(LineAsString, 'SECRET')"),
		s("dictionary from file", "CREATE DICTIONARY d (line String) PRIMARY KEY line SOURCE(FILE(path 'SECRET' format 'LineAsString')) LAYOUT(FLAT()) LIFETIME(0)"),
		s("dictionary over http", "CREATE DICTIONARY d (line String) PRIMARY KEY line SOURCE(HTTP(url 'http://127.0.0.1:1/' format 'LineAsString')) LAYOUT(FLAT()) LIFETIME(0)"),
		s("values evaluates file", "INSERT INTO t VALUES (file('SECRET'))"),
		s("processes", "SELECT query FROM system.processes"),
		s("quoted system names", `SELECT * FROM "system"."processes"`),
		s("show processlist", "SHOW PROCESSLIST"),
		s("server settings", "SELECT name, value FROM system.server_settings"),
		s("getServerSetting", "SELECT getServerSetting('path')"),
		s("stack trace", "SELECT * FROM system.stack_trace"),
		s("build options", "SELECT * FROM system.build_options"),
		s("hostName", "SELECT hostName()"),
		s("filesystem", "SELECT filesystemAvailable()"),
		s("identifier parameter", "SELECT * FROM {t:Identifier}", "param_t", "system.processes"),
		s("identifier parameter as database", "SELECT query FROM {d:Identifier}.processes", "param_d", "system"),
		s("quoted identifier parameter", "SELECT query FROM {d:Identifier}.processes", "param_d", "`system`"),
		s("database system", "SELECT * FROM processes", "database", "system"),
		s("system statement", "SYSTEM FLUSH LOGS"),
		s("backup", "BACKUP TABLE t TO File('/tmp/ethidx-hostile-backup')"),
		s("format_schema setting", "SELECT 1 FORMAT Protobuf", "format_schema", "SECRET:M"),
		s("template setting in SQL", "SELECT 1 SETTINGS format_template_row = 'SECRET' FORMAT Template"),
		s("viewExplain", "SELECT * FROM viewExplain('EXPLAIN AST', '', (SELECT 1))"),
		s("dictionary table function", "SELECT * FROM dictionary('d')"),
		s("hasColumnInTable on a file", "SELECT hasColumnInTable('default', 'SECRET', 'k')"),
		s("hasColumnInTable in the working directory", "SELECT hasColumnInTable('default', 'ethidx_hostile_users', 'k')"),
		s("joinGet", "SELECT joinGet('default.ethidx_hostile_users', 'k', 1)"),
		s("dictGet", "SELECT dictGetString('d', 'v', toUInt64(1))"),
		s("kill query lists statements", "KILL QUERY WHERE 1 TEST"),
		s("Filesystem database without arguments", "CREATE DATABASE fs2 ENGINE = Filesystem"),
		s("fullHostName", "SELECT fullHostName()"),
		s("string literal as a table", "SELECT * FROM 'SECRET'"),
		s("string literal in the working directory", "SELECT * FROM 'ethidx_hostile_users'"),
		s("APPLY names a function", "SELECT * APPLY file FROM (SELECT 'SECRET' AS p)"),
		s("APPLY in parentheses", "SELECT * APPLY(file) FROM (SELECT 'SECRET' AS p)"),
		s("loop over names", "SELECT * FROM loop('system', 'one') LIMIT 1"),
	}
}

// secretFile writes a file with a random marker and returns path, marker.
func secretFile(t *testing.T) (string, string) {
	var b [12]byte
	_, _ = rand.Read(b[:])
	marker := "ETHIDX-SECRET-" + hex.EncodeToString(b[:])
	path := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(path, []byte(marker+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, marker
}

// runHostile sends every hostile statement as one client and checks each
// is refused and leaks nothing: not the secret file, not the environment
// marker, not a line of /etc/passwd.
func runHostile(t *testing.T, addr string, user, password string, secret, marker, envMarker string) {
	t.Helper()
	leaks := []string{marker, envMarker, "root:x:0:0", "/bin/bash"}
	hostiles := hostileStatements(secret)
	if len(hostiles) < 30 {
		t.Fatalf("only %d hostile statements", len(hostiles))
	}
	for _, h := range hostiles {
		v := url.Values{}
		for k, vs := range h.params {
			v[k] = vs
		}
		if user != "" {
			v.Set("user", user)
			v.Set("password", password)
		}
		code, hdr, body := do(t, "POST", "http://"+addr+"/?"+v.Encode(), h.sql, nil)
		if code == 200 {
			t.Errorf("%s: %q accepted: %q", h.name, h.sql, body)
		}
		for _, l := range leaks {
			if strings.Contains(body, l) {
				t.Errorf("%s: response leaks %q: %q", h.name, l, body)
			}
		}
		if code != 200 && hdr.Get("X-ClickHouse-Exception-Code") == "" {
			t.Errorf("%s: refused without an exception code (%d %q)", h.name, code, body)
		}
	}
}

// allowed are statements BI tools send that the guard must let through.
var allowed = []string{
	"SELECT 1",
	"SELECT version(), timezone(), currentUser(), currentDatabase()",
	"SELECT count() FROM system.tables",
	"SELECT name FROM system.databases ORDER BY name",
	"SELECT name, type FROM system.columns WHERE table = 'one'",
	"SELECT name, value, changed FROM system.settings WHERE name = 'max_threads'",
	"SELECT count() FROM system.functions",
	"SELECT sum(number) FROM numbers(10)",
	"SELECT format('{} {}', 'a', 'b')",
	"SELECT 'file(''/etc/passwd'')' AS s -- a string, not a call",
	"SELECT 1 /* file('/etc/passwd') in a comment */",
	"SELECT 'ünïcödé in a string'",
	"SHOW DATABASES",
	"SELECT * FROM system.one",
}

func checkAllowed(t *testing.T, addr, user, password string) {
	t.Helper()
	for _, sql := range allowed {
		v := url.Values{"query": {sql}}
		if user != "" {
			v.Set("user", user)
			v.Set("password", password)
		}
		if code, _, body := do(t, "GET", "http://"+addr+"/?"+v.Encode(), "", nil); code != 200 {
			t.Errorf("%q refused: %d %q", sql, code, body)
		}
	}
}

// cwdSecret writes the secret marker to a file without extension in the
// working directory, as `ethidx serve --user-file users` invites.
func cwdSecret(t *testing.T, marker string) {
	if err := os.WriteFile("ethidx_hostile_users", []byte(marker+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove("ethidx_hostile_users") })
}

func TestHostileStatementsWithUsers(t *testing.T) {
	secret, marker := secretFile(t)
	cwdSecret(t, marker)
	envMarker := "ETHIDX-ENV-" + marker[len("ETHIDX-SECRET-"):]
	t.Setenv("ETHIDX_HOSTILE_TEST", envMarker)
	addr, e := sqlhttptest.Start(t, sqlhttp.Config{Users: []sqlhttp.User{
		{Name: "admin", Password: "s3cret"},
		{Name: "viewer", Password: "pw", ReadOnly: true},
		{Name: "guessed", Password: "not this", ReadOnly: true},
	}})
	if err := e.Exec(context.Background(), "CREATE TABLE t (line String) ENGINE = MergeTree ORDER BY line", nil); err != nil {
		t.Fatal(err)
	}
	t.Run("read-only user", func(t *testing.T) { runHostile(t, addr, "viewer", "pw", secret, marker, envMarker) })
	t.Run("admin user", func(t *testing.T) { runHostile(t, addr, "admin", "s3cret", secret, marker, envMarker) })
	t.Run("no credentials", func(t *testing.T) { runHostile(t, addr, "", "", secret, marker, envMarker) })
	// A user of its own: many wrong passwords slow down further attempts
	// for that user from this address (authLimiter).
	t.Run("wrong password", func(t *testing.T) { runHostile(t, addr, "guessed", "nope", secret, marker, envMarker) })
	t.Run("allowed", func(t *testing.T) {
		checkAllowed(t, addr, "viewer", "pw")
		checkAllowed(t, addr, "admin", "s3cret")
	})
	// The refusals came from the guard, not from a broken table: the
	// in-process (trusted) path still reads the file.
	out, err := e.Query(context.Background(), "SELECT file({p:String})", "TSV", map[string]string{"p": secret})
	if err != nil || !strings.Contains(string(out), marker) {
		t.Fatalf("trusted read of the secret: %q, %v", out, err)
	}
	n, err := e.Query(context.Background(), "SELECT count() FROM t", "TSV", nil)
	if err != nil || strings.TrimSpace(string(n)) != "0" {
		t.Fatalf("a hostile insert wrote rows: %q, %v", n, err)
	}
}

func TestHostileStatementsUnauthenticated(t *testing.T) {
	// No users configured: every client is the passwordless default user,
	// the default of backfill, follow and serve.
	secret, marker := secretFile(t)
	envMarker := "ETHIDX-ENV-" + marker[len("ETHIDX-SECRET-"):]
	t.Setenv("ETHIDX_HOSTILE_TEST", envMarker)
	cwdSecret(t, marker)
	addr, e := sqlhttptest.Start(t, sqlhttp.Config{})
	if err := e.Exec(context.Background(), "CREATE TABLE t (line String) ENGINE = MergeTree ORDER BY line", nil); err != nil {
		t.Fatal(err)
	}
	runHostile(t, addr, "", "", secret, marker, envMarker)
	checkAllowed(t, addr, "", "")
}

// Neither the data directory's path nor the host's name reaches a client:
// not through the catalogue tables BI tools browse, not in a header.
func TestNoHostFacts(t *testing.T) {
	addr, e := sqlhttptest.Start(t, sqlhttp.Config{})
	for _, sql := range []string{
		"SELECT * FROM system.databases FORMAT TSV",
		"SELECT * FROM system.tables FORMAT TSV",
		"SELECT name, data_path, metadata_path FROM system.databases FORMAT TSV",
		"SELECT displayName()",
	} {
		code, hdr, body := do(t, "GET", "http://"+addr+"/?"+url.Values{"query": {sql}}.Encode(), "", nil)
		if code != 200 {
			t.Fatalf("%s: %d %q", sql, code, body)
		}
		if strings.Contains(body, e.DataDir()) || sql == "SELECT displayName()" && strings.TrimSpace(body) != "ethidx" {
			t.Errorf("%s shows the host: %q", sql, body)
		}
		if got := hdr.Get("X-ClickHouse-Server-Display-Name"); got != "ethidx" {
			t.Errorf("display name header %q, want ethidx", got)
		}
	}
}
