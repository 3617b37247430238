package replay

import (
	"errors"
	"math/rand/v2"
	"sync"

	"github.com/ethereum/go-ethereum/common"
)

// GenOptions describes a range of synthetic mainnet-shaped blocks.
//
// Blocks are a pure function of (Seed, number) and the parent of block
// From, generated when first asked for and kept encoded in a bounded
// cache, so a range of a million blocks costs nothing until served. They
// are canonical: transaction hashes, the transactions, receipts and
// withdrawals roots, the blooms and the block hashes are the real keccak
// values of what is served, so a client verifying them pays the real cost.
// Only signatures are random bytes (no sender recovers from them) and the
// state root is made up. A block's hash depends on its parent's, so asking
// for block n first builds the headers of the blocks before it in the
// range, once.
type GenOptions struct {
	From, Count uint64
	// TxPerBlock is the mean transaction count (default 300). If
	// TxPerBlockEnd is set the mean ramps linearly to it over the range,
	// so consecutive months show growth.
	TxPerBlock, TxPerBlockEnd int
	Seed                      uint64
	// StartTime is the timestamp of block From (default 2024-01-01T00:00Z);
	// blocks are BlockTime seconds apart (default 12).
	StartTime, BlockTime uint64
	// Addresses is the pool of recurring externally owned accounts (default
	// 2,000,000), drawn with a heavy skew like real activity. NewShare of
	// senders and recipients (default 0.05) are brand-new addresses that
	// never appeared before, so "new addresses" per day is meaningful.
	Addresses int
	NewShare  float64
}

func (o *GenOptions) setDefaults() {
	if o.TxPerBlock <= 0 {
		o.TxPerBlock = 300
	}
	if o.TxPerBlockEnd <= 0 {
		o.TxPerBlockEnd = o.TxPerBlock
	}
	if o.StartTime == 0 {
		o.StartTime = 1704067200
	}
	if o.BlockTime == 0 {
		o.BlockTime = 12
	}
	if o.Addresses <= 0 {
		o.Addresses = 2_000_000
	}
	if o.NewShare <= 0 {
		o.NewShare = 0.05
	}
}

// genRange is one Generate call's blocks.
type genRange struct {
	opts   GenOptions
	parent common.Hash // parent of block From

	// What is learnt while building blocks, shared by a range and its
	// shortened copies (the blocks they share are the same).
	*genState
}

type genState struct {
	mu     sync.Mutex
	hashes []common.Hash    // hashes[k] is block From+k's, known in order
	txAt   map[uint64]txLoc // first 8 bytes of a tx hash -> where it is
}

func (g *genRange) last() uint64 { return g.opts.From + g.opts.Count - 1 }

// Generate serves synthetic blocks From..From+Count-1. Blocks already held
// at From or above are replaced (for a reorg test, generate the new branch
// with another Seed); block From's parent is whatever block From-1 is now.
func (s *Server) Generate(o GenOptions) error {
	if o.Count == 0 {
		return errors.New("generate: Count is 0")
	}
	if o.From+o.Count < o.From {
		return errors.New("generate: range overflows")
	}
	o.setDefaults()
	g := &genRange{opts: o, genState: &genState{txAt: map[uint64]txLoc{}}}
	var prev *entry
	if o.From > 0 {
		prev = s.lookupAny(o.From - 1)
	}
	if prev != nil {
		g.parent = prev.hash
	} else {
		g.parent = mixHash(o.Seed, tagBlock, o.From-1)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var kept []*genRange
	for _, r := range s.gens {
		if r.opts.From >= o.From {
			continue
		}
		if r.last() >= o.From {
			cut := *r
			cut.opts.Count = o.From - r.opts.From
			r = &cut
		}
		kept = append(kept, r)
	}
	s.gens = append(kept, g)
	for n, e := range s.fixed {
		if n >= o.From {
			delete(s.fixed, n)
			for _, h := range e.txHashes {
				delete(s.txs, h)
			}
		}
	}
	s.cache.clear()
	return nil
}

func (s *Server) genFor(n uint64) *genRange {
	for _, g := range s.gens {
		if n >= g.opts.From && n <= g.last() {
			return g
		}
	}
	return nil
}

// BlockJSON returns the eth_getBlockByNumber(n, true) and
// eth_getBlockReceipts(n) results the server would send for block n, for
// benchmarks that want the bytes without HTTP.
func (s *Server) BlockJSON(n uint64) (block, receipts []byte, ok bool) {
	e := s.lookupAny(n)
	if e == nil {
		return nil, nil, false
	}
	return e.full, e.receiptsAll, true
}

// Hash tags keep the different kinds of generated hash apart.
const (
	tagBlock = iota + 1
	tagTx    // unused since tx hashes are real; kept so the other tags keep their values
	tagRoot
	tagAddr
	tagBlob
	tagSig
)

// mix64 is the splitmix64 finalizer: a bijection on uint64, so distinct
// inputs give distinct outputs, which keeps generated hashes unique.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func mixHash(seed uint64, tag int, n uint64) common.Hash {
	w0 := mix64(seed ^ uint64(tag)<<56 ^ n)
	return hashFromWord(w0)
}

