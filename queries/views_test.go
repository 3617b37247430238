package queries_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ethidx/ethidx/indexer/chdb"
	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
	"github.com/ethidx/ethidx/indexer/sqlhttp"
	"github.com/ethidx/ethidx/indexer/sqlhttp/sqlhttptest"
	"github.com/ethidx/ethidx/queries"
	"github.com/ethidx/ethidx/queries/daycache"
	"github.com/ethidx/ethidx/queries/querytest"
)

// refs finds every name read after FROM or JOIN, or created, in a statement.
var refs = regexp.MustCompile("(?i)\\b(?:FROM|JOIN|TABLE|VIEW)\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?((?:`[^`]+`|\\w+)(?:\\s*\\.\\s*\\w+)?)")

// Every name of ethidx's own objects in Install's DDL is qualified with the
// database it is given, whatever that database is called.
func TestQualify(t *testing.T) {
	objects := map[string]bool{}
	for _, o := range queries.Objects() {
		objects[o] = true
	}
	for _, want := range []string{"blocks", "transactions", "address_activity", "address_first_seen",
		"blocks_hex", "_daily_rollup_v2", "_daily_blocks", "_daily_cache", "_daily",
		"daily_activity_between", "daily_activity", "top_contracts_between", "top_contracts"} {
		if !objects[want] {
			t.Errorf("Objects() lacks %s", want)
		}
	}
	for _, db := range []string{"chain_7", "my-db"} {
		quoted := db
		if strings.Contains(db, "-") {
			quoted = "`" + db + "`"
		}
		stmts := queries.InstallStatements(db)
		if len(stmts) < 10 {
			t.Fatalf("%d install statements", len(stmts))
		}
		qualified := 0
		for _, stmt := range stmts {
			for _, m := range refs.FindAllStringSubmatch(stmt, -1) {
				name := m[1]
				if bare, ok := strings.CutPrefix(name, quoted+"."); ok {
					if !objects[bare] {
						t.Errorf("%s: qualified a name that is not ethidx's: %s", db, name)
					}
					qualified++
					continue
				}
				if objects[name] {
					t.Errorf("%s: unqualified reference to %s in:\n%s", db, name, stmt)
				}
			}
		}
		if qualified < 30 {
			t.Errorf("%s: only %d qualified references", db, qualified)
		}
	}
	// Already qualified names, other objects, columns and parameters stay.
	got := queries.Qualify("SELECT blocks, x.blocks FROM other.blocks JOIN numbers(3) AS n ON 1 JOIN blocks ON 1 WHERE day IN (SELECT day FROM _daily(from = {from:Date}, to = today()))", "d")
	want := "SELECT blocks, x.blocks FROM other.blocks JOIN numbers(3) AS n ON 1 JOIN d.blocks ON 1 WHERE day IN (SELECT day FROM d._daily(from = {from:Date}, to = today()))"
	if got != want {
		t.Errorf("Qualify:\n got %s\nwant %s", got, want)
	}
}

