package cluster_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ethidx/ethidx/cluster"
	"github.com/ethidx/ethidx/indexer/chdb"
	"github.com/ethidx/ethidx/indexer/chdb/chdbtest"
	"github.com/ethidx/ethidx/queries"
	"github.com/ethidx/ethidx/schema"
)

// No ClickHouse cluster can run here (it needs servers and a Keeper), so
// the cluster form is checked as far as the embedded engine allows: every
// statement parses (formatQuery); and, on an engine configured with a
// two-shard cluster c1, the cluster DDL creates — with ON CLUSTER left out
// and the Replicated engines replaced by their plain forms, the two things
// only servers with a Keeper run — the same tables and views, column for
// column, as the single-node DDL, the Distributed fronts included.
func TestClusterSchemaMatchesSingleNode(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cluster.xml")
	// Unreachable shards: creating a Distributed table needs its cluster
	// defined, not reachable.
	if err := os.WriteFile(cfg, []byte(`<clickhouse><remote_servers><c1>
  <shard><replica><host>127.0.0.1</host><port>1</port></replica></shard>
  <shard><replica><host>127.0.0.1</host><port>2</port></replica></shard>
</c1></remote_servers></clickhouse>`), 0o600); err != nil {
		t.Fatal(err)
	}
	eng, _ := chdbtest.OpenOptions(t, chdb.Options{ConfigFile: cfg})
	f, err := cluster.New("c1")
	if err != nil {
		t.Fatal(err)
	}
	single := append(schema.Statements(), queries.InstallStatements("single")...)
	var clustered []string
	for _, stmt := range append(schema.Statements(), queries.InstallStatements("clustered")...) {
		out, err := f.Rewrite(stmt)
		if err != nil {
			t.Fatal(err)
		}
		clustered = append(clustered, out...)
	}
	for _, stmt := range clustered {
		if _, err := eng.Query(ctx, "SELECT formatQuery({q:String})", "", map[string]string{"q": tsvEscape(stmt)}); err != nil {
			t.Errorf("cluster statement does not parse: %v\n%s", err, stmt)
		}
	}
	run := func(db string, stmts []string) {
		if err := eng.Exec(ctx, "CREATE DATABASE "+db, nil); err != nil {
			t.Fatal(err)
		}
		for _, stmt := range stmts {
			if _, err := eng.Run(ctx, chdb.Statement{SQL: stmt, Database: db}, &bytes.Buffer{}); err != nil {
				t.Fatalf("in %s: %v\n%s", db, err, stmt)
			}
		}
	}
	run("single", single)
	run("clustered", emulate(t, clustered))

	objects := func(db string) map[string]string {
		out, err := eng.Query(ctx, "SELECT name, engine FROM system.tables WHERE database = {db:String} FORMAT TSV", "", map[string]string{"db": db})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			name, engine, _ := strings.Cut(line, "\t")
			m[name] = engine
		}
		return m
	}
	columns := func(db, table string) string {
		out, err := eng.Query(ctx, "SELECT name, type, default_kind, default_expression, compression_codec FROM system.columns "+
			"WHERE database = {db:String} AND table = {t:String} ORDER BY position FORMAT TSV", "",
			map[string]string{"db": db, "t": table})
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	one, many := objects("single"), objects("clustered")
	tables, views, described := 0, 0, 0
	for name, engine := range one {
		got, ok := many[name]
		if !ok {
			t.Errorf("%s (%s) has no cluster form", name, engine)
			continue
		}
		want := columns("single", name)
		if want != "" {
			described++
		}
		if c := columns("clustered", name); c != want {
			t.Errorf("%s: cluster columns differ\n got %s\nwant %s", name, c, want)
		}
		switch {
		case strings.HasSuffix(engine, "MergeTree"):
			tables++
			if got != "Distributed" {
				t.Errorf("%s on the cluster is %s, want Distributed", name, got)
			}
			local := name + cluster.LocalSuffix
			if many[local] != engine {
				t.Errorf("%s: local table %s is %q, want %s", name, local, many[local], engine)
			}
			if c := columns("clustered", local); c != want {
				t.Errorf("%s: local columns differ\n got %s\nwant %s", local, c, want)
			}
		case engine == "View", engine == "MaterializedView":
			views++
			if got != engine {
				t.Errorf("%s on the cluster is %s, want %s", name, got, engine)
			}
		default:
			t.Errorf("%s: unexpected engine %s", name, engine)
		}
	}
	if len(many) != len(one)+tables {
		t.Errorf("cluster has %d objects, want %d (the single node's %d and a local table for each of %d tables)", len(many), len(one)+tables, len(one), tables)
	}
	if described < tables+10 || tables < 10 || views < 20 || one["_daily_rollup_v2"] == "" || one["daily_activity"] == "" {
		t.Fatalf("only %d tables and %d views compared (the day cache and the saved queries' views must be among them)", tables, views)
	}
	t.Logf("%d tables (each a local table and a Distributed front) and %d views match; %d objects have columns to compare", tables, views, described)
}

var (
	onCluster  = regexp.MustCompile(` ON CLUSTER c1\b`)
	replicated = regexp.MustCompile(`Replicated(\w*MergeTree)\('[^']*', '[^']*'(?:, )?`)
)

// emulate makes the cluster DDL runnable on one engine without a Keeper:
// without ON CLUSTER, and with each Replicated engine's plain form.
func emulate(t *testing.T, stmts []string) []string {
	var out []string
	for _, s := range stmts {
		e := replicated.ReplaceAllString(onCluster.ReplaceAllString(s, ""), "$1(")
		if strings.Contains(e, "Replicated") || strings.Contains(e, "ON CLUSTER") {
			t.Fatalf("emulation left a cluster clause: %s", e)
		}
		out = append(out, e)
	}
	return out
}

// tsvEscape writes s as a query parameter value (escaped as in TSV).
func tsvEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\t", `\t`).Replace(s)
}
