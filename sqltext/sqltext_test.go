package sqltext

import (
	"fmt"
	"strings"
	"testing"
)

func TestSplitInsert(t *testing.T) {
	for _, c := range []struct {
		sql, head, format, data string
		ok                      bool
	}{
		{"INSERT INTO t FORMAT Native\n\x00\x01", "INSERT INTO t", "Native", "\x00\x01", true},
		{"insert into t (a, b) format CSV\r\n1,2", "insert into t (a, b)", "CSV", "1,2", true},
		{"INSERT INTO t FORMAT TSV  \n\n1", "INSERT INTO t", "TSV", "\n1", true},
		{"INSERT INTO t SETTINGS async_insert=0 VALUES (1)", "INSERT INTO t SETTINGS async_insert=0", "Values", " (1)", true},
		{"INSERT INTO `values` VALUES ('FORMAT CSV')", "INSERT INTO `values`", "Values", " ('FORMAT CSV')", true},
		{"INSERT INTO values VALUES (1)", "INSERT INTO values", "Values", " (1)", true},
		{"INSERT INTO db.values VALUES (1)", "INSERT INTO db.values", "Values", " (1)", true},
		{"INSERT INTO t (/* FORMAT x */ a, \"format\") FORMAT JSONEachRow {}", "INSERT INTO t (/* FORMAT x */ a, \"format\")", "JSONEachRow", "{}", true},
		{"-- FORMAT CSV\nINSERT INTO t FORMAT CSV\n1", "-- FORMAT CSV\nINSERT INTO t", "CSV", "1", true},
		{"INSERT INTO t SELECT 1", "", "", "", false},
		{"INSERT INTO t SELECT * FROM input('a UInt8') FORMAT CSV\n1", "INSERT INTO t SELECT * FROM input('a UInt8')", "CSV", "1", true},
		{"SELECT 1 FORMAT CSV", "", "", "", false},
		{"INSERT INTO t FORMAT", "", "", "", false},
		{"INSERT INTO t FORMAT 'x'", "", "", "", false},
	} {
		ins, ok := SplitInsert(c.sql)
		if ok != c.ok || ok && (ins.Head != c.head || ins.Format != c.format || c.sql[ins.Data:] != c.data) {
			t.Errorf("SplitInsert(%q) = %+v %v", c.sql, ins, ok)
		}
	}
}

func TestOutputFormat(t *testing.T) {
	for sql, want := range map[string]string{
		"SELECT 1":                                   "",
		"SELECT 1 FORMAT json":                       "JSON",
		"SELECT 1 FORMAT JSONEachRow;":               "JSONEachRow",
		"SELECT 1 FORMAT CSV SETTINGS max_threads=1": "CSV",
		"SELECT 1 SETTINGS max_threads=1 FORMAT TSV": "TSV",
		"SELECT format FROM t":                       "",
		"SELECT 1 AS format":                         "",
		"SELECT format, 1 FROM t":                    "",
		"SELECT (SELECT 1 FORMAT CSV)":               "",
		"SELECT 'FORMAT CSV'":                        "",
		"SELECT 1 FORMAT MyFormat":                   "MyFormat",
		"SELECT 1 -- FORMAT CSV":                     "",
		"SELECT 1 /* FORMAT /* nested */ CSV */":     "",
	} {
		if got := OutputFormat(sql); got != want {
			t.Errorf("OutputFormat(%q) = %q, want %q", sql, got, want)
		}
	}
}

func FuzzSplitInsert(f *testing.F) {
	for _, s := range []string{"INSERT INTO t FORMAT Native\n\x00", "INSERT INTO t VALUES (1)", "INSERT /* x */ INTO t FORMAT CSV 1", "SELECT 1 FORMAT JSON", "INSERT INTO t ('", "insert into t (\"a\\\"\") format TSV\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		_ = OutputFormat(sql)
		ins, ok := SplitInsert(sql)
		if !ok {
			return
		}
		if ins.Data < 0 || ins.Data > len(sql) || ins.Format == "" {
			t.Fatalf("bad split %+v of %q", ins, sql)
		}
		if !strings.Contains(sql, ins.Head) {
			t.Fatalf("head %q not in %q", ins.Head, sql)
		}
	})
}

