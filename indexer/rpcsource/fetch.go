package rpcsource

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethidx/ethidx/indexer"
)

// slot is one block of a Blocks call, assembled across attempts: parts
// that arrived intact are kept, so a retry asks only for what is missing.
type slot struct {
	n        uint64
	block    []byte         // eth_getBlockByNumber result, until decoded
	receipts []byte         // eth_getBlockReceipts result, until decoded
	untraced *indexer.Block // decoded and checked, waiting for its traces (Options.Traces)
	out      *indexer.Block // decoded and checked
	err      error          // why the last attempt did not finish it
}

// Blocks returns blocks from..to, each checked (see the package doc). On
// error no block is returned: callers never see part of a range.
func (s *Source) Blocks(ctx context.Context, from, to uint64) ([]*indexer.Block, error) {
	if to < from {
		return nil, fmt.Errorf("getting blocks %d-%d: empty range", from, to)
	}
	slots := make([]slot, to-from+1)
	for i := range slots {
		slots[i].n = from + uint64(i)
	}
	var held bodies
	defer held.release()
	err := s.retry(ctx, func(ctx context.Context, ep *endpoint) error {
		return s.fetch(ctx, ep, slots, &held)
	})
	if err != nil {
		if errors.Is(err, indexer.ErrNotFound) {
			err = s.behind(ctx, err)
		}
		return nil, fmt.Errorf("getting blocks %d-%d: %w", from, to, err)
	}
	out := make([]*indexer.Block, len(slots))
	for i := range slots {
		out[i] = slots[i].out
	}
	return out, nil
}

// fetch is one attempt at the unfinished slots on one node. It returns the
// first block's failure, or nil when every slot is done.
func (s *Source) fetch(ctx context.Context, ep *endpoint, slots []slot, held *bodies) error {
	var calls []*call
	var owners []*slot
	doneBefore := 0
	for i := range slots {
		sl := &slots[i]
		if sl.out != nil {
			doneBefore++
			continue
		}
		sl.err = nil
		if sl.untraced != nil {
			continue // only its traces are missing
		}
		if sl.block == nil {
			calls = append(calls, &call{method: "eth_getBlockByNumber", params: []any{hexNumber(sl.n), true}})
			owners = append(owners, sl)
		}
		if sl.receipts == nil && ep.blockReceipts.Load() >= 0 {
			calls = append(calls, &call{method: "eth_getBlockReceipts", params: []any{hexNumber(sl.n)}})
			owners = append(owners, sl)
		}
	}
	if err := s.batch(ctx, ep, calls, held); err != nil {
		return err
	}
	for k, c := range calls {
		sl := owners[k]
		switch {
		case c.err == nil && c.method == "eth_getBlockByNumber":
			sl.block = c.result
		case c.err == nil:
			sl.receipts = c.result
			ep.blockReceipts.Store(1)
		case c.method == "eth_getBlockReceipts" && methodMissing(c.err):
			if ep.blockReceipts.Swap(-1) != -1 {
				s.opts.Logger.Info("node lacks eth_getBlockReceipts; fetching receipts one by one", "url", redact(ep.url))
			}
		default:
			if sl.err == nil {
				sl.err = fmt.Errorf("block %d: %s: %w", sl.n, c.method, c.err)
			}
		}
	}

	var perTx []*pending
	for i := range slots {
		sl := &slots[i]
		if sl.out != nil || sl.err != nil || sl.block == nil {
			continue
		}
		if isNull(sl.block) {
			sl.block, sl.receipts = nil, nil
			sl.err = fmt.Errorf("block %d: %w", sl.n, indexer.ErrNotFound)
			continue
		}
		if sl.receipts == nil && ep.blockReceipts.Load() >= 0 {
			continue // receipts failed; sl.err says why
		}
		p, err := startBlock(sl, s.opts.Proof, ep)
		if err != nil {
			sl.fail(err, ep)
			continue
		}
		if sl.receipts == nil {
			perTx = append(perTx, p)
			continue
		}
		if err := p.d.receipts(p.b, sl.receipts); err != nil {
			sl.fail(err, ep)
			continue
		}
		sl.finish(p)
	}
	if len(perTx) > 0 {
		if err := s.receiptsByTx(ctx, ep, perTx, held); err != nil {
			return err
		}
	}
	if s.opts.Traces {
		if err := s.fetchTraces(ctx, ep, slots, held); err != nil {
			return err
		}
	}
	checkLinks(slots)
	done := 0
	for i := range slots {
		if slots[i].out != nil {
			done++
		}
	}
	for i := range slots {
		if slots[i].out == nil {
			if slots[i].err == nil {
				slots[i].err = fmt.Errorf("block %d: no answer", slots[i].n)
			}
			if done > doneBefore {
				return &progressError{slots[i].err}
			}
			return slots[i].err
		}
	}
	return nil
}

