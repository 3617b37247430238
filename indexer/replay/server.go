package replay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// Options configures a Server. The zero value serves chain id 1 with the
// head at the highest block held.
type Options struct {
	ChainID uint64 // eth_chainId; default 1
	// Head, if set, pretends the node's head is this block: anything above
	// it is answered with null, as a node that is behind would.
	Head uint64
	// SafeLag and FinalizedLag place the "safe" and "finalized" tags that
	// many blocks below the head.
	SafeLag, FinalizedLag uint64
	// NoBlockReceipts answers eth_getBlockReceipts with "method not found",
	// like nodes that predate it, so clients must fall back to
	// eth_getTransactionReceipt.
	NoBlockReceipts bool
	// BatchResponseLimit, if set, answers the calls of a batch past this
	// many bytes of results with error -32003, as geth does past its
	// 25 MB default (--rpc.batch-response-max-size).
	BatchResponseLimit int
	// CacheBlocks bounds how many generated blocks are kept encoded;
	// default 256.
	CacheBlocks int
	Faults      []Fault
	Logger      *slog.Logger
}

func (o *Options) setDefaults() {
	if o.ChainID == 0 {
		o.ChainID = 1
	}
	if o.CacheBlocks <= 0 {
		o.CacheBlocks = 256
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Server answers JSON-RPC requests from the blocks it holds. It is safe for
// concurrent use; blocks, head and faults may be changed while it serves.
type Server struct {
	opts Options

	mu       sync.Mutex
	fixed    map[uint64]*entry     // fixtures and added blocks
	txs      map[common.Hash]txLoc // tx hash -> block, for fixed blocks
	gens     []*genRange           // generated ranges, disjoint, sorted
	cache    *lru                  // encoded generated blocks
	head     uint64                // 0: highest block held
	safeLag  uint64
	finalLag uint64
	faults   []*faultState
	calls    map[string]int
}

type txLoc struct {
	block uint64
	index int
}

// New returns a Server holding no blocks yet.
func New(opts Options) *Server {
	opts.setDefaults()
	s := &Server{
		opts:     opts,
		fixed:    map[uint64]*entry{},
		txs:      map[common.Hash]txLoc{},
		cache:    newLRU(opts.CacheBlocks),
		head:     opts.Head,
		safeLag:  opts.SafeLag,
		finalLag: opts.FinalizedLag,
		calls:    map[string]int{},
	}
	for _, f := range opts.Faults {
		s.AddFault(f)
	}
	return s
}

// Handler returns the JSON-RPC endpoint, for httptest.NewServer.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// Start serves on addr ("127.0.0.1:0" picks a free port) and returns the
// URL to dial and a function that stops the server.
func (s *Server) Start(addr string) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("replay listen: %w", err)
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.opts.Logger.Error("replay server stopped", "err", err)
		}
	}()
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
	return "http://" + ln.Addr().String(), stop, nil
}

// SetHead pretends the node's head is n (0: the highest block held), to
// simulate a node that is behind or a chain that grows.
func (s *Server) SetHead(n uint64) {
	s.mu.Lock()
	s.head = n
	s.mu.Unlock()
}

// SetLags places the safe and finalized tags below the head.
func (s *Server) SetLags(safe, finalized uint64) {
	s.mu.Lock()
	s.safeLag, s.finalLag = safe, finalized
	s.mu.Unlock()
}

// Calls returns how many calls of method were served (batch elements count
// one each), so tests can see retries and fallbacks.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Head returns the block number the server reports as its head.
func (s *Server) Head() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.headLocked()
}

func (s *Server) headLocked() uint64 {
	if s.head != 0 {
		return s.head
	}
	var top uint64
	for n := range s.fixed {
		top = max(top, n)
	}
	if len(s.gens) > 0 {
		top = max(top, s.gens[len(s.gens)-1].last())
	}
	return top
}

// Numbers lists the blocks held, fixed and generated ranges alike, in
// order. Generated ranges are listed block by block, so keep them small
// when calling this.
func (s *Server) Numbers() []uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []uint64
	for n := range s.fixed {
		out = append(out, n)
	}
	for _, g := range s.gens {
		for n := g.opts.From; n <= g.last(); n++ {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// lookup returns block n if it is held and not above the head.
func (s *Server) lookup(n uint64) *entry { return s.get(n, true) }

// lookupAny is lookup ignoring the pretended head.
func (s *Server) lookupAny(n uint64) *entry { return s.get(n, false) }

func (s *Server) get(n uint64, belowHead bool) *entry {
	s.mu.Lock()
	if belowHead && n > s.headLocked() {
		s.mu.Unlock()
		return nil
	}
	if e := s.fixed[n]; e != nil {
		s.mu.Unlock()
		return e
	}
	g := s.genFor(n)
	if g == nil {
		s.mu.Unlock()
		return nil
	}
	if e := s.cache.get(n); e != nil {
		s.mu.Unlock()
		return e
	}
	s.mu.Unlock()
	// Encode outside the lock: other requests keep flowing meanwhile. Two
	// requests for the same block may both encode it; the results are equal.
	e := g.encode(n)
	s.mu.Lock()
	if s.genFor(n) == g { // not replaced by a Generate meanwhile
		s.cache.put(n, e)
	}
	s.mu.Unlock()
	return e
}

// resolveTag turns a block tag into a number held by the server: the
// highest block at or below the tag's height.
func (s *Server) resolveTag(tag string) (uint64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	head := s.headLocked()
	var want uint64
	switch tag {
	case "latest", "pending":
		want = head
	case "safe":
		want = sub(head, s.safeLag)
	case "finalized":
		want = sub(head, s.finalLag)
	case "earliest":
		want = 0
		lo, ok := s.lowestLocked()
		return lo, ok
	default:
		return 0, false
	}
	best, ok := uint64(0), false
	for n := range s.fixed {
		if n <= want && (!ok || n > best) {
			best, ok = n, true
		}
	}
	for _, g := range s.gens {
		if g.opts.From <= want {
			if n := min(want, g.last()); !ok || n > best {
				best, ok = n, true
			}
		}
	}
	return best, ok
}

func (s *Server) lowestLocked() (uint64, bool) {
	best, ok := uint64(0), false
	for n := range s.fixed {
		if !ok || n < best {
			best, ok = n, true
		}
	}
	if len(s.gens) > 0 && (!ok || s.gens[0].opts.From < best) {
		best, ok = s.gens[0].opts.From, true
	}
	return best, ok
}

func sub(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}

// lru keeps the most recently served generated blocks encoded.
type lru struct {
	cap   int
	tick  uint64
	items map[uint64]*lruItem
}

type lruItem struct {
	e    *entry
	used uint64
}

func newLRU(n int) *lru { return &lru{cap: n, items: map[uint64]*lruItem{}} }

func (c *lru) get(n uint64) *entry {
	it := c.items[n]
	if it == nil {
		return nil
	}
	c.tick++
	it.used = c.tick
	return it.e
}

func (c *lru) put(n uint64, e *entry) {
	c.tick++
	c.items[n] = &lruItem{e, c.tick}
	if len(c.items) <= c.cap {
		return
	}
	// Evict the least recently used quarter at once, so the scan is rare.
	used := make([]uint64, 0, len(c.items))
	for _, it := range c.items {
		used = append(used, it.used)
	}
	sort.Slice(used, func(i, j int) bool { return used[i] < used[j] })
	cut := used[len(used)/4]
	for k, it := range c.items {
		if it.used <= cut {
			delete(c.items, k)
		}
	}
}

func (c *lru) clear() { c.items = map[uint64]*lruItem{} }
