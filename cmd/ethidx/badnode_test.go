package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
	"github.com/ethidx/ethidx/indexer/replay"
	"github.com/ethidx/ethidx/internal/fixtures"
)

// A node that lies about one block (receipts of foreign transactions, a
// wrong block, a short receipt list): the backfill fails with exit 1 after
// its retries, names the block and the problem, and writes no row of the
// bad block's batch. Once the node behaves, a rerun completes, and verify
// finds the stored range complete and canonical.
func TestBackfillRefusesBadBlocks(t *testing.T) {
	t.Parallel()
	// The cases are independent (a node and a data dir each) and mostly
	// wait on the backfill's retries: they run side by side.
	for _, tc := range []struct {
		name string
		kind replay.FaultKind
		want string
	}{
		{"foreign receipts", replay.FaultForeignReceipts, "block 25"},
		{"wrong block", replay.FaultWrongBlock, "block 25"},
		{"short receipts", replay.FaultShortReceipts, "block 25"},
		{"truncated answer", replay.FaultTruncate, "block"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := replay.New(replay.Options{})
			if err := srv.Generate(replay.GenOptions{From: 1, Count: 40, TxPerBlock: 20, Seed: 9}); err != nil {
				t.Fatal(err)
			}
			srv.AddFault(replay.Fault{Kind: tc.kind, Blocks: []uint64{25}})
			url, stop, err := srv.Start("127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			dir := t.TempDir()
			args := []string{"--data-dir", dir, "--http-addr", "127.0.0.1:0", "backfill", "--rpc", url,
				"--from", "1", "--to", "40", "--batch", "10", "--workers", "1"}
			out, code := run(t, 3*time.Minute, args...)
			if code != 1 || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d, want 1 naming %q; output:\n%s", code, tc.want, out)
			}
			if strings.Contains(out, "backfill finished") || !strings.Contains(out, "backfill stopped before the end of its range") {
				t.Errorf("a failed backfill must say it stopped, not that it finished; output:\n%s", out)
			}
			// The blocks as a reader sees them (FINAL), as a snapshot counts
			// them; the snapshot's saved views cost seconds and tell nothing
			// here.
			if got := engineQuery(t, dir, "SELECT count() FROM eth.blocks FINAL"); got != "20" {
				t.Errorf("stored blocks %s, want exactly the 20 before the bad batch", got)
			}
			srv.ClearFaults()
			if out, code := run(t, 3*time.Minute, args...); code != 0 || !strings.Contains(out, "backfill finished") {
				t.Fatalf("rerun after the node recovered: exit %d, want 0 and 'backfill finished'\n%s", code, out)
			}
			out, code = run(t, 3*time.Minute, "--data-dir", dir, "--http-addr", "127.0.0.1:0", "verify", "--rpc", url, "--from", "1", "--to", "40")
			if code != 0 || !strings.Contains(out, "all present, canonical and complete") {
				t.Errorf("verify after recovery: exit %d\n%s", code, out)
			}
		})
	}
}

