package replay

import (
	"encoding/json"
	"testing"

	"github.com/ethidx/ethidx/internal/fixtures"
)

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
	n, err := s.LoadFixtures(fixtures.Dir(t, fixtures.Mainnet))
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

// All three fixture folders are served together: the blocks of
// mainnet/ and mainnet-extra/ at their numbers and the era1 file's first
// 16,384 blocks, which hold blocks 1-5 of mainnet-extra/ too (the same
// blocks, so serving either is the same).
func TestLoadAllFixtures(t *testing.T) {
	s := New(Options{})
	n, err := s.LoadJSONL(fixtures.Era1Path(t))
	if err != nil || n != 16384 {
		t.Fatalf("era1: loaded %d blocks, %v", n, err)
	}
	era1 := map[uint64][]byte{}
	for k := uint64(1); k <= 5; k++ {
		b, _, _ := s.BlockJSON(k)
		era1[k] = b
	}
	for _, sub := range []string{fixtures.Mainnet, fixtures.MainnetExtra} {
		if _, err := s.LoadFixtures(fixtures.Dir(t, sub)); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(s.Numbers()); got != 16384+9+44-5 {
		t.Fatalf("serving %d blocks, want 16432", got)
	}
	for k, b := range era1 {
		var x, y struct{ Hash, ParentHash string }
		again, _, _ := s.BlockJSON(k)
		json.Unmarshal(b, &x)
		json.Unmarshal(again, &y)
		if x.Hash == "" || x != y {
			t.Errorf("block %d: era1 says %v, mainnet-extra says %v", k, x, y)
		}
	}
	if h := s.Head(); h != 22869878 {
		t.Fatalf("head %d", h)
	}
}