// pending is a block decoded but still waiting for its receipts.
type pending struct {
	sl *slot
	d  *blockDecoder
	b  *indexer.Block
	ep *endpoint
}

func startBlock(sl *slot, v Proof, ep *endpoint) (*pending, error) {
	d := newBlockDecoder(len(sl.block)+len(sl.receipts), v)
	b, err := d.block(sl.block)
	if err != nil {
		return nil, err
	}
	if b.Number != sl.n {
		return nil, &indexer.BlockError{Number: sl.n, Reason: fmt.Sprintf("node returned block %d (%s) when asked for %d", b.Number, b.Hash, sl.n)}
	}
	return &pending{sl, d, b, ep}, nil
}

// fail drops what the slot had, so the next attempt fetches it afresh, and
// makes sure the error names the block asked for and the node that sent
// it.
func (sl *slot) fail(err error, ep *endpoint) {
	var be *indexer.BlockError
	if errors.As(err, &be) {
		named := *be
		if be.Number != sl.n {
			named = indexer.BlockError{Number: sl.n, Reason: be.Error(), Proof: be.Proof}
		}
		named.Node = redact(ep.url)
		err = &named
	}
	sl.drop(err)
}

// drop is fail for an error that names its block already (a broken link
// between two blocks fails both, naming the child).
func (sl *slot) drop(err error) {
	sl.block, sl.receipts, sl.untraced, sl.out, sl.err = nil, nil, nil, nil, err
}

func (sl *slot) finish(p *pending) {
	if err := p.d.finish(p.b); err != nil {
		sl.fail(err, p.ep)
		return
	}
	sl.block, sl.receipts, sl.out = nil, nil, p.b
}

// receiptsByTx fetches receipts with eth_getTransactionReceipt, for nodes
// without eth_getBlockReceipts, and merges them in order.
func (s *Source) receiptsByTx(ctx context.Context, ep *endpoint, ps []*pending, held *bodies) error {
	var calls []*call
	for _, p := range ps {
		for i := range p.b.Transactions {
			calls = append(calls, &call{method: "eth_getTransactionReceipt", params: []any{p.b.Transactions[i].Hash}})
		}
	}
	if err := s.batch(ctx, ep, calls, held); err != nil {
		return err
	}
	c := 0
	for _, p := range ps {
		var err error
		for i := range p.b.Transactions {
			if err == nil && calls[c].err != nil {
				err = fmt.Errorf("block %d: receipt of transaction %d: %w", p.sl.n, i, calls[c].err)
			}
			if err == nil {
				err = p.d.receiptOf(p.b, i, calls[c].result)
			}
			c++
		}
		if err != nil {
			p.sl.fail(err, p.ep)
			continue
		}
		p.sl.finish(p)
	}
	return nil
}

// checkLinks fails both blocks of any parent-hash break between neighbours:
// the chain reorganised between two calls, or a node served another fork.
func checkLinks(slots []slot) {
	for i := 1; i < len(slots); i++ {
		prev, cur := &slots[i-1], &slots[i]
		if prev.out == nil || cur.out == nil || cur.out.ParentHash == prev.out.Hash {
			continue
		}
		err := &indexer.BlockError{Number: cur.n, Reason: fmt.Sprintf(
			"parent hash %s is not block %d's hash %s (the chain reorganised during the fetch, or nodes disagree)",
			cur.out.ParentHash, prev.n, prev.out.Hash)}
		prev.drop(err)
		cur.drop(err)
	}
}

func isNull(raw []byte) bool {
	s := &scanner{b: raw}
	return len(raw) == 0 || (s.null() && s.peek() == 0)
}