// A data dir loaded from one chain refuses a node of another chain with
// exit 2 and writes nothing; so does a failover list mixing two chains.
func TestBackfillRefusesAnotherChain(t *testing.T) {
	t.Parallel()
	serveChain := func(id uint64) string {
		srv := replay.New(replay.Options{ChainID: id})
		if err := srv.Generate(replay.GenOptions{From: 1, Count: 10, TxPerBlock: 5, Seed: id}); err != nil {
			t.Fatal(err)
		}
		url, stop, err := srv.Start("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
		return url
	}
	mainnet, sepolia := serveChain(1), serveChain(11155111)
	dir := t.TempDir()
	backfill := func(rpc string) (string, int) {
		return run(t, 3*time.Minute, "--data-dir", dir, "--http-addr", "127.0.0.1:0", "backfill", "--rpc", rpc, "--from", "1", "--to", "10")
	}
	if out, code := backfill(mainnet); code != 0 {
		t.Fatalf("backfill from chain 1: exit %d\n%s", code, out)
	}
	before := snapshotDir(t, dir)
	out, code := backfill(sepolia)
	if code != 2 || !strings.Contains(out, "holds chain 1, but the node serves chain 11155111") {
		t.Errorf("backfill from chain 11155111 into a chain-1 store: exit %d, want 2 naming both chains; output:\n%s", code, out)
	}
	out, code = backfill(mainnet + "," + sepolia)
	if code != 2 || !strings.Contains(out, "every --rpc URL must serve the same chain") {
		t.Errorf("backfill from a mixed failover list: exit %d, want 2; output:\n%s", code, out)
	}
	chsinktest.Same(t, "after the refused loads vs before them", snapshotDir(t, dir), before)

	// A node that cannot tell its chain id is indexed all the same.
	srv := replay.New(replay.Options{})
	if err := srv.Generate(replay.GenOptions{From: 1, Count: 10, TxPerBlock: 5, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	srv.AddFault(replay.Fault{Kind: replay.FaultNull, Method: "eth_chainId"})
	url, stop, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	out, code = run(t, 3*time.Minute, "--data-dir", t.TempDir(), "--http-addr", "127.0.0.1:0", "backfill", "--rpc", url, "--from", "1", "--to", "10")
	if code != 0 || !strings.Contains(out, "could not read the node's chain id") {
		t.Errorf("backfill from a node without eth_chainId: exit %d, want 0 with a warning; output:\n%s", code, out)
	}
}

// A node that changes a transaction's value in a real block, keeping its
// hash: backfill refuses it with exit 1 after its retries, naming the
// block, the check and the node, and stores nothing. --verify structure,
// for chains that hash differently, lets it through.
func TestBackfillRefusesChangedContent(t *testing.T) {
	t.Parallel()
	dir := fixtures.Block(t, fixtures.Mainnet, 19433903)
	blockJSON := fixtures.MustRead(t, filepath.Join(dir, "block.json"))
	receiptsJSON := fixtures.MustRead(t, filepath.Join(dir, "receipts.json"))
	var b map[string]any
	if err := json.Unmarshal(blockJSON, &b); err != nil {
		t.Fatal(err)
	}
	tx := b["transactions"].([]any)[0].(map[string]any)
	tx["value"] = strings.Replace(tx["value"].(string), "0x", "0x1", 1)
	changed, _ := json.Marshal(b)
	srv := replay.New(replay.Options{})
	if err := srv.AddBlock(changed, receiptsJSON); err != nil {
		t.Fatal(err)
	}
	url, stop, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	data := t.TempDir()
	args := []string{"--data-dir", data, "--http-addr", "127.0.0.1:0", "backfill", "--rpc", url, "--from", "19433903", "--to", "19433903"}
	out, code := run(t, 3*time.Minute, args...)
	if code != 1 || !strings.Contains(out, "block 19433903: verifying transaction hash: transaction 0 hashes to") ||
		!strings.Contains(out, "(node http://127.0.0.1:") {
		t.Fatalf("exit %d, want 1 naming the block, the check and the node; output:\n%s", code, out)
	}
	// The rows as a reader sees them (FINAL), as a snapshot counts them;
	// the snapshot's saved views cost seconds and tell nothing here.
	tables := []string{"blocks", "transactions", "logs", "withdrawals"}
	var counts []string
	for _, table := range tables {
		counts = append(counts, "(SELECT count() FROM eth."+table+" FINAL)")
	}
	got := strings.Split(engineQuery(t, data, "SELECT "+strings.Join(counts, ", ")), "\t")
	if len(got) != len(tables) {
		t.Fatalf("row counts %q, want one for each of %s", got, tables)
	}
	for i, n := range got {
		if n != "0" {
			t.Errorf("%s after the refusal: %s rows, want none", tables[i], n)
		}
	}
	if out, code := run(t, 3*time.Minute, append(args, "--verify", "structure")...); code != 0 {
		t.Fatalf("--verify structure: exit %d\n%s", code, out)
	}
}

// verify of a range never stored says so, without asking the node for
// each of its blocks.
func TestVerifyNothingStored(t *testing.T) {
	t.Parallel()
	srv := replay.New(replay.Options{})
	if err := srv.Generate(replay.GenOptions{From: 1, Count: 40, TxPerBlock: 5, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	url, stop, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	out, code := run(t, 3*time.Minute, "--data-dir", t.TempDir(), "--http-addr", "127.0.0.1:0", "verify", "--rpc", url, "--from", "1", "--to", "40")
	want := "blocks 1-40: none is stored, so there is nothing to verify; load them first: ethidx backfill --rpc URL --from 1 --to 40"
	if code != 1 || !strings.Contains(out, want) {
		t.Errorf("verify of an empty store: exit %d, %q; want exit 1 saying %q", code, out, want)
	}
	if n := srv.Calls("eth_getBlockByNumber"); n > 2 {
		t.Errorf("the node was asked for %d blocks", n)
	}
}