// openDB connects to database db on the endpoint at addr.
func openDB(t *testing.T, addr, db string) driver.Conn {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{
		Protocol:    clickhouse.HTTP,
		Addr:        []string{addr},
		Auth:        clickhouse.Auth{Database: db, Username: "default"},
		DialTimeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// views lists the views in database db, with the parameters each takes
// (none for a plain view).
func views(t *testing.T, conn driver.Conn, db string) map[string][]string {
	t.Helper()
	var rows []struct {
		Name  string `ch:"name"`
		Query string `ch:"create_table_query"`
	}
	if err := conn.Select(context.Background(), &rows, "SELECT name, create_table_query FROM system.tables WHERE database = ? AND engine = 'View'", db); err != nil {
		t.Fatal(err)
	}
	param := regexp.MustCompile(`\{(\w+):\w+\}`)
	out := map[string][]string{}
	for _, r := range rows {
		// A parameterized view's own parameters appear in its top-level
		// SELECT; views that pass arguments to others have none left.
		seen := map[string]bool{}
		var ps []string
		for _, m := range param.FindAllStringSubmatch(r.Query, -1) {
			if !seen[m[1]] {
				seen[m[1]] = true
				ps = append(ps, m[1])
			}
		}
		out[r.Name] = ps
	}
	return out
}

var viewArgs = map[string]string{"from": "'2025-11-01'", "to": "'2026-02-28'", "limit": "10"}

// call is the FROM clause that reads view name (of database db, if set)
// with the test's arguments.
func call(db, name string, params []string) string {
	if db != "" {
		name = db + "." + name
	}
	if len(params) == 0 {
		return name
	}
	var args []string
	for _, p := range params {
		args = append(args, p+" = "+viewArgs[p])
	}
	return name + "(" + strings.Join(args, ", ") + ")"
}

// dump reads a whole result as text, rows sorted (views with ORDER BY keep
// theirs, and the comparison does not depend on it).
func dump(t *testing.T, conn driver.Conn, sql string) ([]string, error) {
	t.Helper()
	rows, err := conn.Query(context.Background(), "SELECT toString(tuple(*)) FROM ("+sql+")")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out, rows.Err()
}

// Two chains in two databases, neither called eth: every view of each,
// read fully qualified from a connection whose current database is
// "default", and from one whose current database is the other chain's,
// answers exactly what it answers in its own database. Before views were
// qualified, the parameterized views they call resolved in the reader's
// database: an error from default, the other chain's figures from there.
func TestViewsFromAnyDatabase(t *testing.T) {
	ctx := context.Background()
	addr, _ := sqlhttptest.Start(t, sqlhttp.Config{})
	a := chsinktest.Database(t, addr, "chain_a")
	b := chsinktest.Database(t, addr, "chain_b")
	for _, c := range []driver.Conn{a, b} {
		if err := queries.Install(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	chainA, chainB := querytest.Chain(0, 330, 1), querytest.Chain(0, 200, 2)
	querytest.Trace(chainA) // so the trace views have rows to compare
	querytest.Trace(chainB[100:])
	write(t, a, chainA)
	write(t, b, chainB)
	if _, err := daycache.Refresh(ctx, a); err != nil { // cached days in a, live ones in b
		t.Fatal(err)
	}
	def := openDB(t, addr, "default")
	var cur string
	// An endpoint user connected to default runs in the endpoint's empty
	// sandbox (default maps table names to files): neither chain's.
	if err := def.QueryRow(ctx, "SELECT currentDatabase()").Scan(&cur); err != nil || cur != chdb.SandboxDatabase {
		t.Fatalf("current database %q, %v", cur, err)
	}

	vs := views(t, a, "chain_a")
	for _, want := range []string{"daily_activity", "daily_activity_between", "monthly_growth", "monthly_growth_between",
		"daily_fees", "daily_fees_between", "daily_blobs", "daily_blobs_between", "daily_coverage", "daily_coverage_between",
		"top_contracts", "top_contracts_between", "blocks_hex", "transactions_hex", "logs_hex", "withdrawals_hex",
		"_daily", "_daily_blocks", "_daily_cache",
		"traces_hex", "internal_transfers", "contracts_created_by_contracts"} {
		if _, ok := vs[want]; !ok {
			t.Errorf("no view %s in chain_a", want)
		}
	}
	names := make([]string, 0, len(vs))
	for n := range vs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			params := vs[name]
			for _, own := range []struct {
				db   string
				conn driver.Conn
			}{{"chain_a", a}, {"chain_b", b}} {
				want, err := dump(t, own.conn, "SELECT * FROM "+call("", name, params))
				if err != nil {
					t.Fatalf("%s in its own database: %v", name, err)
				}
				if len(want) == 0 && name != "withdrawals_hex" && name != "logs_hex" {
					t.Errorf("%s.%s is empty: the comparison would prove nothing", own.db, name)
				}
				for _, from := range []struct {
					db   string
					conn driver.Conn
				}{{"default", def}, {"chain_a", a}, {"chain_b", b}} {
					if from.db == own.db {
						continue // want was read there, unqualified
					}
					got, err := dump(t, from.conn, "SELECT * FROM "+call(own.db, name, params))
					if err != nil {
						t.Errorf("%s.%s from database %s: %v", own.db, name, from.db, err)
						continue
					}
					if strings.Join(got, "\n") != strings.Join(want, "\n") {
						t.Errorf("%s.%s from database %s: %d rows differ from its own %d", own.db, name, from.db, len(got), len(want))
					}
				}
			}
		})
	}
	// The two chains differ, so reading the other database's data would
	// have been noticed.
	wa, _ := dump(t, def, "SELECT * FROM chain_a.daily_activity")
	wb, _ := dump(t, def, "SELECT * FROM chain_b.daily_activity")
	if strings.Join(wa, "\n") == strings.Join(wb, "\n") {
		t.Error("chain_a and chain_b have the same daily_activity")
	}
}

// The examples and views the READMEs name exist and answer as written: each
// `curl 'http://127.0.0.1:8123/...'` line of the top-level README (with the
// test endpoint's address, and no database chosen), each view of the BI
// paragraph and of queries/README.md's table, fully qualified, from
// database default.
func TestREADMEExamples(t *testing.T) {
	ctx := context.Background()
	conn, addr := chsinktest.Conn(t) // database eth, as the README says
	if err := queries.Install(ctx, conn); err != nil {
		t.Fatal(err)
	}
	write(t, conn, querytest.Chain(0, 330, 1))
	def := openDB(t, addr, "default")

	readme := readFile(t, "../README.md")
	curls := regexp.MustCompile(`curl (?:-u \S+ )?'(http://127\.0\.0\.1:8123/\?query=[^']+)'`).FindAllStringSubmatch(readme, -1)
	if len(curls) == 0 {
		t.Fatal("no curl example in README.md")
	}
	for _, m := range curls {
		u, err := url.Parse(m[1])
		if err != nil {
			t.Fatal(err)
		}
		u.Host = addr
		resp, err := http.Get(u.String())
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(body) == 0 {
			t.Errorf("README example %s: HTTP %d: %s", m[1], resp.StatusCode, body)
		}
		t.Logf("%s ->\n%s", u.Query().Get("query"), body)
	}

	// "Views for BI, with stable column names: `a`, `b`, ... over all days,
	// and `*_between(...)` parameterized versions; `x_hex`, ... for rows."
	para := regexp.MustCompile(`(?s)Views for BI, with stable column names:(.*?)\n\n`).FindStringSubmatch(readme)
	if para == nil {
		t.Fatal("README.md has no 'Views for BI' paragraph")
	}
	named := regexp.MustCompile("`(\\w+)`").FindAllStringSubmatch(para[1], -1)
	between := regexp.MustCompile("`\\*_between\\(([^`]*)\\)`").FindStringSubmatch(para[1])
	if len(named) < 6 || between == nil {
		t.Fatalf("BI paragraph names %d views and no *_between example: %s", len(named), para[1])
	}
	vs := views(t, conn, "eth")
	for _, m := range named {
		v := m[1]
		own, ok := vs[v]
		if !ok {
			t.Errorf("README names view %s, which does not exist", v)
			continue
		}
		if rows, err := dump(t, def, "SELECT * FROM "+call("eth", v, own)); err != nil {
			t.Errorf("README view %s: %v", v, err)
		} else if len(rows) == 0 && v != "withdrawals_hex" && v != "logs_hex" {
			t.Errorf("README view %s: no rows", v)
		}
		if params, ok := vs[v+"_between"]; ok {
			// The example's arguments, and any other the view takes, which
			// the paragraph must then name.
			args := between[1]
			for _, p := range params {
				if p != "from" && p != "to" {
					if !strings.Contains(para[1], v+"_between") || !strings.Contains(para[1], p) {
						t.Errorf("README: %s_between also takes %s, and the BI paragraph does not say so", v, p)
					}
					args += ", " + p + " = " + viewArgs[p]
				}
			}
			if _, err := dump(t, def, "SELECT * FROM eth."+v+"_between("+args+")"); err != nil {
				t.Errorf("README view %s_between(%s): %v", v, args, err)
			}
		}
	}

	// queries/README.md: | `query` | `view(args)`, `view` | what |
	table := regexp.MustCompile("(?m)^\\| `(\\w+)` \\| (.*?) \\|").FindAllStringSubmatch(readFile(t, "README.md"), -1)
	if len(table) != len(queries.List()) {
		t.Errorf("queries/README.md's table lists %d queries, there are %d", len(table), len(queries.List()))
	}
	for _, row := range table {
		for _, v := range regexp.MustCompile("`(\\w+)(\\([^`]*\\))?`").FindAllStringSubmatch(row[2], -1) {
			params, ok := vs[v[1]]
			if !ok {
				t.Errorf("queries/README.md names view %s, which does not exist", v[1])
				continue
			}
			rows, err := dump(t, def, "SELECT * FROM "+call("eth", v[1], params))
			if err != nil {
				t.Errorf("queries/README.md view %s: %v", v[1], err)
			} else if len(rows) == 0 {
				t.Errorf("queries/README.md view %s: no rows", v[1])
			}
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
