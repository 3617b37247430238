package devchain

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Stats counts what a range of canonical blocks holds, computed from the
// node's own blocks and receipts, so a test can compare an index of the
// chain against it.
type Stats struct {
	Blocks            int
	Txs               int
	TxsByType         [5]int // by transaction type, 0 (legacy) to 4 (set code)
	Failed            int    // receipts with status 0
	ContractCreations int    // transactions without a recipient
	Logs              int
	TransferLogs      int // ERC-20 Transfer logs (3 topics)
	Withdrawals       int
	// ActiveAddresses are the distinct senders, recipients and created
	// contracts of the range's transactions; NewAddresses are those of them
	// not active in any earlier block; Senders are the distinct senders.
	ActiveAddresses int
	NewAddresses    int
	Senders         int
}

// Stats counts the canonical blocks from..to inclusive. Finding new
// addresses reads every block since genesis, so it costs in proportion to
// the chain's length, not the range's.
func (c *Chain) Stats(ctx context.Context, from, to uint64) (Stats, error) {
	var s Stats
	if from == 0 || from > to {
		return s, fmt.Errorf("stats range %d..%d: from must be at least 1 and at most to", from, to)
	}
	if head := c.bc.CurrentBlock().Number.Uint64(); to > head {
		return s, fmt.Errorf("stats range %d..%d: head is %d", from, to, head)
	}
	signer := types.LatestSigner(c.bc.Config())
	seen := make(map[common.Address]bool) // active before from
	active := make(map[common.Address]bool)
	senders := make(map[common.Address]bool)
	for n := uint64(1); n <= to; n++ {
		if err := ctx.Err(); err != nil {
			return s, err
		}
		block := c.bc.GetBlockByNumber(n)
		if block == nil {
			return s, fmt.Errorf("block %d not found", n)
		}
		var receipts types.Receipts
		if n >= from {
			receipts = c.bc.GetReceiptsByHash(block.Hash())
			if len(receipts) != len(block.Transactions()) {
				return s, fmt.Errorf("block %d: %d receipts for %d transactions", n, len(receipts), len(block.Transactions()))
			}
			s.Blocks++
			s.Withdrawals += len(block.Withdrawals())
		}
		for i, tx := range block.Transactions() {
			sender, err := types.Sender(signer, tx)
			if err != nil {
				return s, fmt.Errorf("block %d tx %d: recovering sender: %w", n, i, err)
			}
			addrs := []common.Address{sender}
			if tx.To() != nil {
				addrs = append(addrs, *tx.To())
			}
			if n < from {
				for _, a := range addrs {
					seen[a] = true
				}
				continue
			}
			r := receipts[i]
			if tx.To() == nil {
				addrs = append(addrs, r.ContractAddress)
				s.ContractCreations++
			}
			for _, a := range addrs {
				active[a] = true
			}
			senders[sender] = true
			s.Txs++
			s.TxsByType[tx.Type()]++
			if r.Status == types.ReceiptStatusFailed {
				s.Failed++
			}
			s.Logs += len(r.Logs)
			for _, l := range r.Logs {
				if len(l.Topics) == 3 && l.Topics[0] == transferTopic {
					s.TransferLogs++
				}
			}
		}
		if n < from {
			// Contracts created before the range count as seen too.
			for _, r := range c.bc.GetReceiptsByHash(block.Hash()) {
				if r.ContractAddress != (common.Address{}) {
					seen[r.ContractAddress] = true
				}
			}
		}
	}
	s.ActiveAddresses = len(active)
	s.Senders = len(senders)
	for a := range active {
		if !seen[a] {
			s.NewAddresses++
		}
	}
	return s, nil
}
