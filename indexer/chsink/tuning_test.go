package chsink_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ethidx/ethidx/indexer/chsink"
	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
	"github.com/ethidx/ethidx/schema"
)

// TestEmbeddedTablesTunedForLoading checks that the embedded engine's
// tables carry schema/embedded/tuning.sql's settings, and that they take
// effect: a batch of 16 MB of transactions, which the engine's default
// would write as a wide part (two files per column stream), is one compact
// part, and writing and merging it computes no column statistics.
func TestEmbeddedTablesTunedForLoading(t *testing.T) {
	conn, _ := chsinktest.Conn(t)
	ctx := context.Background()
	want := map[string][]string{
		"transactions":       {"min_bytes_for_wide_part = 134217728", "merge_selector_base = 10", "auto_statistics_types = ''"},
		"logs":               {"min_bytes_for_wide_part = 134217728", "merge_selector_base = 10", "auto_statistics_types = ''"},
		"withdrawals":        {"auto_statistics_types = ''"},
		"blocks":             {"auto_statistics_types = ''"},
		"address_activity":   {"auto_statistics_types = ''"},
		"address_first_seen": {"auto_statistics_types = ''"},
	}
	for table, settings := range want {
		for _, w := range settings {
			if ddl := tableDDL(t, conn, table); !strings.Contains(ddl, w) {
				t.Errorf("%s lacks %q: %s", table, w, ddl)
			}
		}
	}
	statsBefore := statisticsMicros(t, conn)

	blocks := testBlocks(1, 4, 0)
	for _, b := range blocks {
		b.Transactions[1].Input = make([]byte, 4<<20)
		for i := range b.Transactions[1].Input {
			b.Transactions[1].Input[i] = byte(i * 7)
		}
	}
	if err := chsink.New(conn).Write(ctx, blocks); err != nil {
		t.Fatal(err)
	}
	var parts uint64
	var kind string
	var bytes uint64
	if err := conn.QueryRow(ctx, `SELECT count(), any(part_type), sum(data_uncompressed_bytes) FROM system.parts
		WHERE database = currentDatabase() AND table = 'transactions' AND active`).Scan(&parts, &kind, &bytes); err != nil {
		t.Fatal(err)
	}
	if parts != 1 || kind != "Compact" || bytes < 16<<20 {
		t.Errorf("transactions: %d parts, %s, %d bytes; want one compact part of at least 16 MiB", parts, kind, bytes)
	}
	// Statistics would be computed as parts are written and merged.
	if err := conn.Exec(ctx, "OPTIMIZE TABLE transactions FINAL"); err != nil {
		t.Fatal(err)
	}
	if d := statisticsMicros(t, conn) - statsBefore; d != 0 {
		t.Errorf("writing and merging the batch spent %d µs computing column statistics, want none", d)
	}
}

// statisticsMicros is the engine's time spent computing column statistics
// of inserted parts so far (a process-wide counter).
func statisticsMicros(t *testing.T, conn driver.Conn) uint64 {
	t.Helper()
	var v uint64
	if err := conn.QueryRow(context.Background(), `SELECT sum(value) FROM system.events
		WHERE event = 'MergeTreeDataWriterStatisticsCalculationMicroseconds'`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func tableDDL(t *testing.T, conn driver.Conn, table string) string {
	t.Helper()
	var ddl string
	if err := conn.QueryRow(context.Background(), "SELECT create_table_query FROM system.tables WHERE database = currentDatabase() AND name = ?", table).Scan(&ddl); err != nil {
		t.Fatal(err)
	}
	return ddl
}

// A setting changed by hand after the tuning stays: opening the data
// directory again does not apply a setting a table names already. A
// setting the table does not name (one added to tuning.sql after the table
// was tuned) is applied, and the others are left alone.
func TestEmbeddedTuningAppliedOnce(t *testing.T) {
	conn, _ := chsinktest.Conn(t)
	ctx := context.Background()
	for _, stmt := range []string{
		"ALTER TABLE transactions MODIFY SETTING min_bytes_for_wide_part = 0",
		"ALTER TABLE transactions RESET SETTING auto_statistics_types",
	} {
		if err := conn.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	if ddl := tableDDL(t, conn, "transactions"); strings.Contains(ddl, "auto_statistics_types") {
		t.Fatalf("RESET SETTING left the setting in the definition: %s", ddl)
	}
	if err := schema.TuneEmbedded(ctx, conn); err != nil {
		t.Fatal(err)
	}
	ddl := tableDDL(t, conn, "transactions")
	if !strings.Contains(ddl, "min_bytes_for_wide_part = 0") {
		t.Errorf("the hand-set value was replaced: %s", ddl)
	}
	if !strings.Contains(ddl, "auto_statistics_types = ''") {
		t.Errorf("a setting the table lacked was not applied: %s", ddl)
	}
}
