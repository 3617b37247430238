package chdb_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/ethidx/ethidx/indexer/chdb"
	"github.com/ethidx/ethidx/indexer/chdb/chdbtest"
)

// TestCatalogueClassified is the generator's check: every name the
// installed engine can call is classified in catalogue.tsv. When it fails
// (a new engine), it prints the missing lines to review and add; until
// they are added, endpoint users cannot call those names.
func TestCatalogueClassified(t *testing.T) {
	e := chdbtest.Open(t)
	names, err := chdb.ReadCatalogue(e)
	if err != nil {
		t.Fatal(err)
	}
	version, cls, err := chdb.Classified()
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.Query(context.Background(), "SELECT version()", "TSV", nil)
	if err != nil {
		t.Fatal(err)
	}
	if v := strings.TrimSpace(string(out)); v != version {
		t.Errorf("catalogue.tsv classifies engine %s, this is %s: classify the names below and set its engine line", version, v)
	}
	var missing, stale []string
	seen := map[[2]string]bool{}
	for _, kn := range names {
		seen[kn] = true
		if _, ok := cls[kn]; !ok {
			missing = append(missing, kn[0]+"\t"+kn[1]+"\t?")
		}
	}
	for kn := range cls {
		if !seen[kn] && kn[0] != "syntax" {
			stale = append(stale, kn[0]+"\t"+kn[1])
		}
	}
	sort.Strings(missing)
	sort.Strings(stale)
	// An exact file lets the guard trust it without reading the engine's
	// catalogue at every start.
	if len(missing) > 0 {
		t.Errorf("%d names of the engine are not classified in catalogue.tsv (refused until they are):\n%s",
			len(missing), strings.Join(missing, "\n"))
	}
	if len(stale) > 0 {
		t.Errorf("%d names of catalogue.tsv are not the engine's (remove them):\n%s", len(stale), strings.Join(stale, "\n"))
	}
	for _, must := range [][2]string{
		{"function", "file"}, {"function", "hasColumnInTable"}, {"function", "joinGet"}, {"function", "dictGet"},
		{"function", "hostName"}, {"function", "getServerSetting"}, {"table_function", "url"},
		{"table_function", "merge"}, {"table_engine", "File"}, {"database_engine", "Filesystem"},
	} {
		if cls[must] != "refuse" {
			t.Errorf("%v: %q, want refuse", must, cls[must])
		}
	}
}

// guarded runs sql as an endpoint user would (admin: not read-only).
func guarded(e *chdb.Engine, sql string) (string, error) {
	var out bytes.Buffer
	_, err := e.Run(context.Background(), chdb.Statement{SQL: sql, Untrusted: true, Database: "d"}, &out)
	return out.String(), err
}

