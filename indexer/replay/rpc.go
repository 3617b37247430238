package replay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// call is one JSON-RPC request, with the block it concerns resolved so
// faults can target it.
type call struct {
	ID     json.RawMessage   `json:"id"`
	Method string            `json:"method"`
	Params []json.RawMessage `json:"params"`

	hasBlock bool
	block    uint64
}

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

const maxRequest = 8 << 20

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "JSON-RPC wants POST", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequest))
	if err != nil {
		http.Error(w, "reading request: "+err.Error(), http.StatusBadRequest)
		return
	}
	body = bytes.TrimSpace(body)
	batch := len(body) > 0 && body[0] == '['
	var calls []*call
	if batch {
		err = json.Unmarshal(body, &calls)
	} else {
		c := new(call)
		err = json.Unmarshal(body, c)
		calls = []*call{c}
	}
	if err != nil || len(calls) == 0 {
		writeJSON(w, []byte(`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}`))
		return
	}
	s.mu.Lock()
	for _, c := range calls {
		s.calls[c.Method]++
	}
	s.mu.Unlock()
	for _, c := range calls {
		s.locate(c)
	}

	// HTTP-level faults: the first matching call decides for the request.
	truncate := false
	for _, c := range calls {
		if f := s.take(c, FaultStatus); f != nil {
			http.Error(w, http.StatusText(f.Status), f.Status)
			return
		}
	}
	for _, c := range calls {
		if f := s.take(c, FaultLatency); f != nil {
			select {
			case <-time.After(f.Delay):
			case <-r.Context().Done():
				return
			}
			break
		}
	}
	for _, c := range calls {
		if s.take(c, FaultTruncate) != nil {
			truncate = true
			break
		}
	}

	// The answer is written as a list of pieces: small envelopes around the
	// pre-encoded results, which are never copied into a response buffer.
	var pieces [][]byte
	var env []byte
	sent := 0 // result bytes, for BatchResponseLimit
	if batch {
		env = append(env, '[')
	}
	for i, c := range calls {
		if i > 0 {
			env = append(env, ',')
		}
		result, rerr := s.answer(c)
		if lim := s.opts.BatchResponseLimit; batch && lim > 0 {
			// Like geth: the call that crosses the limit is answered, the
			// ones after it are refused.
			if sent > lim {
				result, rerr = nil, &rpcError{-32003, "response too large"}
			}
			sent += len(result)
		}
		env = append(env, `{"jsonrpc":"2.0","id":`...)
		if len(c.ID) == 0 {
			env = append(env, "null"...)
		} else {
			env = append(env, c.ID...)
		}
		if rerr != nil {
			e, _ := json.Marshal(rerr)
			env = append(env, `,"error":`...)
			env = append(env, e...)
		} else {
			env = append(env, `,"result":`...)
			pieces = append(pieces, env, result)
			env = nil
		}
		env = append(env, '}')
	}
	if batch {
		env = append(env, ']')
	}
	pieces = append(pieces, env)
	total := 0
	for _, p := range pieces {
		total += len(p)
	}
	if truncate {
		total /= 2
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(total))
	for _, p := range pieces {
		if total <= 0 {
			break
		}
		p = p[:min(len(p), total)]
		if _, err := w.Write(p); err != nil {
			return
		}
		total -= len(p)
	}
}

