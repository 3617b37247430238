package rpcsource

import (
	"bytes"
	"fmt"
	"math/big"
	"math/bits"
	"strconv"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// scanner is a minimal JSON reader over one node response. It knows just
// enough JSON to walk objects and arrays, skip what ethidx does not store,
// and hand hex strings to the hex parsers without copying them. Errors are
// sticky: after the first one every read returns zero values and callers
// check err once at the end.
type scanner struct {
	b   []byte
	i   int
	err error
}

func (s *scanner) fail(format string, args ...any) {
	if s.err == nil {
		s.err = fmt.Errorf("offset %d: %s", s.i, fmt.Sprintf(format, args...))
	}
	s.i = len(s.b) // stop every loop
}

// reject records that the JSON is well formed but says something ethidx
// refuses (a receipt of another transaction, a wrong index): the message
// is the reason itself, with no offset.
func (s *scanner) reject(format string, args ...any) {
	if s.err == nil {
		s.err = &rejection{fmt.Sprintf(format, args...)}
	}
	s.i = len(s.b)
}

type rejection struct{ reason string }

func (r *rejection) Error() string { return r.reason }

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next significant byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) expect(c byte) bool {
	if s.peek() != c {
		if s.err == nil {
			s.fail("want %q", c)
		}
		return false
	}
	s.i++
	return true
}

// null consumes a JSON null if one comes next.
func (s *scanner) null() bool {
	if s.peek() == 'n' && s.i+4 <= len(s.b) && string(s.b[s.i:s.i+4]) == "null" {
		s.i += 4
		return true
	}
	return false
}

// next advances to the next member of an object or array whose opening
// bracket was consumed, returning false at the closing one.
func (s *scanner) next(end byte, first *bool) bool {
	c := s.peek()
	if c == end {
		s.i++
		return false
	}
	if !*first {
		if c != ',' {
			s.fail("want ',' or %q", end)
			return false
		}
		s.i++
	}
	*first = false
	return s.err == nil
}

// key reads an object key and its colon.
func (s *scanner) key() []byte {
	k := s.str()
	s.expect(':')
	return k
}

// str reads a string and returns its raw content. Escapes are left as
// they are: hex strings never contain any, and a key with one matches no
// field name, so it is skipped like any unknown key. The closing quote is
// found with bytes.IndexByte (vectorised): strings are most of the input.
func (s *scanner) str() []byte {
	if !s.expect('"') {
		return nil
	}
	start := s.i
	for {
		j := bytes.IndexByte(s.b[s.i:], '"')
		if j < 0 {
			s.fail("unterminated string")
			return nil
		}
		end := s.i + j
		s.i = end + 1
		// The quote is escaped if an odd number of backslashes precede it.
		k := end
		for k > start && s.b[k-1] == '\\' {
			k--
		}
		if (end-k)%2 == 0 {
			return s.b[start:end]
		}
	}
}

// skip consumes one value of any kind.
func (s *scanner) skip() {
	switch c := s.peek(); c {
	case '"':
		s.str()
	case '{':
		s.i++
		for first := true; s.next('}', &first); {
			s.key()
			s.skip()
		}
	case '[':
		s.i++
		for first := true; s.next(']', &first); {
			s.skip()
		}
	case 't':
		s.literal("true")
	case 'f':
		s.literal("false")
	case 'n':
		s.literal("null")
	default:
		start := s.i
		for s.i < len(s.b) {
			c := s.b[s.i]
			if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
				s.i++
				continue
			}
			break
		}
		if s.i == start {
			s.fail("unexpected %q", c)
		}
	}
}

func (s *scanner) literal(w string) {
	if s.i+len(w) <= len(s.b) && string(s.b[s.i:s.i+len(w)]) == w {
		s.i += len(w)
		return
	}
	s.fail("bad literal")
}

func (s *scanner) boolean() bool {
	switch s.peek() {
	case 't':
		s.literal("true")
		return true
	case 'f':
		s.literal("false")
		return false
	}
	s.fail("want a boolean")
	return false
}

// The typed readers below parse the hex encodings of JSON-RPC: quantities
// ("0x1a", no fixed width), fixed-size data (hashes, addresses) and
// variable data ("0x" plus an even number of hex digits).

var unhex = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := byte(0); i < 10; i++ {
		t['0'+i] = i
	}
	for i := byte(0); i < 6; i++ {
		t['a'+i] = 10 + i
		t['A'+i] = 10 + i
	}
	return t
}()

// hexDigits strips the 0x prefix of a string value.
func (s *scanner) hexDigits(what string) []byte {
	v := s.str()
	if len(v) < 2 || v[0] != '0' || (v[1] != 'x' && v[1] != 'X') {
		if s.err == nil {
			s.fail("%s: want 0x-prefixed hex, got %.20q", what, v)
		}
		return nil
	}
	return v[2:]
}

// number reads a quantity written as a bare JSON number, as some clients
// do (Parity 1.8's receipt status, Besu's documented chainId). It returns
// the decimal digits, or nil if the value is not a number.
func (s *scanner) number() []byte {
	if c := s.peek(); c < '0' || c > '9' {
		return nil
	}
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	if s.i < len(s.b) {
		switch s.b[s.i] {
		case '.', 'e', 'E':
			s.fail("quantity %s is not an integer", s.b[start:s.i+1])
			return nil
		}
	}
	return s.b[start:s.i]
}

