package sqltext_test

import (
	"testing"

	"github.com/ethidx/ethidx/sqltext"
)

func TestStripComments(t *testing.T) {
	for in, want := range map[string]string{
		"DELETE FROM blocks WHERE number > 5 -- runs on cluster later": "DELETE FROM blocks WHERE number > 5",
		"/* lead */ DELETE FROM logs WHERE 1":                          "DELETE FROM logs WHERE 1",
		"SELECT '-- not a comment' AS s":                               "SELECT '-- not a comment' AS s",
		"SELECT 1 /* a /* nested */ ON CLUSTER c */ FROM t":            "SELECT 1   FROM t",
		"-- head\nCREATE TABLE t\n-- between\n(x UInt8)  \n# hash\n":   "CREATE TABLE t\n(x UInt8)",
		"SELECT `a--b`, 'it''s /* not */', \"q\\\"-- no\" FROM t":      "SELECT `a--b`, 'it''s /* not */', \"q\\\"-- no\" FROM t",
		"SELECT 1 /* unterminated":                                     "SELECT 1",
	} {
		if got := sqltext.StripComments(in); got != want {
			t.Errorf("StripComments(%q) = %q, want %q", in, got, want)
		}
	}
}
