package replay

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// fixturesDir finds the mainnet fixtures: $ETHIDX_FIXTURES, else the shared
// dir beside the repository.
func fixturesDir(t testing.TB) string {
	if d := os.Getenv("ETHIDX_FIXTURES"); d != "" {
		return d
	}
	d, _ := filepath.Abs("../../../shared/fixtures/mainnet")
	if _, err := os.Stat(d); err != nil {
		t.Fatalf("no fixtures at %s: shared/ must sit beside the repository (or set ETHIDX_FIXTURES)", d)
	}
	return d
}

func TestGenerateValidJSON(t *testing.T) {
	s := New(Options{})
	if err := s.Generate(GenOptions{From: 100, Count: 5, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	for n := uint64(100); n < 105; n++ {
		b, r, ok := s.BlockJSON(n)
		if !ok {
			t.Fatalf("block %d missing", n)
		}
		if !json.Valid(b) || !json.Valid(r) {
			t.Fatalf("block %d: invalid JSON", n)
		}
		e := s.lookupAny(n)
		if !json.Valid(e.header) {
			t.Fatalf("block %d: invalid header JSON", n)
		}
		for i, h := range e.txHashes {
			loc, ok := s.findTx(h)
			if !ok || loc.block != n || loc.index != i {
				t.Fatalf("findTx(%d/%d) = %v %v", n, i, loc, ok)
			}
		}
	}
}

func TestLoadFixtures(t *testing.T) {
	s := New(Options{})
	n, err := s.LoadFixtures(fixturesDir(t))
	if err != nil {
		t.Fatal(err)
	}
	if n != 9 {
		t.Fatalf("loaded %d fixtures, want 9", n)
	}
	if h := s.Head(); h != 19433903 {
		t.Fatalf("head %d", h)
	}
}
