package rpcsource

import (
	"testing"
)

// Every real mainnet block of the shared fixtures, Frontier to Pectra,
// passes every check, senders included.
func TestVerifyFixtures(t *testing.T) {
	fs := loadFixtures(t)
	if len(fs) < 53 {
		t.Fatalf("%d fixture blocks, want the 53 of mainnet/ and mainnet-extra/", len(fs))
	}
	for _, f := range fs {
		for _, v := range []Verify{VerifyRoots, VerifySenders} {
			if _, err := DecodeBlock(f.block, f.receipts, v); err != nil {
				t.Errorf("%s: %v", v, err)
			}
		}
	}
}
