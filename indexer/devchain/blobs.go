package devchain

import (
	"encoding/binary"
	"math/big"
	"sync"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/crypto/kzg4844"
)

// Blob transactions reuse a few fixed blobs whose KZG commitments and proofs
// are precomputed below: computing them at run time first builds go-eth-kzg's
// tables, which takes seconds, and an indexer only ever sees the versioned
// hashes. TestBlobConstants checks the constants against the blobs.
var (
	blobCommitments = [...]string{
		"0x94c7b46095cd8954066c8cedbf8eb423e08b32c2a080ae47ff51c754b0bfbf7c1eec94edc6e97ac9c262f4f7f7fbd85f",
		"0x880a1c6acf2e8c381260782f56b0e1b7935614f2cd901b8e64c3799c3abae5f7d9190837c042b6a4f5fcdfd3506539a8",
		"0xa4b5483f97eaee612a45d44cbcfe562e9d15e81d66507bc5c233e178ff6cc1e3173712b61484437124a77d2c29906ff3",
		"0xb829bf38f66198fc6d83cce656814736882510e78ce5a2e865cb874a0adf82effb2d8c77b7c9d3c6475675813e545210",
	}
	blobProofs = [len(blobCommitments)]string{
		"0x8ea46f51edde6d09f1f7106fef126e2c2e61a7e44c72ac7b3c8a7f5ceb2353dc07d0aca8c5e468d63f0aa10ec55c3ad5",
		"0xabcfeace98aa96e5c7a55b5b52795eba12ff5bf688429e00196a0921ff50c1ea96d411ee26425f768b77708a25e2e020",
		"0x93d2369069f976631f8722c5a08c169051858bef1a6732906250a1477f7bc9c18e3fa67a91a1e75bc5579a04856bb57d",
		"0xb9ff837fe33706809774a3df46a12c6a14097cf7cdd603a5fe721eb33a32676d5d35a0aaaff208d7637ee5d76713b271",
	}
)

// fixedBlobs holds the blobs once made; each is 128 KiB of hashing.
var fixedBlobs = sync.OnceValue(func() []kzg4844.Blob {
	blobs := make([]kzg4844.Blob, len(blobCommitments))
	for i := range blobs {
		blobs[i] = *makeBlob(i)
	}
	return blobs
})

func fixedBlob(i int) *kzg4844.Blob { return &fixedBlobs()[i] }

// makeBlob returns blob i: keccak-derived bytes with each 32-byte field
// element's top byte left zero, which keeps it below the BLS modulus.
func makeBlob(i int) *kzg4844.Blob {
	var blob kzg4844.Blob
	for j := 0; j < len(blob); j += 32 {
		seed := binary.BigEndian.AppendUint64([]byte("ethidx devchain blob"), uint64(i*len(blob)+j))
		copy(blob[j+1:j+32], crypto.Keccak256(seed))
	}
	return &blob
}

// blobSidecar returns a version-0 sidecar holding the fixed blobs first..first+n-1.
func blobSidecar(first, n int) *types.BlobTxSidecar {
	var (
		blobs       []kzg4844.Blob
		commitments []kzg4844.Commitment
		proofs      []kzg4844.Proof
	)
	for i := first; i < first+n; i++ {
		blobs = append(blobs, *fixedBlob(i))
		commitments = append(commitments, kzg4844.Commitment(hexutil.MustDecode(blobCommitments[i])))
		proofs = append(proofs, kzg4844.Proof(hexutil.MustDecode(blobProofs[i])))
	}
	return types.NewBlobTxSidecar(types.BlobSidecarVersion0, blobs, commitments, proofs)
}

func bigMax(a, b *big.Int) *big.Int {
	if a.Cmp(b) >= 0 {
		return a
	}
	return b
}
