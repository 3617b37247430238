package replay

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common"

	"github.com/ethidx/ethidx/internal/fixtures"
)

// entry is one block ready to serve: its JSON is encoded once and written
// verbatim into every response that asks for it.
type entry struct {
	number uint64
	hash   common.Hash
	full   []byte // eth_getBlockByNumber(n, true) result
	header []byte // eth_getBlockByNumber(n, false) result: tx hashes only
	// receiptsAll is the eth_getBlockReceipts result; receipts slices it
	// into the eth_getTransactionReceipt results, in tx order.
	receiptsAll []byte
	receipts    [][]byte
	txHashes    []common.Hash
}

// setReceipts stores the receipts as one array and its elements as slices
// of it, so neither form is built per request.
func (e *entry) setReceipts(rs [][]byte) {
	e.receiptsAll = joinArray(rs)
	e.receipts = make([][]byte, len(rs))
	at := 1
	for i, r := range rs {
		e.receipts[i] = e.receiptsAll[at : at+len(r) : at+len(r)]
		at += len(r) + 1
	}
}

func joinArray(elems [][]byte) []byte {
	n := 2
	for _, r := range elems {
		n += len(r) + 1
	}
	out := make([]byte, 0, n)
	out = append(out, '[')
	for i, r := range elems {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, r...)
	}
	return append(out, ']')
}

// LoadFixtures reads every <dir>/<number>/{block.json,receipts.json} pair
// (each file possibly gzip-compressed, as .json.gz, the way the
// repository's testdata/fixtures keeps them) and serves those blocks at their numbers. It returns how many it loaded.
func (s *Server) LoadFixtures(dir string) (int, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("reading fixtures: %w", err)
	}
	var loaded []*entry
	for _, de := range ents {
		n, err := strconv.ParseUint(de.Name(), 10, 64)
		if !de.IsDir() || err != nil {
			continue
		}
		e, err := loadFixture(filepath.Join(dir, de.Name()), n)
		if err != nil {
			return 0, err
		}
		loaded = append(loaded, e)
	}
	if len(loaded) == 0 {
		return 0, fmt.Errorf("no fixtures in %s", dir)
	}
	s.serveFixed(loaded)
	return len(loaded), nil
}

// LoadJSONL reads blocks from a file of JSON lines, each
// {"block": <eth_getBlockByNumber(n, true) result>, "receipts": <eth_getBlockReceipts(n) result>},
// gzip-compressed if the name ends in .gz (the shape of the era1 fixture:
// mainnet's first 16,384 blocks). It returns how many it loaded.
func (s *Server) LoadJSONL(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("reading blocks: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return 0, fmt.Errorf("reading %s: %w", path, err)
		}
		defer zr.Close()
		r = zr
	}
	dec := json.NewDecoder(r)
	var loaded []*entry
	for {
		var line struct {
			Block    json.RawMessage `json:"block"`
			Receipts json.RawMessage `json:"receipts"`
		}
		if err := dec.Decode(&line); err == io.EOF {
			break
		} else if err != nil {
			return 0, fmt.Errorf("reading %s, block %d of it: %w", path, len(loaded), err)
		}
		e, err := parseFixture(line.Block, line.Receipts)
		if err != nil {
			return 0, fmt.Errorf("reading %s, block %d of it: %w", path, len(loaded), err)
		}
		loaded = append(loaded, e)
	}
	if len(loaded) == 0 {
		return 0, fmt.Errorf("no blocks in %s", path)
	}
	s.serveFixed(loaded)
	return len(loaded), nil
}

// AddBlock serves a block given as the JSON results a node would return for
// eth_getBlockByNumber(n, true) and eth_getBlockReceipts(n).
func (s *Server) AddBlock(block, receipts []byte) error {
	e, err := parseFixture(block, receipts)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fixed[e.number] = e
	for i, h := range e.txHashes {
		s.txs[h] = txLoc{e.number, i}
	}
	return nil
}

func loadFixture(dir string, n uint64) (*entry, error) {
	block, err := fixtures.ReadFile(filepath.Join(dir, "block.json"))
	if err != nil {
		return nil, fmt.Errorf("fixture %d: %w", n, err)
	}
	receipts, err := fixtures.ReadFile(filepath.Join(dir, "receipts.json"))
	if err != nil {
		return nil, fmt.Errorf("fixture %d: %w", n, err)
	}
	e, err := parseFixture(block, receipts)
	if err != nil {
		return nil, fmt.Errorf("fixture %d: %w", n, err)
	}
	if e.number != n {
		return nil, fmt.Errorf("fixture dir %d holds block %d", n, e.number)
	}
	return e, nil
}

// parseFixture derives the hashes-only block and the per-transaction
// receipts from the two recorded results.
func parseFixture(block, receipts []byte) (*entry, error) {
	var b map[string]json.RawMessage
	if err := json.Unmarshal(block, &b); err != nil {
		return nil, fmt.Errorf("block: %w", err)
	}
	var head struct {
		Number string      `json:"number"`
		Hash   common.Hash `json:"hash"`
		Txs    []struct {
			Hash common.Hash `json:"hash"`
		} `json:"transactions"`
	}
	if err := json.Unmarshal(block, &head); err != nil {
		return nil, fmt.Errorf("block: %w", err)
	}
	n, err := strconv.ParseUint(head.Number, 0, 64)
	if err != nil {
		return nil, fmt.Errorf("block number %q: %w", head.Number, err)
	}
	var rs []json.RawMessage
	if err := json.Unmarshal(receipts, &rs); err != nil {
		return nil, fmt.Errorf("receipts: %w", err)
	}
	e := &entry{number: n, hash: head.Hash, full: compact(block)}
	for _, t := range head.Txs {
		e.txHashes = append(e.txHashes, t.Hash)
	}
	hashes, _ := json.Marshal(e.txHashes)
	if e.txHashes == nil {
		hashes = []byte("[]")
	}
	b["transactions"] = hashes
	e.header, _ = json.Marshal(b)
	parts := make([][]byte, len(rs))
	for i, r := range rs {
		parts[i] = compact(r)
	}
	e.setReceipts(parts)
	return e, nil
}

// compact strips insignificant whitespace so served bytes look like a
// node's output whatever the fixture's formatting.
func compact(b []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(b))
	if err := json.Compact(&out, b); err != nil {
		return b
	}
	return out.Bytes()
}

// serveFixed makes the loaded blocks (and their transactions, by hash)
// what the server answers for their numbers.
func (s *Server) serveFixed(loaded []*entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range loaded {
		s.fixed[e.number] = e
		for i, h := range e.txHashes {
			s.txs[h] = txLoc{e.number, i}
		}
	}
}
