package main

import (
	"context"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ethidx/ethidx/indexer/chdb"
	"github.com/ethidx/ethidx/indexer/devchain"
)

// servedChain is a dev chain of the given seed, traffic and genesis time,
// mined to height blocks and served over RPC.
func servedChain(t *testing.T, cfg devchain.Config, height uint64) (*devchain.Chain, string) {
	t.Helper()
	cfg.BlockInterval, cfg.FinalizedDepth, cfg.SafeDepth = 12*time.Second, 100, 50
	chain, err := devchain.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { chain.Close() })
	for chain.Head().Number.Uint64() < height {
		if _, err := chain.Mine(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	addr, err := chain.ServeRPC(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return chain, "http://" + addr
}

// engineQuery answers q (TSV) from the data dir, opened in this process:
// it works on a store the commands refuse as damaged.
func engineQuery(t *testing.T, dir, q string) string {
	t.Helper()
	inProcessEngine.Lock()
	defer inProcessEngine.Unlock()
	eng, err := chdb.Open(dir, chdb.Options{})
	if err != nil {
		t.Fatalf("opening %s: %v", dir, err)
	}
	defer eng.Close()
	out, err := eng.Query(context.Background(), q, "TSV", nil)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// A second dev chain with the same chain id and another genesis is refused
// before any row is written (exit 2), also once the chain table's part is
// gone (the completion ledger keeps the binding), and once the ledger's is
// gone too (blocks with no record of their chain bind to no node; the
// store does not hold block 0, which would tell the chain on its own).
func TestAnotherChainWithTheSameIDIsRefused(t *testing.T) {
	t.Parallel()
	start := time.Now().Add(-24 * time.Hour).Truncate(time.Hour)
	_, rpcA := servedChain(t, devchain.Config{Seed: 5, MinTxs: 3, MaxTxs: 6, GenesisTime: start}, 40)
	_, rpcB := servedChain(t, devchain.Config{Seed: 5, MinTxs: 3, MaxTxs: 6, GenesisTime: start.Add(time.Hour)}, 40)
	dir := t.TempDir()
	base := []string{"--data-dir", dir, "--http-addr", "127.0.0.1:0"}
	if out, code := run(t, 3*time.Minute, append(base, "backfill", "--rpc", rpcA, "--from", "1", "--to", "30", "--batch", "10")...); code != 0 {
		t.Fatalf("backfill of chain A: exit %d\n%s", code, out)
	}
	if out, code := run(t, time.Minute, append(base, "status")...); code != 0 || !strings.Contains(out, "(chain 1337, genesis 0x") {
		t.Fatalf("status does not name the chain and genesis the store is bound to (exit %d):\n%s", code, out)
	}
	const rows = "SELECT (SELECT count() FROM eth.blocks), (SELECT count() FROM eth.transactions), (SELECT count() FROM eth.ranges_done), (SELECT count() FROM eth.range_ledger)"
	before := engineQuery(t, dir, rows)
	refused := func(what, want string) {
		t.Helper()
		out, code := run(t, 3*time.Minute, append(base, "backfill", "--rpc", rpcB, "--from", "31", "--to", "40")...)
		if code != 2 || !strings.Contains(out, want) {
			t.Fatalf("%s: backfill of chain B (same id, other genesis): exit %d, want 2 saying %q\n%s", what, code, want, out)
		}
		if after := engineQuery(t, dir, rows); after != before {
			t.Fatalf("%s: the refused backfill wrote rows: %s, before %s", what, after, before)
		}
	}
	refused("bound store", "another chain with the same id")
	// verify names no repair that would mix the chains: it refuses too.
	if out, code := run(t, 3*time.Minute, append(base, "verify", "--rpc", rpcB, "--from", "1", "--to", "30")...); code != 2 ||
		!strings.Contains(out, "another chain with the same id") || strings.Contains(out, "--repair") {
		t.Fatalf("verify against chain B: exit %d, want 2 saying it is another chain\n%s", code, out)
	}
	for _, table := range []string{"chain", "range_ledger"} {
		paths, _ := activeParts(t, dir, table)
		for _, p := range paths {
			if err := os.RemoveAll(p); err != nil {
				t.Fatal(err)
			}
		}
		before = engineQuery(t, dir, rows)
		if table == "chain" {
			refused("chain table's part deleted", "another chain with the same id")
		} else {
			refused("chain table's and ledger's parts deleted", "no record of the chain")
		}
	}
}

// After a restart of a dev chain (same genesis, other blocks), verify
// reports the stored blocks as reorged and names the repair; the named
// command repairs them, verify then finds nothing, and the figures equal
// a clean run's.
func TestVerifyNamesTheRepairThatRepairs(t *testing.T) {
	t.Parallel()
	start := time.Now().Add(-24 * time.Hour).Truncate(time.Hour)
	a, rpcA := servedChain(t, devchain.Config{Seed: 7, MinTxs: 3, MaxTxs: 6, GenesisTime: start}, 60)
	b, rpcB := servedChain(t, devchain.Config{Seed: 7, MinTxs: 8, MaxTxs: 12, GenesisTime: start}, 70)
	g0a, _ := a.Client().BlockByNumber(context.Background(), bigZero())
	g0b, _ := b.Client().BlockByNumber(context.Background(), bigZero())
	if g0a.Hash() != g0b.Hash() {
		t.Fatalf("the restarted chain has another genesis (%s, %s): not a restart", g0a.Hash(), g0b.Hash())
	}
	dir := t.TempDir()
	base := []string{"--data-dir", dir, "--http-addr", "127.0.0.1:0"}
	ethidx := func(want int, args ...string) string {
		t.Helper()
		out, code := run(t, 3*time.Minute, append(base, args...)...)
		if code != want {
			t.Fatalf("ethidx %v: exit %d, want %d\n%s", args, code, want, out)
		}
		return out
	}
	ethidx(0, "backfill", "--rpc", rpcA, "--from", "0", "--to", "60", "--batch", "20")
	out := ethidx(1, "verify", "--rpc", rpcB, "--from", "0", "--to", "60")
	named := "ethidx --data-dir " + dir + " backfill --rpc URL --repair --from 1 --to 60"
	if !strings.Contains(out, "reorged") || !strings.Contains(out, "repair: "+named) {
		t.Fatalf("verify after the restart does not report reorged blocks and name %q:\n%s", named, out)
	}
	args := strings.Fields(strings.Replace(named, "URL", rpcB, 1))[1:]
	if out, code := run(t, 3*time.Minute, append(args, "--http-addr", "127.0.0.1:0", "--batch", "20")...); code != 0 {
		t.Fatalf("the named repair: exit %d\n%s", code, out)
	}
	ethidx(0, "verify", "--rpc", rpcB, "--from", "0", "--to", "60")

	clean := t.TempDir()
	if out, code := run(t, 3*time.Minute, "--data-dir", clean, "--http-addr", "127.0.0.1:0", "backfill", "--rpc", rpcB, "--from", "0", "--to", "60"); code != 0 {
		t.Fatalf("clean backfill: exit %d\n%s", code, out)
	}
	for _, q := range [][]string{{"query", "daily_activity", "--format", "csv"}, {"sql", "SELECT count(), sum(cityHash64(hash)), sum(gas_used) FROM transactions FINAL"}} {
		got := ethidx(0, q...)
		want, code := run(t, time.Minute, append([]string{"--data-dir", clean, "--http-addr", "127.0.0.1:0"}, q...)...)
		if code != 0 || got != want {
			t.Errorf("%v after the repair:\n%s\na clean run's (exit %d):\n%s", q, got, code, want)
		}
	}
}

func bigZero() *big.Int { return new(big.Int) }
