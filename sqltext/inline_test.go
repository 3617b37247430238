package sqltext_test

import (
	"strings"
	"testing"

	"github.com/ethidx/ethidx/sqltext"
)

func TestInline(t *testing.T) {
	views := map[string]string{
		"span":  "SELECT number FROM blocks WHERE day >= {d1:Date} AND day < {d2:Date} -- trailing",
		"outer": "SELECT * FROM span(d1 = {a:Date}, d2 = {a:Date} + 1) AS s JOIN span(d1 = toDate('2026-01-01'), d2 = f(1, 2)) t ON 1",
		"loop":  "SELECT * FROM loop(x = 1)",
	}
	lookup := func(n string) (string, bool) { q, ok := views[n]; return q, ok }
	for _, tc := range []struct{ in, want string }{
		{"SELECT * FROM blocks", "SELECT * FROM blocks"},
		{"SELECT 'FROM span(d1 = 1)' FROM numbers(3)", "SELECT 'FROM span(d1 = 1)' FROM numbers(3)"},
		{"SELECT * FROM `span`(d1 = 1, d2 = 2)", "SELECT * FROM `span`(d1 = 1, d2 = 2)"},
		{"SELECT * FROM span(d1 = {x:Date}, d2 = today()) AS s",
			"SELECT * FROM (\nSELECT number FROM blocks WHERE day >= {x:Date} AND day < CAST((today()) AS Date) -- trailing\n) AS s"},
		{"SELECT * FROM span(d1 = {x:UInt8}, d2 = (1, 2).1)",
			"SELECT * FROM (\nSELECT number FROM blocks WHERE day >= CAST(({x:UInt8}) AS Date) AND day < CAST(((1, 2).1) AS Date) -- trailing\n)"},
		{"SELECT 1 FROM outer(a = {a:Date})",
			"SELECT 1 FROM (\nSELECT * FROM (\nSELECT number FROM blocks WHERE day >= {a:Date} AND day < CAST(({a:Date} + 1) AS Date) -- trailing\n) AS s JOIN (\n" +
				"SELECT number FROM blocks WHERE day >= CAST((toDate('2026-01-01')) AS Date) AND day < CAST((f(1, 2)) AS Date) -- trailing\n) t ON 1\n)"},
	} {
		got, err := sqltext.Inline(tc.in, lookup)
		if err != nil {
			t.Errorf("Inline(%q): %v", tc.in, err)
		} else if got != tc.want {
			t.Errorf("Inline(%q):\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
	for _, in := range []string{
		"SELECT * FROM loop(x = 1)",         // calls itself
		"SELECT * FROM span(d1 = 1)",        // d2 has no value
		"SELECT * FROM span(1, 2)",          // not name = value
		"SELECT * FROM span(d1 = 1, d2 = 2", // unclosed
	} {
		if got, err := sqltext.Inline(in, lookup); err == nil {
			t.Errorf("Inline(%q) = %q, want an error", in, got)
		}
	}
}

func TestViewQuery(t *testing.T) {
	name, query, ok := sqltext.ViewQuery("-- doc\nCREATE OR REPLACE VIEW _daily AS\nSELECT {d:Date}")
	if !ok || name != "_daily" || strings.TrimSpace(query) != "SELECT {d:Date}" || !sqltext.HasParams(query) {
		t.Errorf("ViewQuery = %q, %q, %v", name, query, ok)
	}
	if _, _, ok := sqltext.ViewQuery("CREATE TABLE t AS SELECT 1"); ok {
		t.Error("ViewQuery took a table for a view")
	}
	if sqltext.HasParams("SELECT '{d:Date}', map('a', 1)") {
		t.Error("HasParams found a parameter in a string")
	}
}