// u64 reads a quantity that must fit 64 bits. Leading zeros and upper-case
// digits are accepted: some clients write them, and the value is still
// unambiguous. So is a decimal JSON number.
func (s *scanner) u64(what string) uint64 {
	if dec := s.number(); dec != nil {
		v, err := strconv.ParseUint(string(dec), 10, 64)
		if err != nil {
			s.fail("%s: quantity %s over 64 bits", what, dec)
		}
		return v
	}
	d := s.hexDigits(what)
	if s.err != nil {
		return 0
	}
	if len(d) == 0 {
		s.fail("%s: empty quantity", what)
		return 0
	}
	var v uint64
	for _, c := range d {
		x := unhex[c]
		if x == 0xff {
			s.fail("%s: bad hex digit %q", what, c)
			return 0
		}
		if v>>60 != 0 {
			s.fail("%s: quantity over 64 bits", what)
			return 0
		}
		v = v<<4 | uint64(x)
	}
	return v
}

// hash reads 32 bytes of fixed-size data.
func (s *scanner) hash(what string) (h common.Hash) {
	s.fixed(what, h[:])
	return h
}

func (s *scanner) address(what string) (a common.Address) {
	s.fixed(what, a[:])
	return a
}

func (s *scanner) fixed(what string, dst []byte) {
	d := s.hexDigits(what)
	if s.err != nil {
		return
	}
	if len(d) != 2*len(dst) {
		s.fail("%s: want %d hex digits, got %d", what, 2*len(dst), len(d))
		return
	}
	if !decodeHex(dst, d) {
		s.fail("%s: bad hex", what)
	}
}

func decodeHex(dst, src []byte) bool {
	var bad byte
	for i := range dst {
		hi, lo := unhex[src[2*i]], unhex[src[2*i+1]]
		bad |= hi | lo
		dst[i] = hi<<4 | lo
	}
	// Valid digits are < 16, so any 0xff lookup sets the high bit.
	return bad&0x80 == 0
}

// bloom reads a 256-byte logs bloom. ethidx does not store blooms, and
// some nodes send a short placeholder ("0x0", BSC-style forks) or none:
// anything but a full bloom is read as no bloom (false), and the
// verification computes it instead.
func (s *scanner) bloom(b *types.Bloom) bool {
	d := s.hexDigits("logsBloom")
	if s.err != nil || len(d) != 2*len(b) {
		return false
	}
	if !decodeHex(b[:], d) {
		s.fail("logsBloom: bad hex")
		return false
	}
	return true
}

// bytes reads variable-length data into the arena.
func (s *scanner) bytes(what string, a *arena) []byte {
	d := s.hexDigits(what)
	if s.err != nil || len(d) == 0 {
		return nil
	}
	if len(d)%2 != 0 {
		s.fail("%s: odd number of hex digits", what)
		return nil
	}
	out := a.bytes.take(len(d) / 2)
	if !decodeHex(out, d) {
		s.fail("%s: bad hex", what)
		return nil
	}
	return out
}

// big reads a quantity of up to 256 bits. The big.Int and its words come
// from the arena, so a block's amounts cost two allocations, not hundreds.
func (s *scanner) big(what string, a *arena) *big.Int {
	if dec := s.number(); dec != nil {
		z, ok := new(big.Int).SetString(string(dec), 10)
		if !ok || z.BitLen() > 256 {
			s.fail("%s: quantity %.20s over 256 bits", what, dec)
			return nil
		}
		return z
	}
	d := s.hexDigits(what)
	if s.err != nil {
		return nil
	}
	for len(d) > 1 && d[0] == '0' {
		d = d[1:]
	}
	if len(d) == 0 || len(d) > 64 {
		s.fail("%s: want a quantity of 1 to 64 hex digits, got %d", what, len(d))
		return nil
	}
	const digitsPerWord = bits.UintSize / 4
	words := a.words.take((len(d) + digitsPerWord - 1) / digitsPerWord)
	for w := range words {
		end := len(d) - w*digitsPerWord
		start := max(0, end-digitsPerWord)
		var v big.Word
		for _, c := range d[start:end] {
			x := unhex[c]
			if x == 0xff {
				s.fail("%s: bad hex digit %q", what, c)
				return nil
			}
			v = v<<4 | big.Word(x)
		}
		words[w] = v
	}
	z := &a.ints.take(1)[0]
	return z.SetBits(words)
}

// arena hands out the small pieces of a block's rows from a few large
// allocations. A block's rows live and die together, so sharing backing
// arrays between them costs nothing and saves the garbage collector most
// of its work.
type arena struct {
	bytes  slab[byte]
	words  slab[big.Word]
	ints   slab[big.Int]
	hashes slab[common.Hash]
	addrs  slab[common.Address]
	u64s   slab[uint64]
	u8s    slab[uint8]
	blooms slab[types.Bloom]
}

func newArena(jsonLen int) *arena {
	a := &arena{}
	// Hex data takes two JSON bytes per byte, so half the input always
	// holds every byte string of the block.
	a.bytes.chunk = min(jsonLen/2+64, 64<<10)
	a.words.chunk = 1024
	a.ints.chunk = 512
	a.hashes.chunk = 512
	a.addrs.chunk = 256
	a.u64s.chunk = 256
	a.u8s.chunk = 512
	a.blooms.chunk = 64
	return a
}

// slab allocates T in chunks; slices it returns never grow into each other.
type slab[T any] struct {
	buf   []T
	chunk int
}

func (s *slab[T]) take(n int) []T {
	if cap(s.buf)-len(s.buf) < n {
		s.buf = make([]T, 0, max(s.chunk, n))
	}
	start := len(s.buf)
	s.buf = s.buf[:start+n]
	return s.buf[start : start+n : start+n]
}

func (s *slab[T]) one(v T) *T {
	p := &s.take(1)[0]
	*p = v
	return p
}