func writeJSON(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

// locate records which block a call is about.
func (s *Server) locate(c *call) {
	switch c.Method {
	case "eth_getBlockByNumber", "eth_getBlockReceipts":
		if n, ok := s.blockParam(c); ok {
			c.block, c.hasBlock = n, true
		}
	case "eth_getTransactionReceipt":
		if h, ok := hashParam(c); ok {
			if loc, ok := s.findTx(h); ok {
				c.block, c.hasBlock = loc.block, true
			}
		}
	}
}

func (s *Server) blockParam(c *call) (uint64, bool) {
	if len(c.Params) == 0 {
		return 0, false
	}
	var p string
	if err := json.Unmarshal(c.Params[0], &p); err != nil {
		return 0, false
	}
	if strings.HasPrefix(p, "0x") {
		n, err := strconv.ParseUint(p[2:], 16, 64)
		return n, err == nil
	}
	return s.resolveTag(p)
}

func hashParam(c *call) (common.Hash, bool) {
	if len(c.Params) == 0 {
		return common.Hash{}, false
	}
	var h common.Hash
	err := json.Unmarshal(c.Params[0], &h)
	return h, err == nil
}

var null = []byte("null")

func (s *Server) answer(c *call) ([]byte, *rpcError) {
	switch c.Method {
	case "eth_chainId":
		if s.take(c, FaultNull) != nil {
			return null, nil
		}
		return quoted(fmt.Sprintf("0x%x", s.opts.ChainID)), nil
	case "net_version":
		return quoted(strconv.FormatUint(s.opts.ChainID, 10)), nil
	case "eth_blockNumber":
		return quoted(fmt.Sprintf("0x%x", s.Head())), nil
	case "eth_syncing":
		return []byte("false"), nil
	case "eth_getBlockByNumber":
		return s.getBlock(c)
	case "eth_getBlockReceipts":
		if s.opts.NoBlockReceipts {
			return nil, &rpcError{-32601, "the method eth_getBlockReceipts does not exist/is not available"}
		}
		return s.getReceipts(c)
	case "eth_getTransactionReceipt":
		return s.getReceipt(c)
	}
	return nil, &rpcError{-32601, fmt.Sprintf("the method %s does not exist/is not available", c.Method)}
}

func quoted(s string) []byte { return []byte(`"` + s + `"`) }

var badParams = &rpcError{-32602, "invalid params"}

func (s *Server) getBlock(c *call) ([]byte, *rpcError) {
	if !c.hasBlock {
		if len(c.Params) == 0 {
			return nil, badParams
		}
		return null, nil
	}
	full := false
	if len(c.Params) > 1 {
		if err := json.Unmarshal(c.Params[1], &full); err != nil {
			return nil, badParams
		}
	}
	e := s.lookup(c.block)
	if f := s.take(c, FaultWrongBlock, FaultNull); f != nil {
		if f.Kind == FaultNull {
			return null, nil
		}
		e = s.other(c.block)
	}
	if e == nil {
		return null, nil
	}
	if full {
		return e.full, nil
	}
	return e.header, nil
}

func (s *Server) getReceipts(c *call) ([]byte, *rpcError) {
	if !c.hasBlock {
		if len(c.Params) == 0 {
			return nil, badParams
		}
		return null, nil
	}
	e := s.lookup(c.block)
	if e == nil {
		return null, nil
	}
	f := s.take(c, FaultWrongBlock, FaultNull, FaultShortReceipts, FaultForeignReceipts)
	if f == nil {
		return e.receiptsAll, nil
	}
	switch f.Kind {
	case FaultNull:
		return null, nil
	case FaultWrongBlock:
		if o := s.other(c.block); o != nil {
			return o.receiptsAll, nil
		}
	case FaultShortReceipts:
		if len(e.receipts) > 0 {
			return joinArray(e.receipts[:len(e.receipts)-1]), nil
		}
		return []byte("[null]"), nil
	case FaultForeignReceipts:
		rs := append([][]byte(nil), e.receipts...)
		if len(rs) > 0 {
			rs[0] = foreign(rs[0], e.txHashes[0])
		}
		return joinArray(rs), nil
	}
	return e.receiptsAll, nil
}

func (s *Server) getReceipt(c *call) ([]byte, *rpcError) {
	h, ok := hashParam(c)
	if !ok {
		return nil, badParams
	}
	loc, ok := s.findTx(h)
	if !ok {
		return null, nil
	}
	e := s.lookup(loc.block)
	if e == nil || loc.index >= len(e.receipts) || e.txHashes[loc.index] != h {
		return null, nil
	}
	r := e.receipts[loc.index]
	if f := s.take(c, FaultWrongBlock, FaultNull, FaultShortReceipts, FaultForeignReceipts); f != nil {
		switch f.Kind {
		case FaultNull, FaultShortReceipts:
			return null, nil
		case FaultWrongBlock:
			if o := s.other(loc.block); o != nil && len(o.receipts) > 0 {
				return o.receipts[loc.index%len(o.receipts)], nil
			}
		case FaultForeignReceipts:
			return foreign(r, h), nil
		}
	}
	return r, nil
}

// foreign rewrites every mention of tx hash h in a receipt to a hash that
// belongs to no transaction, keeping the JSON well formed.
func foreign(receipt []byte, h common.Hash) []byte {
	f := h
	f[31] ^= 0xff
	return bytes.ReplaceAll(receipt, []byte(h.Hex()), []byte(f.Hex()))
}

// other returns a held block other than n, preferring n+1: what a node
// confused about heights would answer.
func (s *Server) other(n uint64) *entry {
	if e := s.lookup(n + 1); e != nil {
		return e
	}
	if n > 0 {
		if e := s.lookup(n - 1); e != nil {
			return e
		}
	}
	s.mu.Lock()
	var pick uint64
	found := false
	for k := range s.fixed {
		if k != n && (!found || k < pick) {
			pick, found = k, true
		}
	}
	s.mu.Unlock()
	if !found {
		return nil
	}
	return s.lookup(pick)
}

func (s *Server) findTx(h common.Hash) (txLoc, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if loc, ok := s.txs[h]; ok {
		return loc, true
	}
	for _, g := range s.gens {
		if loc, ok := g.findTx(h); ok {
			return loc, true
		}
	}
	return txLoc{}, false
}
