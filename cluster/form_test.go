package cluster

import (
	"context"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ethidx/ethidx/schema"
)

// The statements each kind becomes on the cluster.
func TestRewrite(t *testing.T) {
	f, err := New("c1")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ in, want string }{
		{"DELETE FROM blocks WHERE number >= {from:UInt64}", "DELETE FROM blocks_local ON CLUSTER c1 WHERE number >= {from:UInt64}"},
		{"-- c\ndelete from eth.logs where block_number > 1", "delete from eth.logs_local ON CLUSTER c1 where block_number > 1"},
		{"ALTER TABLE transactions DELETE WHERE 1", "ALTER TABLE transactions_local ON CLUSTER c1 DELETE WHERE 1"},
		{"ALTER TABLE transactions ADD COLUMN IF NOT EXISTS x UInt8",
			"ALTER TABLE transactions_local ON CLUSTER c1 ADD COLUMN IF NOT EXISTS x UInt8\n" +
				"ALTER TABLE transactions ON CLUSTER c1 ADD COLUMN IF NOT EXISTS x UInt8"},
		{"TRUNCATE TABLE _daily_rollup_v2", "TRUNCATE TABLE _daily_rollup_v2_local ON CLUSTER c1 "},
		{"OPTIMIZE TABLE blocks FINAL", "OPTIMIZE TABLE blocks_local ON CLUSTER c1 FINAL"},
		{"CREATE OR REPLACE VIEW eth.v AS SELECT 1", "CREATE OR REPLACE VIEW eth.v ON CLUSTER c1 AS SELECT 1"},
		{"CREATE DATABASE IF NOT EXISTS `eth`", "CREATE DATABASE IF NOT EXISTS `eth` ON CLUSTER c1"},
		{"SELECT count() FROM blocks FINAL", "SELECT count() FROM blocks FINAL"},
		{"INSERT INTO ranges_done (from_block, to_block) VALUES (?, ?)", "INSERT INTO ranges_done (from_block, to_block) VALUES (?, ?)"},
		{"ALTER TABLE transactions_local DROP DETACHED PART 'x'", "ALTER TABLE transactions_local DROP DETACHED PART 'x'"},
		{"DELETE FROM other WHERE 1", "DELETE FROM other WHERE 1"},
		{"DROP TABLE IF EXISTS chain", "DROP TABLE IF EXISTS chain ON CLUSTER c1\nDROP TABLE IF EXISTS chain_local ON CLUSTER c1"},
		// Words in strings are not clauses.
		{"ALTER TABLE logs UPDATE topic1 = 'on cluster' WHERE 1", "ALTER TABLE logs_local ON CLUSTER c1 UPDATE topic1 = 'on cluster' WHERE 1"},
		{"ALTER TABLE logs COMMENT COLUMN data 'the PARTITION key'",
			"ALTER TABLE logs_local ON CLUSTER c1 COMMENT COLUMN data 'the PARTITION key'\n" +
				"ALTER TABLE logs ON CLUSTER c1 COMMENT COLUMN data 'the PARTITION key'"},
	}
	for _, c := range cases {
		out, err := f.Rewrite(c.in)
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		if got := strings.Join(out, "\n"); got != c.want {
			t.Errorf("%q:\n got %q\nwant %q", c.in, got, c.want)
		}
	}
	if _, err := New("a-b"); err == nil {
		t.Error("a cluster name with a dash was accepted")
	}
	if _, err := f.Rewrite("CREATE TABLE IF NOT EXISTS x (a UInt8) ENGINE = Memory"); err == nil {
		t.Error("a Memory table got a cluster form")
	}
}

