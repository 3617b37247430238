package chsink

import (
	"context"
	"strings"
	"testing"

	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
)

// The columns the sink writes are the tables' columns as the migrations
// create them: every stored column is filled (none left to a default by
// an oversight), and none is named that the DDL lacks.
func TestColumnsMatchDDL(t *testing.T) {
	conn, _ := chsinktest.Conn(t)
	for table, list := range columns {
		var ddl []struct {
			Name string `ch:"name"`
		}
		if err := conn.Select(context.Background(), &ddl, `SELECT name FROM system.columns
			WHERE database = currentDatabase() AND table = ? AND default_kind NOT IN ('MATERIALIZED', 'ALIAS', 'EPHEMERAL')
			ORDER BY position`, table); err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, c := range ddl {
			want = append(want, c.Name)
		}
		got := strings.Split(list, ", ")
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: the sink writes\n  %v\nthe DDL has\n  %v", table, got, want)
		}
	}
}
