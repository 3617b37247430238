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
// transactions and logs carry schema/embedded/tuning.sql's settings, and
// that they take effect: a batch of 16 MB of transactions, which the
// engine's default would write as a wide part (two files per column
// stream), is one compact part.
func TestEmbeddedTablesTunedForLoading(t *testing.T) {
	conn, _ := chsinktest.Conn(t)
	ctx := context.Background()
	for _, table := range []string{"transactions", "logs"} {
		for _, w := range []string{"min_bytes_for_wide_part = 134217728", "merge_selector_base = 10"} {
			if ddl := tableDDL(t, conn, table); !strings.Contains(ddl, w) {
				t.Errorf("%s lacks %q: %s", table, w, ddl)
			}
		}
	}
	blocks := chsinktest.Blocks(1, 4, 0)
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
		"ALTER TABLE transactions RESET SETTING merge_selector_base",
	} {
		if err := conn.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	if ddl := tableDDL(t, conn, "transactions"); strings.Contains(ddl, "merge_selector_base") {
		t.Fatalf("RESET SETTING left the setting in the definition: %s", ddl)
	}
	if err := schema.TuneEmbedded(ctx, conn); err != nil {
		t.Fatal(err)
	}
	ddl := tableDDL(t, conn, "transactions")
	if !strings.Contains(ddl, "min_bytes_for_wide_part = 0") {
		t.Errorf("the hand-set value was replaced: %s", ddl)
	}
	if !strings.Contains(ddl, "merge_selector_base = 10") {
		t.Errorf("a setting the table lacked was not applied: %s", ddl)
	}
}
