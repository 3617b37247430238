package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/ethidx/ethidx/internal/anvil"
)

// anvilTraffic sends n transactions through anvil from its funded
// accounts, which it signs itself (eth_sendTransaction): value transfers of
// types 0 and 2, and contract creations whose init code emits a log. Each
// is mined into its own block (automine), with empty blocks mined between
// some of them. It returns n.
func anvilTraffic(t *testing.T, c *rpc.Client, n int) int {
	t.Helper()
	var accounts []common.Address
	if err := c.Call(&accounts, "eth_accounts"); err != nil || len(accounts) < 3 {
		t.Fatalf("eth_accounts: %v %v", accounts, err)
	}
	var last common.Hash
	for i := 0; i < n; i++ {
		tx := map[string]any{"from": accounts[i%3]}
		switch i % 3 {
		case 0:
			tx["to"], tx["value"], tx["gasPrice"] = accounts[(i+1)%3], hexutil.Uint64(1000+i), hexutil.Uint64(3e9)
		case 1:
			tx["to"], tx["value"], tx["maxFeePerGas"], tx["maxPriorityFeePerGas"] = accounts[(i+1)%3], hexutil.Uint64(i), hexutil.Uint64(3e9), hexutil.Uint64(1e9)
		default:
			// PUSH1 0 PUSH1 0 LOG0 STOP: a creation that logs and deploys no code.
			tx["data"], tx["gas"] = "0x60006000a000", hexutil.Uint64(100000)
		}
		if err := c.Call(&last, "eth_sendTransaction", tx); err != nil {
			t.Fatalf("sending transaction %d: %v", i, err)
		}
		if i%4 == 3 {
			if err := c.Call(nil, "anvil_mine", hexutil.Uint64(2)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n > 0 {
		anvil.Receipt(t, c, last) // automine answers before the block is in
	}
	return n
}

func anvilHead(t *testing.T, c *rpc.Client) uint64 {
	t.Helper()
	var n hexutil.Uint64
	if err := c.Call(&n, "eth_blockNumber"); err != nil {
		t.Fatal(err)
	}
	return uint64(n)
}

// anvil, a real third-party node as developers run it: its blocks prove
// against their headers (--verify roots); a backfill and a follower index
// exactly the transactions sent; and a follower under --finality latest
// that indexed a branch anvil then reverted converges to the new canonical
// chain, equal to a clean backfill of it.
func TestAnvil(t *testing.T) {
	t.Parallel()
	url, c := anvil.Start(t)
	sent := anvilTraffic(t, c, 12)
	var snap hexutil.Big
	if err := c.Call(&snap, "evm_snapshot"); err != nil {
		t.Fatal(err)
	}
	sent += anvilTraffic(t, c, 6) // a branch about to be dropped
	followed := t.TempDir()
	follow := []string{"--data-dir", followed, "--http-addr", "127.0.0.1:0", "follow", "--rpc", url,
		"--finality", "latest", "--start", "0", "--once"}
	if out, code := run(t, 2*time.Minute, follow...); code != 0 {
		t.Fatalf("follow: exit %d\n%s", code, out)
	}
	var reverted bool
	if err := c.Call(&reverted, "evm_revert", snap); err != nil || !reverted {
		t.Fatalf("evm_revert: %v %v", reverted, err)
	}
	sent -= 6
	sent += anvilTraffic(t, c, 9) // the new branch, longer than the old
	if out, code := run(t, 2*time.Minute, follow...); code != 0 || !strings.Contains(out, "reorg") {
		t.Fatalf("follow after the revert: exit %d, want 0 with a reorg repaired\n%s", code, out)
	}
	head := anvilHead(t, c)
	clean := t.TempDir()
	if out, code := run(t, 2*time.Minute, "--data-dir", clean, "--http-addr", "127.0.0.1:0", "backfill", "--rpc", url,
		"--from", "0", "--to", strconv.FormatUint(head, 10)); code != 0 {
		t.Fatalf("backfill: exit %d\n%s", code, out)
	}
	out, code := run(t, time.Minute, "--data-dir", clean, "--http-addr", "127.0.0.1:0", "sql",
		"SELECT count() FROM transactions FINAL", "--format", "tsv")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || lines[len(lines)-1] != strconv.Itoa(sent) {
		t.Fatalf("transactions stored: %q (exit %d), want %d", out, code, sent)
	}
	a, b := snapshotDir(t, followed), snapshotDir(t, clean)
	if len(a) == 0 {
		t.Fatal("empty snapshot")
	}
	for k, v := range b {
		if k == "writer_claims" {
			continue
		}
		if a[k] != v {
			t.Errorf("table %s: follower through the revert differs from a clean backfill", k)
		}
	}
}