// Every table becomes a replicated local table and a Distributed front
// sharded as the README says; the views read the local transactions and
// write through the Distributed address tables.
func TestSchemaForm(t *testing.T) {
	f, _ := New("c1")
	ddl, err := schema.Print(f.Rewrite)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"CREATE TABLE IF NOT EXISTS transactions_local ON CLUSTER c1\n(",
		"ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')\nPARTITION BY intDiv(block_number, 1000000)",
		"ENGINE = Distributed(c1, currentDatabase(), transactions_local, intDiv(block_number, 10000))",
		"ENGINE = Distributed(c1, currentDatabase(), address_activity_local, cityHash64(address))",
		"ENGINE = Distributed(c1, currentDatabase(), ranges_done_local, cityHash64(from_block, to_block))",
		"ENGINE = Distributed(c1, currentDatabase(), _daily_rollup_v2_local, cityHash64(day))",
		"ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', applied_at)",
		"CREATE MATERIALIZED VIEW IF NOT EXISTS address_activity_mv ON CLUSTER c1 TO address_activity AS",
		"FROM transactions_local\nARRAY JOIN",
		"CREATE OR REPLACE VIEW blocks_hex ON CLUSTER c1 AS",
		"ALTER TABLE transactions_local ON CLUSTER c1 ADD COLUMN IF NOT EXISTS v UInt256",
		"ALTER TABLE transactions ON CLUSTER c1 ADD COLUMN IF NOT EXISTS v UInt256",
	} {
		if !strings.Contains(ddl, want) {
			t.Errorf("cluster DDL lacks %q", want)
		}
	}
	for table := range Tables() {
		if !strings.Contains(ddl, "CREATE TABLE IF NOT EXISTS "+table+" ON CLUSTER c1 AS "+table+"_local") {
			t.Errorf("no Distributed front for %s", table)
		}
	}
	if len(Tables()) < 10 {
		t.Errorf("only %d tables found in the schema", len(Tables()))
	}
	plain, _ := schema.Print(nil)
	if strings.Contains(plain, "CLUSTER") || strings.Contains(plain, "_local") {
		t.Error("the single-node DDL mentions a cluster")
	}
}

// A comment can neither hide a statement from the rewrite nor pass for
// its ON CLUSTER clause; DDL the rewrite does not know is refused rather
// than applied to one node.
func TestRewriteRefusesWhatItCannotPlace(t *testing.T) {
	f, _ := New("c1")
	for in, want := range map[string]string{
		"DELETE FROM blocks WHERE number > 5 -- runs on cluster later": "DELETE FROM blocks_local ON CLUSTER c1 WHERE number > 5",
		"/* lead */ DELETE FROM logs WHERE 1":                          "DELETE FROM logs_local ON CLUSTER c1 WHERE 1",
		"SELECT '-- not a comment' AS s":                               "SELECT '-- not a comment' AS s",
		"/* nested /* */ ON CLUSTER x */ DELETE FROM logs WHERE 1":     "DELETE FROM logs_local ON CLUSTER c1 WHERE 1",
	} {
		out, err := f.Rewrite(in)
		if err != nil || strings.Join(out, "\n") != want {
			t.Errorf("%q: got %q, %v; want %q", in, out, err, want)
		}
	}
	for _, in := range []string{
		"CREATE MATERIALIZED VIEW m ENGINE = MergeTree ORDER BY x AS SELECT 1 AS x",
		"RENAME TABLE blocks TO old_blocks",
		"EXCHANGE TABLES blocks AND b2",
		"DROP DATABASE eth",
		"ALTER TABLE transactions ADD COLUMN x UInt8, ADD INDEX i x TYPE minmax",
	} {
		if out, err := f.Rewrite(in); err == nil {
			t.Errorf("%q got a cluster form: %q", in, out)
		}
	}
}

// recordConn is a connection that records what is executed on it.
type recordConn struct {
	driver.Conn
	sent []string
}

func (r *recordConn) Exec(_ context.Context, q string, _ ...any) error {
	r.sent = append(r.sent, q)
	return nil
}

// Conn sends every statement of a cluster form; a read whose form is two
// statements is refused; an insert is deduplicated by its token, or not
// at all.
func TestConnSendsTheClusterForm(t *testing.T) {
	f, _ := New("c1")
	rec := &recordConn{}
	conn := Conn(rec, f)
	ctx := context.Background()
	if err := conn.Exec(ctx, "ALTER TABLE logs ADD COLUMN IF NOT EXISTS x UInt8"); err != nil {
		t.Fatal(err)
	}
	if len(rec.sent) != 2 || !strings.HasPrefix(rec.sent[0], "ALTER TABLE logs_local ON CLUSTER c1") ||
		!strings.HasPrefix(rec.sent[1], "ALTER TABLE logs ON CLUSTER c1") {
		t.Errorf("sent %q", rec.sent)
	}
	if err := conn.QueryRow(ctx, "ALTER TABLE logs ADD COLUMN y UInt8").Err(); err == nil {
		t.Error("a two-statement form was run as a query")
	}
	var seen []Statement
	shadow := Shadow(rec, f, func(s Statement) { seen = append(seen, s) })
	_ = shadow.Exec(WithInsertToken(ctx, "tok"), "INSERT INTO blocks (number) VALUES (1)")
	_ = shadow.Exec(ctx, "INSERT INTO address_activity SELECT * FROM x")
	_ = shadow.Exec(ctx, "SELECT 1")
	if len(seen) != 3 || seen[0].Settings["insert_deduplication_token"] != "tok" ||
		seen[1].Settings["insert_deduplicate"] != 0 || seen[2].Settings != nil {
		t.Errorf("insert settings: %+v", seen)
	}
}

