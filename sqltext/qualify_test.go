package sqltext_test

import (
	"testing"

	"github.com/ethidx/ethidx/sqltext"
)

func TestQualify(t *testing.T) {
	known := func(n string) bool { return n == "blocks" || n == "_daily" || n == "v" }
	for _, tc := range []struct{ in, db, want string }{
		{"SELECT * FROM blocks", "eth", "SELECT * FROM eth.blocks"},
		{"select 1 from blocks join blocks on 1", "eth", "select 1 from eth.blocks join eth.blocks on 1"},
		{"SELECT * FROM other.blocks JOIN x.blocks ON 1", "eth", "SELECT * FROM other.blocks JOIN x.blocks ON 1"},
		{"SELECT * FROM numbers(3) JOIN logs ON 1", "eth", "SELECT * FROM numbers(3) JOIN logs ON 1"},
		{"SELECT day FROM _daily(from = {from:Date}, to = today())", "eth", "SELECT day FROM eth._daily(from = {from:Date}, to = today())"},
		{"CREATE VIEW IF NOT EXISTS v AS SELECT blocks FROM blocks", "my-db", "CREATE VIEW IF NOT EXISTS `my-db`.v AS SELECT blocks FROM `my-db`.blocks"},
		{"CREATE TABLE blocks (n UInt64)", "eth", "CREATE TABLE eth.blocks (n UInt64)"},
		{"SELECT 'FROM blocks' -- from blocks\nFROM `blocks`", "eth", "SELECT 'FROM blocks' -- from blocks\nFROM `blocks`"},
		{"SELECT * FROM", "eth", "SELECT * FROM"},
	} {
		if got := sqltext.Qualify(tc.in, tc.db, known); got != tc.want {
			t.Errorf("Qualify(%q, %q):\n got %q\nwant %q", tc.in, tc.db, got, tc.want)
		}
	}
}

func TestHasPhrase(t *testing.T) {
	for _, tc := range []struct {
		sql   string
		words []string
		want  bool
	}{
		{"ALTER TABLE t ON CLUSTER c DELETE WHERE 1", []string{"ON", "CLUSTER"}, true},
		{"alter table t on\n/* x */ cluster c", []string{"ON", "CLUSTER"}, true},
		{"ALTER TABLE t UPDATE x = 'ON CLUSTER' WHERE 1", []string{"ON", "CLUSTER"}, false},
		{"SELECT 1 -- ON CLUSTER", []string{"ON", "CLUSTER"}, false},
		{"SELECT `on` cluster", []string{"ON", "CLUSTER"}, false},
		{"ALTER TABLE t MODIFY SETTINGS x = 1", []string{"SETTING"}, false},
		{"ALTER TABLE t DROP PARTITION 1", []string{"PARTITION"}, true},
	} {
		if got := sqltext.HasPhrase(tc.sql, tc.words...); got != tc.want {
			t.Errorf("HasPhrase(%q, %q) = %v, want %v", tc.sql, tc.words, got, tc.want)
		}
	}
}
