package rpcsource

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/replay"
	"github.com/ethidx/ethidx/internal/fixtures"
)

// Every real mainnet block of the fixtures, Frontier to Pectra,
// passes every check, senders included.
func TestVerifyFixtures(t *testing.T) {
	fs := loadFixtures(t)
	if len(fs) < 53 {
		t.Fatalf("%d fixture blocks, want the 53 of mainnet/ and mainnet-extra/", len(fs))
	}
	for _, f := range fs {
		for _, v := range []Proof{ProofRoots, ProofSenders} {
			if _, err := DecodeBlock(f.block, f.receipts, v); err != nil {
				t.Errorf("%s: %v", v, err)
			}
		}
	}
}

// Mainnet's first 16,384 blocks (genesis included, uncles in 1,835 of
// them) prove against their headers, and link up.
func TestVerifyEra1(t *testing.T) {
	path := fixtures.Era1Path(t)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(zr)
	var prev *indexer.Block
	n := 0
	for dec.More() {
		var line struct{ Block, Receipts json.RawMessage }
		if err := dec.Decode(&line); err != nil {
			t.Fatal(err)
		}
		b, err := DecodeBlock(line.Block, line.Receipts, ProofRoots)
		if err != nil {
			t.Fatal(err)
		}
		if b.Number != uint64(n) || prev != nil && b.ParentHash != prev.Hash {
			t.Fatalf("block %d (line %d) does not follow block %d", b.Number, n, n-1)
		}
		prev = b
		n++
	}
	if n != 16384 {
		t.Fatalf("%d blocks", n)
	}
}

// One field of a real block changed, anywhere the header commits to it, is
// refused, and the error names the block and the check that caught it.
func TestVerifyRefusesChangedContent(t *testing.T) {
	var f fixture
	for _, x := range loadFixtures(t) {
		if x.number == 19433903 { // Dencun: blobs, logs, withdrawals
			f = x
		}
	}
	for _, c := range tamperCases {
		t.Run(c.name, func(t *testing.T) {
			blk, rec := tamper(t, f, c)
			for _, v := range []Proof{ProofRoots, ProofSenders} {
				_, err := DecodeBlock(blk, rec, v)
				var be *indexer.BlockError
				if !errors.As(err, &be) || be.Number != f.number || !strings.Contains(be.Reason, c.check) {
					t.Fatalf("%s: got %v, want block %d refused by the %s check", v, err, f.number, c.check)
				}
			}
			// Without verification the change goes through: the structure
			// alone cannot see it (which is why roots is the default).
			if c.structural == "" {
				if _, err := DecodeBlock(blk, rec, ProofStructure); err != nil {
					t.Fatalf("structure: %v", err)
				}
			}
		})
	}
}

// A node that changes a block is passed over for the next --rpc URL; with
// no honest node left, the error names the block, the check and the node.
func TestVerifyFailsOver(t *testing.T) {
	var f fixture
	for _, x := range loadFixtures(t) {
		if x.number == 19433903 {
			f = x
		}
	}
	blk, rec := tamper(t, f, tamperCases[0])
	liar := replay.New(replay.Options{})
	if err := liar.AddBlock(blk, rec); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(liar.Handler())
	t.Cleanup(hs.Close)
	_, honest := serve(t, replay.Options{})

	got, err := open(t, quick(hs.URL, honest)).Blocks(context.Background(), f.number, f.number)
	if err != nil {
		t.Fatalf("with an honest node second: %v", err)
	}
	want, _ := DecodeBlock(f.block, f.receipts, ProofRoots)
	compareBlocks(t, got[0], want)

	_, err = open(t, quick(hs.URL)).Blocks(context.Background(), f.number, f.number)
	var be *indexer.BlockError
	if !errors.As(err, &be) || be.Number != f.number || !strings.Contains(be.Reason, "transaction hash") || be.Node != redact(hs.URL) {
		t.Fatalf("with the liar alone: %v", err)
	}
	// The refusal says it is a failed proof, and what a developer whose
	// dev node hashes differently can do.
	if !be.Proof || !strings.Contains(be.Reason, "--verify structure") {
		t.Fatalf("the refusal names no way out: %+v", be)
	}
	if liar.Calls("eth_getBlockByNumber") < 2 {
		t.Fatalf("the refused block was not asked for again")
	}
}

// A changed sender passes the roots (no header commits to it) and is
// caught by --verify senders, which recovers it from the signature.
func TestProofSendersCatchesChangedFrom(t *testing.T) {
	for _, f := range loadFixtures(t) {
		if f.number != 19433903 {
			continue
		}
		blk, rec := tamper(t, f, tamperCase{edit: func(b map[string]any, rs []any) {
			tx := b["transactions"].([]any)[2].(map[string]any)
			tx["from"] = flip(tx["from"])
			rs[2].(map[string]any)["from"] = tx["from"]
		}})
		if _, err := DecodeBlock(blk, rec, ProofRoots); err != nil {
			t.Fatalf("roots: %v", err)
		}
		_, err := DecodeBlock(blk, rec, ProofSenders)
		var be *indexer.BlockError
		if !errors.As(err, &be) || !strings.Contains(be.Reason, "verifying sender: transaction 2 is signed by") {
			t.Fatalf("senders: %v", err)
		}
	}
}

// Receipts that leave their bloom out, among receipts that send theirs,
// verify: the missing ones are computed from the logs, the others enter the
// receipts root as sent.
func TestVerifySomeBloomsLeftOut(t *testing.T) {
	for _, f := range loadFixtures(t) {
		var rs []map[string]any
		if err := json.Unmarshal(f.receipts, &rs); err != nil {
			t.Fatal(err)
		}
		if len(rs) < 2 {
			continue
		}
		for i := range rs {
			if i%2 == 0 {
				delete(rs[i], "logsBloom")
			}
		}
		rec, err := json.Marshal(rs)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeBlock(f.block, rec, ProofRoots); err != nil {
			t.Errorf("block %d, every other bloom left out: %v", f.number, err)
		}
	}
}
