package devchain

import (
	"context"

	"github.com/ethereum/go-ethereum/common/hexutil"
)

// controlAPI is the dev chain's own JSON-RPC namespace, "devnet", so tests
// and scripts driving `ethidx devnet` from outside the process can shape the
// chain:
//
//	devnet_mine()        -> number of the new head
//	devnet_reorg(depth[, length])
//	                     -> number of the new head, after replacing the newest
//	                        depth blocks with a branch of length blocks
//	                        (default depth+1; see Chain.ReorgTo)
//
// It exists only on dev chains, which listen on loopback unless told
// otherwise.
type controlAPI struct{ c *Chain }

// Mine mines one block of traffic.
func (a controlAPI) Mine(ctx context.Context) (hexutil.Uint64, error) {
	n, err := a.c.Mine(ctx)
	return hexutil.Uint64(n), err
}

// Reorg forces a reorg of the given depth; the new branch has length
// blocks if given, else depth+1.
func (a controlAPI) Reorg(ctx context.Context, depth int, length *int) (hexutil.Uint64, error) {
	n := depth + 1
	if length != nil {
		n = *length
	}
	if err := a.c.ReorgTo(ctx, depth, n); err != nil {
		return 0, err
	}
	return hexutil.Uint64(a.c.Head().Number.Uint64()), nil
}
