package chsink

import (
	"context"
	"strings"
	"testing"

	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
)

// The types handed to the driver for each insert are the migrated
// schema's, for every column the sink writes, in its order; a table
// without one of them is an error, not a guess.
func TestColumnTypes(t *testing.T) {
	conn, _ := chsinktest.Conn(t)
	s := New(conn)
	ctx := context.Background()
	want := map[string]string{"hash": "FixedString(32)", "to": "Nullable(FixedString(20))", "value": "UInt256",
		"topic3": "Nullable(FixedString(32))", "amount_gwei": "UInt64", "base_fee_per_gas": "Nullable(UInt256)"}
	for table, list := range columns {
		types, err := s.columnTypes(ctx, table)
		if err != nil {
			t.Fatal(err)
		}
		names := strings.Split(list, ", ")
		if len(types) != len(names) {
			t.Fatalf("%s: %d types for %d columns", table, len(types), len(names))
		}
		for i, c := range types {
			if c.Name != names[i] || c.Type == "" {
				t.Errorf("%s column %d: %+v, want %s", table, i, c, names[i])
			}
			if w, ok := want[c.Name]; ok && c.Type != w {
				t.Errorf("%s.%s: %s, want %s", table, c.Name, c.Type, w)
			}
		}
	}
	if err := conn.Exec(ctx, "CREATE TABLE narrow (block_number UInt64) ENGINE = Memory"); err != nil {
		t.Fatal(err)
	}
	columns["narrow"] = "block_number, block_hash"
	defer delete(columns, "narrow")
	if _, err := s.columnTypes(ctx, "narrow"); err == nil || !strings.Contains(err.Error(), "no column block_hash") {
		t.Errorf("a missing column: %v", err)
	}
}
