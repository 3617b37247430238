package schema

import (
	"strings"
	"testing"
)

func TestMigrationsParse(t *testing.T) {
	ms := Migrations()
	if len(ms) < 3 {
		t.Fatalf("got %d migrations, want at least 3", len(ms))
	}
	for i, m := range ms {
		if m.Version != i+1 {
			t.Errorf("migration %d has version %d: versions must be 1..n with no gap", i, m.Version)
		}
		for _, s := range m.Statements {
			if strings.HasSuffix(strings.TrimSpace(s), ";") {
				t.Errorf("%s: statement keeps its semicolon", m.Name)
			}
		}
	}
}

func TestSplitStatements(t *testing.T) {
	got := SplitStatements("-- header\nCREATE TABLE a (x UInt8);\n\n-- b\nCREATE VIEW b AS\nSELECT 1;\ntrailing")
	want := []string{"CREATE TABLE a (x UInt8)", "-- b\nCREATE VIEW b AS\nSELECT 1", "trailing"}
	if len(got) != len(want) {
		t.Fatalf("got %q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("statement %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestPrintCluster(t *testing.T) {
	plain := Print("")
	if strings.Contains(plain, "ON CLUSTER") {
		t.Fatal("plain DDL mentions a cluster")
	}
	ddl := Print("eth_cluster")
	for _, want := range []string{
		"CREATE TABLE IF NOT EXISTS transactions_local ON CLUSTER eth_cluster",
		"ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/transactions_local', '{replica}')",
		"ENGINE = Distributed(eth_cluster, currentDatabase(), transactions_local, intDiv(block_number, 10000))",
		"ENGINE = ReplicatedAggregatingMergeTree(",
		"TO address_activity_local AS",
		"FROM transactions_local",
		"CREATE OR REPLACE VIEW blocks_hex ON CLUSTER eth_cluster",
		"ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/ranges_done_local', '{replica}', written_at)",
		"ALTER TABLE transactions_local ON CLUSTER eth_cluster\n    ADD COLUMN IF NOT EXISTS v UInt256",
		"ALTER TABLE transactions ON CLUSTER eth_cluster\n    ADD COLUMN IF NOT EXISTS v UInt256",
	} {
		if !strings.Contains(ddl, want) {
			t.Errorf("cluster DDL lacks %q", want)
		}
	}
	for _, table := range []string{"blocks", "transactions", "logs", "withdrawals", "address_activity", "address_first_seen", "ranges_done"} {
		if !strings.Contains(ddl, "CREATE TABLE IF NOT EXISTS "+table+" ON CLUSTER eth_cluster AS "+table+"_local") {
			t.Errorf("no Distributed table for %s", table)
		}
	}
}