func TestWithSettingsKeepsCallerSettings(t *testing.T) {
	ctx := WithSettings(context.Background(), clickhouse.Settings{"optimize_on_insert": 0, "insert_deduplicate": 1})
	got := withCallerSettings(ctx, clickhouse.Settings{"insert_deduplicate": 0})
	if len(got) != 2 || got["optimize_on_insert"] != 0 || got["insert_deduplicate"] != 0 {
		t.Errorf("merged settings %v: want the caller's optimize_on_insert and the cluster's insert_deduplicate", got)
	}
	if own := withCallerSettings(context.Background(), clickhouse.Settings{"a": 1}); len(own) != 1 {
		t.Errorf("without caller settings: %v", own)
	}
}

// The rewrite reads tokens, not text: a clause's words in a string, a
// quoted name or a comment are not the clause, and a quoted table name is
// the table.
func TestRewriteReadsTokensNotText(t *testing.T) {
	f, _ := New("c1")
	for _, c := range []struct{ in, want string }{
		// A table's comment that reads like an engine clause.
		{"CREATE TABLE t (k String) ENGINE = MergeTree ORDER BY k COMMENT 'was (x) ENGINE = Log'",
			"CREATE TABLE t_local ON CLUSTER c1\n(k String)\nENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}') ORDER BY k COMMENT 'was (x) ENGINE = Log'\n" +
				"CREATE TABLE t ON CLUSTER c1 AS t_local\nENGINE = Distributed(c1, currentDatabase(), t_local, cityHash64(k))"},
		// A string after the sorting key that names a clause.
		{"CREATE TABLE t (k String, v String DEFAULT 'ORDER BY v') ENGINE = MergeTree ORDER BY (k) COMMENT 'SETTINGS x'",
			"CREATE TABLE t_local ON CLUSTER c1\n(k String, v String DEFAULT 'ORDER BY v')\nENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}') ORDER BY (k) COMMENT 'SETTINGS x'\n" +
				"CREATE TABLE t ON CLUSTER c1 AS t_local\nENGINE = Distributed(c1, currentDatabase(), t_local, cityHash64(k))"},
		// A view's string, quoted name and comment that read like reads.
		{"CREATE MATERIALIZED VIEW m TO address_activity AS SELECT 'FROM blocks' AS a, 1 AS `JOIN logs` /* FROM logs */ FROM transactions",
			"CREATE MATERIALIZED VIEW m ON CLUSTER c1 TO address_activity AS SELECT 'FROM blocks' AS a, 1 AS `JOIN logs`   FROM transactions_local"},
		{"CREATE VIEW v AS SELECT 'ENGINE = Memory' AS e", "CREATE VIEW v ON CLUSTER c1 AS SELECT 'ENGINE = Memory' AS e"},
		// Quoted table names are the tables.
		{"ALTER TABLE `logs` DELETE WHERE data = 'FROM blocks'", "ALTER TABLE `logs_local` ON CLUSTER c1 DELETE WHERE data = 'FROM blocks'"},
		{`DELETE FROM eth."blocks" WHERE 1`, "DELETE FROM eth.`blocks_local` ON CLUSTER c1 WHERE 1"},
		// A name in a string is not the name.
		{"DELETE FROM other WHERE x = 'blocks'", "DELETE FROM other WHERE x = 'blocks'"},
	} {
		out, err := f.Rewrite(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if got := strings.Join(out, "\n"); got != c.want {
			t.Errorf("%q:\n got %q\nwant %q", c.in, got, c.want)
		}
	}
	// An insert is an insert with a comment before it.
	var seen []Statement
	shadow := Shadow(&recordConn{}, f, func(s Statement) { seen = append(seen, s) })
	_ = shadow.Exec(WithInsertToken(context.Background(), "tok"), "/* batch */ INSERT INTO blocks (number) VALUES (1)")
	if len(seen) != 1 || seen[0].Settings["insert_deduplication_token"] != "tok" {
		t.Errorf("insert after a comment: %+v", seen)
	}
}
