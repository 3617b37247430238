package sqlhttp

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/go-faster/city"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"golang.org/x/sync/semaphore"

	"github.com/ethidx/ethidx/indexer/chdb"
)

// Limits bound what one request may make the endpoint read and allocate.
// Every size a client declares (a compressed block's header, a
// Content-Length) is checked against them before memory is taken for it,
// so a few bytes on the wire never cost more than a small multiple of
// themselves.
type Limits struct {
	// MaxQuerySize bounds the statement text (URL plus body, up to an
	// INSERT's data).
	MaxQuerySize int64
	// MaxBodySize bounds the request body as sent (compressed).
	MaxBodySize int64
	// MaxDataSize bounds an INSERT's data after every decompression.
	MaxDataSize int64
	// MaxRatio bounds decompressed bytes per compressed byte, over the
	// body (Content-Encoding) and per native block (decompress=1); a
	// body's first ratioSlack bytes are exempt.
	MaxRatio int64
	// MaxBlockSize bounds one native compressed block (decompress=1),
	// compressed and decompressed. Its buffers also come from the
	// server-wide Config.MaxDecodeMemory.
	MaxBlockSize int64
}

// DefaultLimits apply to endpoint users. ClickHouse parses at most 256 KiB
// of query text by default (max_query_size); 1 MiB leaves room for BI
// tools' long IN lists. An INSERT's data streams into the engine, so its
// size costs time, not memory: the body limits only stop a bomb. A native
// block of clickhouse-go is one whole batch; 64 MiB is about 100,000
// wide rows.
var DefaultLimits = Limits{
	MaxQuerySize: 1 << 20,
	MaxBodySize:  1 << 30,
	MaxDataSize:  4 << 30,
	MaxRatio:     1024,
	MaxBlockSize: 64 << 20,
}

// internalLimits apply to the serving process's own account: its inserts
// are whole backfill batches, and its statements are its own.
// Zero MaxBodySize and MaxDataSize mean no limit.
var internalLimits = Limits{MaxQuerySize: maxQuerySize, MaxBlockSize: maxNativeBlock, MaxRatio: maxNativeBlock}

// DefaultMaxDecodeMemory is the server-wide budget for native blocks being
// decompressed (Config.MaxDecodeMemory): four blocks of the largest size.
const DefaultMaxDecodeMemory = 4 * (64 << 20)

// decodeWait is how long a block waits for the decoding budget.
const decodeWait = 10 * time.Second

// ratioSlack is how much a body may decompress to before MaxRatio is
// checked: small bodies of repetitive rows compress far better than any
// bomb needs to.
const ratioSlack = 1 << 20

func (l *Limits) setDefaults() {
	d := DefaultLimits
	if l.MaxQuerySize <= 0 {
		l.MaxQuerySize = d.MaxQuerySize
	}
	l.MaxQuerySize = min(l.MaxQuerySize, maxQuerySize)
	if l.MaxBodySize <= 0 {
		l.MaxBodySize = d.MaxBodySize
	}
	if l.MaxDataSize <= 0 {
		l.MaxDataSize = d.MaxDataSize
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = d.MaxRatio
	}
	if l.MaxBlockSize <= 0 {
		l.MaxBlockSize = d.MaxBlockSize
	}
	l.MaxBlockSize = min(l.MaxBlockSize, maxNativeBlock)
}

// maxNativeBlock is the largest block ClickHouse's framing can declare
// that clickhouse-go (ch-go) would send.
const maxNativeBlock = 128 << 20

func tooLarge(what string, limit int64) error {
	return chdb.NewError(chdb.CodeQueryTooLarge, "QUERY_IS_TOO_LARGE", "%s is too large (more than %d bytes)", what, limit)
}

