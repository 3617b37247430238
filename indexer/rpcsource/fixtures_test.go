package rpcsource

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/ethidx/ethidx/internal/fixtures"
)

type fixture struct {
	number          uint64
	block, receipts []byte
}

// loadFixtures reads the blocks of mainnet/ and of mainnet-extra/: the
// folders are kept apart on disk (tests written for the first one keep
// their meaning), so they are combined here.
func loadFixtures(t testing.TB) []fixture {
	out := loadFixtureDir(t, fixtures.Dir(t, fixtures.Mainnet))
	out = append(out, loadFixtureDir(t, fixtures.Dir(t, fixtures.MainnetExtra))...)
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
		b := fixtures.MustRead(t, filepath.Join(dir, e.Name(), "block.json"))
		r := fixtures.MustRead(t, filepath.Join(dir, e.Name(), "receipts.json"))
		out = append(out, fixture{n, b, r})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].number < out[j].number })
	if len(out) == 0 {
		t.Fatalf("no fixtures in %s", dir)
	}
	return out
}
