package queries_test

import (
	"path/filepath"
	"testing"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/rpcsource"
	"github.com/ethidx/ethidx/internal/fixtures"
	"github.com/ethidx/ethidx/queries/querytest"
)

// Every definition's daily figures on real mainnet blocks (token
// transfers of every standard, zero-amount transfers, mints and burns, two
// failed creations) equal the recomputation from the decoded receipts in
// querytest, whose token decoding is go-ethereum's.
func TestDefinitionsOnMainnetFixtures(t *testing.T) {
	conn := open(t)
	var blocks []*indexer.Block
	for _, n := range []uint64{15537393, 15537394, 17034869, 17034870, 19426586, 19426587, 22431083, 22431084, 22869878} {
		dir := fixtures.Block(t, fixtures.MainnetExtra, n)
		b, err := rpcsource.DecodeBlock(fixtures.MustRead(t, filepath.Join(dir, "block.json")),
			fixtures.MustRead(t, filepath.Join(dir, "receipts.json")), rpcsource.ProofRoots)
		if err != nil {
			t.Fatal(err)
		}
		blocks = append(blocks, b)
	}
	write(t, conn, blocks)
	want := querytest.ExpectDaily(blocks)
	var tokenOnly uint64
	for _, d := range want {
		tokenOnly += d.ActiveAllParties - d.ActiveAddresses
	}
	if tokenOnly == 0 {
		t.Fatal("no token-only parties in the fixtures: the test would prove nothing")
	}
	checkDaily(t, "mainnet fixtures", daily(t, conn), want)
	checkMonthly(t, "mainnet fixtures", monthly(t, conn), querytest.ExpectMonthly(want))
}
