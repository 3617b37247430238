package rpcsource

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
)

// A failed contract creation created nothing: in every verify mode, and
// whether the node names the address it would have had (geth) or says null
// (Hardhat), no contract address is stored. Block 17034870 holds two.
func TestFailedCreationCreatesNothing(t *testing.T) {
	failedSeen := 0
	for _, f := range loadFixtures(t) {
		var receipts []map[string]any
		if err := json.Unmarshal(f.receipts, &receipts); err != nil {
			t.Fatal(err)
		}
		for _, r := range receipts {
			if r["status"] == "0x0" && r["to"] == nil {
				r["contractAddress"] = nil
			}
		}
		hardhat, err := json.Marshal(receipts)
		if err != nil {
			t.Fatal(err)
		}
		var ref []string
		for _, mode := range []Proof{ProofRoots, ProofSenders, ProofStructure} {
			for _, rc := range [][]byte{f.receipts, hardhat} {
				b, err := DecodeBlock(f.block, rc, mode)
				if err != nil {
					t.Fatalf("block %d mode %v: %v", f.number, mode, err)
				}
				var got []string
				for _, tx := range b.Transactions {
					failed := tx.Status != nil && *tx.Status == 0
					switch {
					case tx.To == nil && failed:
						if tx.ContractAddress != nil {
							t.Errorf("block %d tx %d (mode %v): failed creation stores %s", f.number, tx.Index, mode, tx.ContractAddress)
						}
						if mode == ProofRoots && !bytes.Equal(rc, hardhat) {
							failedSeen++
						}
					case tx.To == nil:
						if tx.ContractAddress == nil || *tx.ContractAddress != crypto.CreateAddress(tx.From, tx.Nonce) {
							t.Errorf("block %d tx %d (mode %v): creation stores %v", f.number, tx.Index, mode, tx.ContractAddress)
						}
					case tx.ContractAddress != nil:
						t.Errorf("block %d tx %d: a call stores a contract address", f.number, tx.Index)
					}
					if tx.ContractAddress != nil {
						got = append(got, tx.ContractAddress.Hex())
					} else {
						got = append(got, "")
					}
				}
				if ref == nil {
					ref = got
				} else if len(got) != len(ref) {
					t.Fatalf("block %d: modes disagree", f.number)
				} else {
					for i := range got {
						if got[i] != ref[i] {
							t.Errorf("block %d tx %d: mode %v stores %q, roots %q", f.number, i, mode, got[i], ref[i])
						}
					}
				}
			}
		}
	}
	if failedSeen != 2 {
		t.Errorf("%d failed creations in the fixtures, want 2 (block 17034870)", failedSeen)
	}
}
