package chdb

import "testing"

// A name a later engine adds is refused until catalogue.tsv classifies it,
// even when it looks like an aggregate with a combinator; words the engine
// cannot call (tables, columns) are not.
func TestGuardRefusesUnclassified(t *testing.T) {
	_, cls, err := parseCatalogue(catalogueTSV)
	if err != nil {
		t.Fatal(err)
	}
	g := newHostGuard(cls, [][2]string{
		{"function", "readHostFile"}, {"aggregate", "sum"}, {"function", "file"},
		{"combinator", "If"}, {"combinator", "State"},
	})
	for name, want := range map[string]bool{
		"readhostfile": false, "file": false, "disk": false, "readhostfileif": false,
		"sum": true, "sumif": true, "sumstateif": true, "my_table": true,
	} {
		if got, why := g.callAllowed(name); got != want {
			t.Errorf("callAllowed(%q) = %v (%s), want %v", name, got, why, want)
		}
	}
}