func TestGuardAllowList(t *testing.T) {
	e, dir := chdbtest.OpenOptions(t, chdb.Options{})
	ctx := context.Background()
	for _, q := range []string{"CREATE DATABASE d", "CREATE TABLE d.j (k UInt8, v String) ENGINE = Join(ANY, LEFT, k)"} {
		if err := e.Exec(ctx, q, nil); err != nil {
			t.Fatal(q, err)
		}
	}
	secret, err := os.CreateTemp(t.TempDir(), "secret")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(secret, `{"k": 1}`)
	secret.Close()
	for _, sql := range []string{
		// Names as strings: a database, table, dictionary or file.
		"SELECT hasColumnInTable('default', '" + secret.Name() + "', 'k')",
		"SELECT hasColumnInTable(currentDatabase(), 'j', 'k')",
		"SELECT joinGet('d.j', 'v', toUInt8(1))",
		"SELECT dictGet('d.dict', 'v', 1)",
		"SELECT dictGetStringOrDefault('d.dict', 'v', 1, '')",
		"SELECT getMaxTableNameLengthForDatabase('d')",
		"SELECT * FROM loop(numbers(2)) LIMIT 1",
		"SELECT * FROM merge('d', '.*')",
		"SELECT * FROM mergeTreeIndex('d', 'j')",
		// The host: files, programs, network, its name and configuration.
		"SELECT file('" + secret.Name() + "')",
		"SELECT * APPLY file FROM (SELECT '" + secret.Name() + "' AS p)",
		"SELECT * APPLY(hostName) FROM (SELECT 1 AS p)",
		"SELECT hostName()", "SELECT FQDN()", "SELECT fullHostName()", "SELECT getMacro('x')",
		"SELECT getServerSetting('path')", "SELECT getOSKernelVersion()", "SELECT filesystemCapacity()",
		"SELECT aiGenerate('x')", "SELECT addressToSymbol(1)", "SELECT regionToName(1)",
		"SELECT cutToFirstSignificantSubdomainCustom('a.b.c', 'public_suffix_list')",
		"SELECT * FROM url('http://127.0.0.1:1/', 'LineAsString')",
		"SELECT * FROM s3Cluster('x', 'http://127.0.0.1:1/b/k')",
		"SELECT * FROM icebergLocal('/')",
		// Engines, with and without arguments.
		"CREATE DATABASE fs ENGINE = Filesystem",
		"CREATE DATABASE fs ENGINE = Filesystem('/')",
		"CREATE TABLE t (a UInt8) ENGINE = File(TSV)",
		"CREATE TABLE t (a UInt8) ENGINE = EmbeddedRocksDB PRIMARY KEY a",
		"CREATE TABLE t (a UInt8) ENGINE = Buffer(d, j, 1, 1, 1, 1, 1, 1, 1)",
		"CREATE TABLE t (a UInt8) ENGINE = MergeTree ORDER BY a SETTINGS disk = disk(type = local, path = '/tmp/x/')",
		// Statements about the server, its users and other users' queries.
		"KILL QUERY WHERE 1 TEST", "KILL QUERY WHERE 1", "SYSTEM FLUSH LOGS", "GRANT SELECT ON *.* TO x",
		"CREATE USER x", "DETACH TABLE d.j", "ATTACH TABLE d.j", "BEGIN TRANSACTION",
		"SELECT query FROM system.processes", "SELECT * FROM system.user_processes",
		"SELECT * FROM system.disks", "SELECT * FROM system.server_settings",
		// The views of the system tables are the guard's, not the user's.
		"SELECT * FROM _ethidx_system.databases", "DROP TABLE _ethidx_system.tables",
		"CREATE VIEW d.v AS SELECT * FROM " + "`_ethidx_system`.databases",
	} {
		out, err := guarded(e, sql)
		var ce *chdb.Error
		if !errors.As(err, &ce) || ce.Code != chdb.CodeAccessDenied {
			t.Errorf("%s: want ACCESS_DENIED, got %q, %v", sql, out, err)
		}
	}
	// A statement the endpoint does not know is refused as a syntax error.
	for _, sql := range []string{"SELEC 1", "FROBNICATE TABLE t"} {
		out, err := guarded(e, sql)
		var ce *chdb.Error
		if !errors.As(err, &ce) || ce.Code != chdb.CodeSyntaxError || !strings.Contains(ce.Message, "starts no statement") {
			t.Errorf("%s: want the guard's SYNTAX_ERROR, got %q, %v", sql, out, err)
		}
	}
	for _, sql := range []string{
		"SELECT sumIf(number, number > 1), uniqExactStateIf(number, 1) IS NOT NULL, quantilesTDigestMerge(0.5)(x) FROM (SELECT number, quantilesTDigestState(0.5)(number) AS x FROM numbers(10) GROUP BY number)",
		"SELECT toStartOfMonth(today()), formatReadableSize(1), cityHash64('a'), arrayMap(x -> x + 1, [1])",
		"SELECT getSetting('max_threads'), version(), currentDatabase(), displayName()",
		"CREATE TABLE t (a Nullable(String), b LowCardinality(String), c FixedString(3), d Array(Tuple(UInt8, Map(String, UInt8))), INDEX i (b) TYPE bloom_filter(0.01) GRANULARITY 1) ENGINE = ReplacingMergeTree ORDER BY c",
		"INSERT INTO t (a, b, c) VALUES ('x', 'y', 'zzz')",
		"CREATE TABLE m (a UInt8) ENGINE = Memory",
		"SELECT count() FROM t LEFT JOIN (SELECT 'x' AS a) AS s USING (a) WHERE a IN ('x')",
		"SELECT name FROM system.tables WHERE database = 'd' ORDER BY name",
		"SHOW CREATE TABLE system.databases",
	} {
		if out, err := guarded(e, sql); err != nil {
			t.Errorf("%s: refused: %q, %v", sql, out, err)
		}
	}
	// System tables answer without the host's paths and name.
	host, _ := os.Hostname()
	for _, sql := range []string{
		"SELECT * FROM system.databases FORMAT TSV",
		"SELECT * FROM system.tables FORMAT TSV",
		"SELECT name, data_path, metadata_path FROM `system`.\"databases\" FORMAT TSV",
		"SELECT displayName()",
	} {
		out, err := guarded(e, sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		if strings.Contains(out, dir) || strings.Contains(out, "store/") || host != "" && host != "localhost" && strings.Contains(out, host) {
			t.Errorf("%s: shows the host: %q", sql, out)
		}
		if !strings.Contains(out, "_ethidx_sandbox") && !strings.Contains(out, "ethidx") {
			t.Errorf("%s: %q", sql, out)
		}
	}
}
