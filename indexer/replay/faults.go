package replay

import (
	"slices"
	"time"
)

// FaultKind names one way the server misbehaves.
type FaultKind int

const (
	// FaultStatus answers the HTTP request with Status (default 503)
	// instead of a JSON-RPC reply: rate limits (429) and overloaded nodes.
	FaultStatus FaultKind = iota + 1
	// FaultTruncate cuts the HTTP response body in half: a dropped
	// connection or a proxy that gave up.
	FaultTruncate
	// FaultLatency waits Delay before answering: a slow node, for timeouts.
	FaultLatency
	// FaultWrongBlock answers with another block (or another block's
	// receipts, or another transaction's receipt) than the one asked for.
	FaultWrongBlock
	// FaultShortReceipts drops the last receipt of eth_getBlockReceipts and
	// answers eth_getTransactionReceipt with null.
	FaultShortReceipts
	// FaultForeignReceipts rewrites the first receipt's transaction hash
	// (and its logs') to one that is not in the block.
	FaultForeignReceipts
	// FaultNull answers null, as a node that does not have the block (for
	// eth_chainId: a minimal server that cannot tell its chain).
	FaultNull
)

// Fault is one injected failure. It fires for calls whose method is Method
// ("" = any) and that concern one of Blocks (empty = any block, including
// calls about no block), Times times (0 = every time). HTTP-level kinds
// (status, truncate, latency) fire once per HTTP request that holds a
// matching call; the others once per matching call.
type Fault struct {
	Kind   FaultKind
	Method string
	Blocks []uint64
	Times  int
	Status int           // FaultStatus
	Delay  time.Duration // FaultLatency
}

type faultState struct {
	Fault
	left  int // remaining firings when Times > 0
	fired int
}

// AddFault injects f on top of those already set.
func (s *Server) AddFault(f Fault) {
	if f.Kind == FaultStatus && f.Status == 0 {
		f.Status = 503
	}
	s.mu.Lock()
	s.faults = append(s.faults, &faultState{Fault: f, left: f.Times})
	s.mu.Unlock()
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.faults = nil
	s.mu.Unlock()
}

// Fired returns how many times faults of kind k have fired, so a test can
// tell a fault it set up actually happened.
func (s *Server) Fired(k FaultKind) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, f := range s.faults {
		if f.Kind == k {
			n += f.fired
		}
	}
	return n
}

func (f *faultState) matches(c *call) bool {
	if f.Method != "" && f.Method != c.Method {
		return false
	}
	if len(f.Blocks) > 0 && (!c.hasBlock || !slices.Contains(f.Blocks, c.block)) {
		return false
	}
	return f.Times == 0 || f.left > 0
}

// take finds the first live fault of one of kinds matching c and uses up
// one of its firings.
func (s *Server) take(c *call, kinds ...FaultKind) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if slices.Contains(kinds, f.Kind) && f.matches(c) {
			if f.Times > 0 {
				f.left--
			}
			f.fired++
			cp := f.Fault
			return &cp
		}
	}
	return nil
}
