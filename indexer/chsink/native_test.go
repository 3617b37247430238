package chsink

import (
	"context"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
)

// A Native insert the engine refuses fails with the engine's code and
// message, as the driver's would.
func TestInsertNativeError(t *testing.T) {
	conn, _ := chsinktest.Conn(t)
	ni, ok := conn.(NativeInserter)
	if !ok {
		t.Fatalf("the embedded engine's own connection (%T) takes no Native inserts", conn)
	}
	nb := newNativeBlock([]clickhouse.ColumnNameAndType{{Name: "a", Type: "UInt64"}}, 1, nil)
	if err := nb.column(0, []uint64{7}); err != nil {
		t.Fatal(err)
	}
	err := ni.InsertNative(context.Background(), "INSERT INTO no_such_table (a) FORMAT Native", nil, nb.buf)
	var ex *clickhouse.Exception
	if !errors.As(err, &ex) || ex.Code != 60 || !strings.Contains(ex.Message, "no_such_table") || strings.HasPrefix(ex.Message, "Code:") {
		t.Fatalf("got %v (%#v), want the engine's UNKNOWN_TABLE (60) naming the table", err, ex)
	}
}

// Values the driver refuses are refused here too, naming the column.
func TestNativeBlockRefuses(t *testing.T) {
	types := []clickhouse.ColumnNameAndType{{Name: "v", Type: "UInt256"}, {Name: "h", Type: "FixedString(4)"}}
	for name, tc := range map[string]struct {
		col int
		v   any
	}{
		"negative UInt256":        {0, []*big.Int{big.NewInt(-1)}},
		"UInt256 over 256 bits":   {0, []*big.Int{new(big.Int).Lsh(big.NewInt(1), 256)}},
		"a type the column lacks": {1, []uint64{1}},
		"too few values":          {1, [][]byte{}},
	} {
		nb := newNativeBlock(types, 1, nil)
		if err := nb.column(tc.col, tc.v); err == nil || !strings.Contains(err.Error(), types[tc.col].Name) {
			t.Errorf("%s: got %v, want an error naming column %s", name, err, types[tc.col].Name)
		}
	}
	nb := newNativeBlock(types, 2, nil)
	if err := nb.column(1, [][]byte{[]byte("abcdef"), nil}); err != nil {
		t.Fatal(err)
	}
	if got := string(nb.buf[len(nb.buf)-8:]); got != "abcd\x00\x00\x00\x00" {
		t.Errorf("FixedString(4) of abcdef and nil: %q, want cut and zero-padded", got)
	}
}
