package rpcsource

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
)

// fixturesDir finds the mainnet fixtures: $ETHIDX_FIXTURES, else the shared
// dir beside the repository (where CI puts it).
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

type fixture struct {
	number          uint64
	block, receipts []byte
}

// loadFixtures reads the blocks of mainnet/ and of mainnet-extra/ beside
// it: the folders are kept apart on disk (tests written for the first one
// keep their meaning), so they are combined here.
func loadFixtures(t testing.TB) []fixture {
	dir := fixturesDir(t)
	out := loadFixtureDir(t, dir)
	extra := filepath.Join(filepath.Dir(dir), "mainnet-extra")
	if _, err := os.Stat(extra); err != nil {
		t.Fatalf("no fixtures at %s: %v", extra, err)
	}
	out = append(out, loadFixtureDir(t, extra)...)
	sort.Slice(out, func(i, j int) bool { return out[i].number < out[j].number })
	return out
}

func loadFixtureDir(t testing.TB, dir string) []fixture {
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []fixture
	for _, e := range ents {
		n, err := strconv.ParseUint(e.Name(), 10, 64)
		if err != nil || !e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name(), "block.json"))
		if err != nil {
			t.Fatal(err)
		}
		r, err := os.ReadFile(filepath.Join(dir, e.Name(), "receipts.json"))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fixture{n, b, r})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].number < out[j].number })
	if len(out) == 0 {
		t.Fatalf("no fixtures in %s", dir)
	}
	return out
}