// countingReader counts the bytes read through it and fails past max.
type countingReader struct {
	r    io.Reader
	n    int64
	max  int64 // 0: no limit
	what string
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.max > 0 && c.n > c.max {
		return 0, tooLarge(c.what, c.max)
	}
	if c.max > 0 {
		p = p[:min(int64(len(p)), c.max-c.n+1)]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.max > 0 && c.n > c.max {
		return n, tooLarge(c.what, c.max)
	}
	return n, err
}

// ratioReader fails when what it decompressed outgrows the compressed
// bytes read so far by more than max times (past ratioSlack).
type ratioReader struct {
	r    io.Reader
	wire *countingReader
	n    int64
	max  int64
}

func (c *ratioReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > ratioSlack && c.n > c.max*c.wire.n {
		return n, chdb.NewError(codeCannotDecompress, "CANNOT_DECOMPRESS",
			"Request body decompresses to more than %d times its size: refused as a decompression bomb", c.max)
	}
	return n, err
}

// ClickHouse's error codes for bad compressed input.
const (
	codeTooLargeSizeCompressed = 39 // TOO_LARGE_SIZE_COMPRESSED
	codeChecksumDoesntMatch    = 40 // CHECKSUM_DOESNT_MATCH
	codeCannotDecompress       = 271
)

// Native block framing (ClickHouse's CompressedReadBuffer, what
// clickhouse-go sends with LZ4 or ZSTD on): a CityHash128 of the rest,
// then a method byte, the compressed size (counting these nine header
// bytes) and the decompressed size, both little-endian uint32.
const (
	checksumSize = 16
	blockHeader  = 9
	methodLZ4    = 0x82
	methodZSTD   = 0x90
	methodNone   = 0x02
)

// nativeReader decodes native compressed blocks. Unlike a decoder that
// allocates what a header declares, it checks the declared sizes against
// its Limits and takes their memory from the server-wide budget before
// allocating any of it, so a 25-byte header declaring 128 MiB costs
// nothing but an error.
type nativeReader struct {
	ctx    context.Context
	r      io.Reader
	lim    Limits
	budget *semaphore.Weighted // nil: none (the process's own requests)
	held   int64               // bytes of budget taken for raw and data
	raw    []byte
	data   []byte
	pos    int
	zstd   *zstd.Decoder
	err    error
}

func newNativeReader(ctx context.Context, r io.Reader, lim Limits, budget *semaphore.Weighted) *nativeReader {
	return &nativeReader{ctx: ctx, r: r, lim: lim, budget: budget}
}

func (n *nativeReader) Read(p []byte) (int, error) {
	for n.pos >= len(n.data) {
		if n.err != nil {
			return 0, n.err
		}
		if n.err = n.next(); n.err != nil {
			return 0, n.err
		}
	}
	k := copy(p, n.data[n.pos:])
	n.pos += k
	return k, nil
}

// Close gives the block buffers' budget back.
func (n *nativeReader) Close() error {
	n.release()
	if n.zstd != nil {
		n.zstd.Close()
	}
	if n.err == nil {
		n.err = io.ErrClosedPipe
	}
	return nil
}

func (n *nativeReader) release() {
	if n.budget != nil && n.held > 0 {
		n.budget.Release(n.held)
	}
	n.held, n.raw, n.data, n.pos = 0, nil, nil, 0
}

func corrupt(format string, args ...any) error {
	return chdb.NewError(codeCannotDecompress, "CANNOT_DECOMPRESS", "Cannot decompress native block: %s", fmt.Sprintf(format, args...))
}

// next reads and decodes one block.
func (n *nativeReader) next() error {
	var head [checksumSize + blockHeader]byte
	if _, err := io.ReadFull(n.r, head[:1]); err == io.EOF {
		return io.EOF
	} else if err != nil {
		return readErr(err)
	}
	if _, err := io.ReadFull(n.r, head[1:]); err != nil {
		return corrupt("truncated block header (%v)", err)
	}
	method := head[checksumSize]
	raw := int64(binary.LittleEndian.Uint32(head[checksumSize+1:]))
	size := int64(binary.LittleEndian.Uint32(head[checksumSize+5:]))
	switch {
	case raw < blockHeader:
		return corrupt("compressed size %d is less than its header", raw)
	case raw > n.lim.MaxBlockSize || size > n.lim.MaxBlockSize:
		return chdb.NewError(codeTooLargeSizeCompressed, "TOO_LARGE_SIZE_COMPRESSED",
			"Native block of %d bytes compressed, %d decompressed: more than the %d bytes allowed; send smaller batches", raw, size, n.lim.MaxBlockSize)
	case size > n.lim.MaxRatio*raw && size > ratioSlack:
		return corrupt("it declares %d bytes from %d compressed, more than %d times: refused as a decompression bomb", size, raw, n.lim.MaxRatio)
	case method == methodNone && size != raw-blockHeader:
		return corrupt("uncompressed block declares %d bytes but holds %d", size, raw-blockHeader)
	case method != methodLZ4 && method != methodZSTD && method != methodNone:
		return corrupt("unknown method 0x%02x", method)
	}
	// Take the memory before allocating it; wait for other requests'
	// blocks to be done rather than exceed the budget.
	need := raw + checksumSize + size
	if need > n.held {
		if n.budget != nil {
			ctx, cancel := context.WithTimeout(n.ctx, decodeWait)
			err := n.budget.Acquire(ctx, need-n.held)
			cancel()
			if err != nil {
				return chdb.NewError(chdb.CodeTooManySimultaneousQueries, "TOO_MANY_SIMULTANEOUS_QUERIES",
					"Too many compressed blocks being decoded at once: %v", err)
			}
		}
		n.held = need
	}
	if int64(cap(n.raw)) < raw+checksumSize {
		n.raw = make([]byte, raw+checksumSize)
	}
	buf := n.raw[:raw+checksumSize]
	copy(buf, head[:])
	if _, err := io.ReadFull(n.r, buf[len(head):]); err != nil {
		return corrupt("truncated block: %v", readErr(err))
	}
	want := city.U128{Low: binary.LittleEndian.Uint64(buf[0:8]), High: binary.LittleEndian.Uint64(buf[8:16])}
	if city.CH128(buf[checksumSize:]) != want {
		return chdb.NewError(codeChecksumDoesntMatch, "CHECKSUM_DOESNT_MATCH", "Checksum doesn't match: corrupted native block")
	}
	body := buf[checksumSize+blockHeader:]
	if int64(cap(n.data)) < size {
		n.data = make([]byte, size)
	}
	n.data, n.pos = n.data[:size], 0
	switch method {
	case methodNone:
		copy(n.data, body)
	case methodLZ4:
		k, err := lz4.UncompressBlock(body, n.data)
		if err != nil || int64(k) != size {
			return corrupt("LZ4 data does not decompress to the declared %d bytes", size)
		}
	case methodZSTD:
		if n.zstd == nil {
			d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
				zstd.WithDecoderMaxMemory(uint64(n.lim.MaxBlockSize)))
			if err != nil {
				return corrupt("%v", err)
			}
			n.zstd = d
		}
		// A frame decoding to more than the block's buffer fails on its
		// length; the decoder's own bound (WithDecoderMaxMemory) stops it
		// from growing past MaxBlockSize meanwhile.
		out, err := n.zstd.DecodeAll(body, n.data[:0])
		if err != nil || int64(len(out)) != size {
			return corrupt("ZSTD data does not decompress to the declared %d bytes", size)
		}
	}
	return nil
}

func readErr(err error) error {
	var ce *chdb.Error
	if errors.As(err, &ce) {
		return err
	}
	return badRequest(chdb.CodeCannotReadBody, "CANNOT_READ_FROM_ISTREAM", "Cannot read request body: %v", err)
}