// hashFromWord spreads one unique word over 32 bytes; the first 8 bytes are
// the word itself so it can be recovered.
func hashFromWord(w0 uint64) common.Hash {
	var h common.Hash
	putWord(h[0:8], w0)
	putWord(h[8:16], mix64(w0+1))
	putWord(h[16:24], mix64(w0+2))
	putWord(h[24:32], mix64(w0+3))
	return h
}

func putWord(b []byte, w uint64) {
	_ = b[7]
	for i := 7; i >= 0; i-- {
		b[i] = byte(w)
		w >>= 8
	}
}

func getWord(b []byte) uint64 {
	_ = b[7]
	var w uint64
	for i := 0; i < 8; i++ {
		w = w<<8 | uint64(b[i])
	}
	return w
}

// index records where block n's transactions are, so receipts can be
// served by transaction hash. Keys are the hashes' first 8 bytes; a
// lookup compares the whole hash with the block's.
func (g *genRange) index(n uint64, hashes []common.Hash) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, h := range hashes {
		g.txAt[getWord(h[:8])] = txLoc{n, i}
	}
}

func (g *genRange) findTx(h common.Hash) (txLoc, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	loc, ok := g.txAt[getWord(h[:8])]
	return loc, ok
}

// blockHash returns block n's hash, building the blocks before it in the
// range whose hashes are not known yet: each links to its parent.
func (g *genRange) blockHash(n uint64) common.Hash {
	if n+1 == g.opts.From {
		return g.parent
	}
	g.mu.Lock()
	k := uint64(len(g.hashes))
	g.mu.Unlock()
	for ; k <= n-g.opts.From; k++ {
		prev := g.parent
		if k > 0 {
			prev = g.blockHash(g.opts.From + k - 1)
		}
		g.remember(g.opts.From+k, g.build(g.opts.From+k, prev).hash)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.hashes[n-g.opts.From]
}

// remember records block n's hash if it is the next one not yet known.
func (g *genRange) remember(n uint64, h common.Hash) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if uint64(len(g.hashes)) == n-g.opts.From {
		g.hashes = append(g.hashes, h)
	}
}

func (g *genRange) rng(n uint64) *rand.Rand {
	return rand.New(rand.NewPCG(g.opts.Seed, n))
}

// txCount is the block's transaction count: the ramped mean ±25%.
func (g *genRange) txCount(n uint64) int {
	return g.txCountFrom(g.rng(n), n)
}

func (g *genRange) txCountFrom(r *rand.Rand, n uint64) int {
	o := g.opts
	mean := float64(o.TxPerBlock)
	if o.Count > 1 && o.TxPerBlockEnd != o.TxPerBlock {
		f := float64(n-o.From) / float64(o.Count-1)
		mean += f * float64(o.TxPerBlockEnd-o.TxPerBlock)
	}
	c := int(mean*0.75 + r.Float64()*mean*0.5)
	return max(1, min(c, 65535))
}

// addr returns the address with pool index i; distinct i give distinct
// addresses.
func addr(tag int, i uint64) common.Address {
	var a common.Address
	w := mix64(uint64(tag)<<56 ^ i)
	putWord(a[0:8], w)
	putWord(a[8:16], mix64(w+1))
	var t [8]byte
	putWord(t[:], mix64(w+2))
	copy(a[16:], t[:4])
	return a
}