func TestInspectEngines(t *testing.T) {
	for sql, want := range map[string]string{
		"CREATE DATABASE d ENGINE = Filesystem":                  "filesystem",
		"CREATE TABLE t (a UInt8) ENGINE=Memory":                 "memory",
		"CREATE TABLE t (a UInt8) ENGINE File(TSV, 'x')":         "file",
		"CREATE TABLE t (a UInt8) ENGINE = `URL`('http://x', C)": "url",
		"SELECT 'ENGINE = File'":                                 "",
	} {
		f, err := Inspect(sql)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(f.Engines, ","); got != want {
			t.Errorf("Inspect(%q).Engines = %q, want %q", sql, got, want)
		}
	}
}

func TestRenameQualifier(t *testing.T) {
	for sql, want := range map[string]string{
		"SELECT * FROM system.tables":                          "SELECT * FROM c.tables",
		`SELECT * FROM "system"."databases", system . columns`: `SELECT * FROM c."databases", c . columns`,
		"SELECT system.one.dummy FROM `SYSTEM`.one":            "SELECT c.one.dummy FROM c.one",
		"SELECT 'system.tables', system FROM t -- system.x":    "SELECT 'system.tables', system FROM t -- system.x",
		"SELECT * FROM mysystem.tables":                        "SELECT * FROM mysystem.tables",
	} {
		if got := RenameQualifier(sql, "system", "c"); got != want {
			t.Errorf("RenameQualifier(%q) = %q, want %q", sql, got, want)
		}
	}
}

func TestInspectApply(t *testing.T) {
	for sql, want := range map[string]string{
		"SELECT * APPLY file FROM t":                  "file",
		"SELECT * APPLY(file) FROM t":                 "apply,file",
		"SELECT COLUMNS('a') APPLY `hostName` FROM t": "columns,hostname",
		"SELECT * APPLY(x -> file(x)) FROM t":         "apply,x,file",
	} {
		f, err := Inspect(sql)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(f.Calls, ","); got != want {
			t.Errorf("Inspect(%q).Calls = %q, want %q", sql, got, want)
		}
	}
}

// Tokens skips blanks and comments, keeps strings and quoted names whole,
// and gives a group's parentheses the depth outside it.
func TestTokens(t *testing.T) {
	sql := "SELECT f(a, 'x)') -- FROM t\nFROM /* ENGINE */ `my t`"
	var got []string
	for _, tok := range Tokens(sql) {
		if sql[tok.Start:tok.End] != tok.Text {
			t.Errorf("token %q: span %d:%d is %q", tok.Text, tok.Start, tok.End, sql[tok.Start:tok.End])
		}
		got = append(got, fmt.Sprintf("%s/%d/%v", tok.Text, tok.Depth, tok.Quoted))
	}
	want := "SELECT/0/false f/0/false (/0/false a/1/false ,/1/false 'x)'/1/true )/0/false FROM/0/false `my t`/0/true"
	if strings.Join(got, " ") != want {
		t.Errorf("Tokens:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}

// Is matches bare words only; Name reads bare and quoted names, not
// string literals.
func TestTokenIsAndName(t *testing.T) {
	toks := Tokens("from `FROM` \"a\"\"b\" 'from' (")
	if !toks[0].Is("FROM") || toks[1].Is("FROM") || toks[3].Is("from") {
		t.Error("Is took a quoted word for a keyword, or missed a bare one")
	}
	for i, want := range []string{"from", "FROM", `a"b`, "", ""} {
		if got, ok := toks[i].Name(); got != want || ok != (want != "") {
			t.Errorf("Name of %q = %q, %v; want %q", toks[i].Text, got, ok, want)
		}
	}
}

func TestBegins(t *testing.T) {
	for sql, want := range map[string]bool{
		"INSERT INTO t VALUES (1)":     true,
		"/* x */ insert -- y\n into t": true,
		"INSERT t VALUES (1)":          false,
		"`INSERT` INTO t":              false,
		"SELECT 'INSERT INTO t'":       false,
		"INSERT":                       false,
	} {
		if got := Begins(sql, "INSERT", "INTO"); got != want {
			t.Errorf("Begins(%q, INSERT, INTO) = %v", sql, got)
		}
	}
}
