package devchain

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto/kzg4844"
)

// numBlobs distinct blobs are computed once and reused: KZG commitments cost
// tens of milliseconds each, and an indexer only sees the versioned hashes.
const numBlobs = 4

// blobSidecars returns one single-blob sidecar per precomputed blob, with real
// commitments and proofs, computing them on first use.
func (g *generator) blobSidecars() ([]*types.BlobTxSidecar, error) {
	if g.blobs != nil {
		return g.blobs, nil
	}
	for i := range numBlobs {
		var blob kzg4844.Blob
		for j := 0; j < len(blob); j += 32 {
			// Leaving each field element's top byte zero keeps it below the
			// BLS modulus, as a blob requires.
			copy(blob[j+1:j+32], g.derive("blob", uint64(i*len(blob)+j)))
		}
		commitment, err := kzg4844.BlobToCommitment(&blob)
		if err != nil {
			return nil, fmt.Errorf("committing to blob: %w", err)
		}
		proof, err := kzg4844.ComputeBlobProof(&blob, commitment)
		if err != nil {
			return nil, fmt.Errorf("proving blob: %w", err)
		}
		g.blobs = append(g.blobs, types.NewBlobTxSidecar(types.BlobSidecarVersion0,
			[]kzg4844.Blob{blob}, []kzg4844.Commitment{commitment}, []kzg4844.Proof{proof}))
	}
	return g.blobs, nil
}

// joinSidecars merges single-blob sidecars into one for a multi-blob
// transaction.
func joinSidecars(parts []*types.BlobTxSidecar) *types.BlobTxSidecar {
	var sc types.BlobTxSidecar
	for _, p := range parts {
		sc.Blobs = append(sc.Blobs, p.Blobs...)
		sc.Commitments = append(sc.Commitments, p.Commitments...)
		sc.Proofs = append(sc.Proofs, p.Proofs...)
	}
	return types.NewBlobTxSidecar(types.BlobSidecarVersion0, sc.Blobs, sc.Commitments, sc.Proofs)
}

func bigMax(a, b *big.Int) *big.Int {
	if a.Cmp(b) >= 0 {
		return a
	}
	return b
}
