package rpcsource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/ethidx/ethidx/indexer"
)

// With Options.Traces, every block also gets its call frames (see
// indexer.Trace). Clients serve them under two methods with two formats:
//
//   - debug_traceBlockByHash with go-ethereum's callTracer (geth, Erigon,
//     Nethermind, reth, Besu, anvil): per transaction, a tree of frames.
//     Asked by the hash of the block already fetched and proven, so a reorg
//     between the calls cannot pair a block with another block's traces.
//   - trace_block (OpenEthereum's format: Erigon, Nethermind, reth, anvil):
//     a flat list of frames with their trace addresses, by block number;
//     every entry names its block hash, which must be the block's.
//
// Each node is asked which it serves, debug_traceBlockByHash first: it is
// by hash, and geth, the most common node, has no other. Both answers are
// flattened into the same rows, in execution order, and checked against the
// block and its receipts (checkTraces) before the block is returned.

// ErrNoTraces says a node serves neither trace method: indexing traces from
// it is impossible, so the caller should stop at once (a configuration
// error, like a wrong --rpc URL).
var ErrNoTraces = errors.New("the node serves no call traces")

// How an endpoint serves traces (endpoint.traces).
const (
	tracesNone   = -1
	tracesDebug  = 1 // debug_traceBlockByHash with callTracer
	tracesParity = 2 // trace_block
)

const (
	methodDebugTrace  = "debug_traceBlockByHash"
	methodParityTrace = "trace_block"
)

// callTracer is the tracer config of every debug_traceBlockByHash call.
var callTracer = map[string]string{"tracer": "callTracer"}

// ProbeTraces asks every node which trace method it serves. New calls it
// when Options.Traces is set, so a node without traces is refused before
// any work; an error wrapping ErrNoTraces names the node and both methods.
// A node that does not answer now is asked again before its first use.
func (s *Source) ProbeTraces(ctx context.Context) error {
	for _, ep := range s.eps {
		err := s.probeTraces(ctx, ep)
		switch {
		case errors.Is(err, ErrNoTraces) || ctx.Err() != nil:
			return err
		case err != nil:
			s.opts.Logger.Warn("node did not answer which trace method it serves; it is asked before its first use",
				"url", redact(ep.url), "err", err)
		}
	}
	return nil
}

// probeTraces learns which trace method ep serves, once. The probes ask
// for what costs a node nothing: the trace of a block that does not exist
// (an error that is not "method not found" shows the method is there) and
// the trace of the genesis block, which has no transactions.
func (s *Source) probeTraces(ctx context.Context, ep *endpoint) error {
	if ep.traces.Load() != 0 {
		if ep.traces.Load() == tracesNone {
			return noTraces(ep)
		}
		return nil
	}
	probes := []struct {
		kind   int32
		method string
		args   []any
	}{
		{tracesDebug, methodDebugTrace, []any{common.Hash{}, callTracer}},
		{tracesParity, methodParityTrace, []any{"0x0"}},
	}
	for _, p := range probes {
		if s.opts.traceMethod != "" && s.opts.traceMethod != p.method {
			continue
		}
		var raw json.RawMessage
		err := s.call(ctx, ep, &raw, p.method, p.args...)
		var re rpc.Error
		switch {
		case err != nil && methodMissing(err):
			continue
		case err == nil || errors.As(err, &re):
			// An answer, even "block not found": the method is there.
			ep.traces.Store(p.kind)
			s.opts.Logger.Info("node serves call traces", "url", redact(ep.url), "method", p.method)
			return nil
		default:
			return fmt.Errorf("asking %s which trace method it serves: %w", redact(ep.url), err)
		}
	}
	ep.traces.Store(tracesNone)
	return noTraces(ep)
}

func noTraces(ep *endpoint) error {
	return fmt.Errorf("%w: node %s serves neither %s (with callTracer) nor %s; "+
		"give --rpc a node with the debug or trace API enabled (geth: --http.api eth,debug), or index without --traces",
		ErrNoTraces, redact(ep.url), methodDebugTrace, methodParityTrace)
}

// traceBatchSize is how many trace calls go in one batch: a quarter of
// BatchSize's. A block's traces can outweigh its block and receipts
// (callTracer repeats every frame's input and output; not yet measured on
// mainnet), so fewer per batch keep one answer under MaxResponseSize and
// geth's 25 MB batch response limit. An answer over the limit still fails
// cleanly (ResponseTooLargeError) and moves to the next node.
func (s *Source) traceBatchSize() int { return max(1, s.opts.BatchSize/4) }

// fetchTraces fetches and checks the traces of every slot whose block is
// decoded and proven but not yet traced (sl.untraced), and completes it.
// A failed trace call leaves the block waiting for the next attempt; traces
// that fail their checks drop the whole block, which is fetched afresh.
func (s *Source) fetchTraces(ctx context.Context, ep *endpoint, slots []slot, held *bodies) error {
	var calls []*call
	var owners []*slot
	for i := range slots {
		sl := &slots[i]
		if sl.out != nil && !sl.out.Traced {
			if len(sl.out.Transactions) == 0 {
				sl.out.Traced = true
				continue
			}
			sl.untraced, sl.out = sl.out, nil
		}
		if sl.untraced != nil && sl.err == nil {
			owners = append(owners, sl)
		}
	}
	if len(owners) == 0 {
		return nil
	}
	if err := s.probeTraces(ctx, ep); err != nil {
		return err
	}
	kind := ep.traces.Load()
	for _, sl := range owners {
		c := &call{method: methodDebugTrace, params: []any{sl.untraced.Hash, callTracer}}
		if kind == tracesParity {
			c = &call{method: methodParityTrace, params: []any{hexNumber(sl.n)}}
		}
		calls = append(calls, c)
	}
	if err := s.batchOf(ctx, ep, calls, held, s.traceBatchSize()); err != nil {
		return err
	}
	for k, c := range calls {
		sl := owners[k]
		b := sl.untraced
		if c.err != nil {
			sl.err = fmt.Errorf("block %d: %s: %w", sl.n, c.method, c.err)
			continue
		}
		var err error
		if kind == tracesParity {
			err = decodeParityTraces(b, c.result)
		} else {
			err = decodeCallTraces(b, c.result)
		}
		if err == nil {
			err = checkTraces(b)
		}
		if err != nil {
			b.Traces = nil
			sl.fail(err, ep)
			continue
		}
		b.Traced = true
		sl.untraced, sl.out = nil, b
	}
	return nil
}

// callTypes are the frame types ethidx knows, as callTracer names them.
var callTypes = map[string]string{
	"CALL": "CALL", "STATICCALL": "STATICCALL", "DELEGATECALL": "DELEGATECALL", "CALLCODE": "CALLCODE",
	"CREATE": "CREATE", "CREATE2": "CREATE2", "SELFDESTRUCT": "SELFDESTRUCT",
}

func isCreation(t string) bool { return t == "CREATE" || t == "CREATE2" }

// movesNoValue are the frames that move no wei whatever the node writes in
// their value: a DELEGATECALL or CALLCODE runs code with its caller's value
// (callTracer repeats it), a STATICCALL cannot carry any.
func movesNoValue(t string) bool { return t == "DELEGATECALL" || t == "STATICCALL" }

// maxFrameDepth bounds the nesting of callTracer frames: the EVM stops at
// a call depth of 1024, so anything deeper is not a real trace.
const maxFrameDepth = 1025

// traceDecoder reads one block's trace answer into b.Traces.
type traceDecoder struct {
	a     *arena
	b     *indexer.Block
	paths slab[uint32]
}

func newTraceDecoder(b *indexer.Block, jsonLen int) *traceDecoder {
	d := &traceDecoder{a: newArena(jsonLen), b: b}
	d.paths.chunk = 1024
	return d
}

// decodeCallTraces reads a debug_traceBlockByHash callTracer answer: one
// {txHash, result} per transaction, in order, each result a tree of frames
// flattened here depth first (execution order).
func decodeCallTraces(b *indexer.Block, raw []byte) error {
	d := newTraceDecoder(b, len(raw))
	s := &scanner{b: raw}
	if s.null() {
		return blockErr(b.Number, "node has the block but returned no traces")
	}
	i := 0
	if s.expect('[') {
		for first := true; s.next(']', &first); i++ {
			if i >= len(b.Transactions) {
				s.skip() // counted for the message
				continue
			}
			d.txTrace(s, i)
		}
	}
	if s.err == nil && s.peek() != 0 {
		s.fail("data after the traces")
	}
	if s.err != nil {
		return blockErr(b.Number, "%s", describe("traces", s.err))
	}
	if i != len(b.Transactions) {
		return blockErr(b.Number, "node returned traces of %d transactions for %d transactions", i, len(b.Transactions))
	}
	return nil
}

func (d *traceDecoder) txTrace(s *scanner, i int) {
	t := &d.b.Transactions[i]
	var txHash common.Hash
	var failure []byte
	hasResult := false
	if !s.expect('{') {
		return
	}
	for first := true; s.next('}', &first); {
		k := s.key()
		if s.null() {
			continue
		}
		switch string(k) {
		case "txHash":
			txHash = s.hash("txHash")
		case "result":
			hasResult = true
			d.callFrame(s, i, nil)
		case "error":
			failure = s.str()
		default:
			s.skip()
		}
	}
	switch {
	case s.err != nil:
		s.err = fmt.Errorf("trace of transaction %d: %w", i, s.err)
	case failure != nil:
		s.reject("node could not trace transaction %d (%s): %.200s", i, t.Hash, failure)
	case txHash != (common.Hash{}) && txHash != t.Hash:
		s.reject("trace %d is of transaction %s, but transaction %d is %s", i, txHash, i, t.Hash)
	case !hasResult:
		s.reject("trace %d has no result", i)
	}
}

// callFrame reads one callTracer frame and its calls. The frame's row is
// appended before its children's, and filled by index, since a frame's
// fields may come after its calls (geth writes value last).
func (d *traceDecoder) callFrame(s *scanner, tx int, path []uint32) {
	if len(path) > maxFrameDepth {
		s.fail("frames nested deeper than %d", maxFrameDepth)
		return
	}
	b := d.b
	idx := len(b.Traces)
	b.Traces = append(b.Traces, indexer.Trace{TxIndex: uint32(tx), TraceAddress: path})
	var typ []byte
	children := uint32(0)
	if !s.expect('{') {
		return
	}
	for first := true; s.next('}', &first); {
		k := s.key()
		if s.null() {
			continue
		}
		tr := &b.Traces[idx]
		switch string(k) {
		case "type":
			typ = s.str()
		case "from":
			tr.From = s.address("from")
		case "to":
			tr.To = d.a.addrs.one(s.address("to"))
		case "value":
			tr.Value = s.big("value", d.a)
		case "gas":
			tr.Gas = s.u64("gas")
		case "gasUsed":
			tr.GasUsed = s.u64("gasUsed")
		case "input":
			tr.Selector, tr.InputSize = selector(s, "input")
		case "error":
			tr.Error = string(s.str())
		case "calls":
			if !s.expect('[') {
				break
			}
			for f := true; s.next(']', &f); children++ {
				child := d.paths.take(len(path) + 1)
				copy(child, path)
				child[len(path)] = children
				d.callFrame(s, tx, child)
			}
		default:
			s.skip() // output, revertReason, logs, ...
		}
	}
	if s.err != nil {
		return
	}
	tr := &b.Traces[idx]
	ct, ok := callTypes[string(typ)]
	if !ok {
		s.reject("transaction %d: frame %v has type %.20q", tx, path, typ)
		return
	}
	tr.CallType = ct
}

// decodeParityTraces reads a trace_block answer: a flat list of frames in
// execution order, each naming its transaction and path, plus reward
// entries (skipped).
func decodeParityTraces(b *indexer.Block, raw []byte) error {
	d := newTraceDecoder(b, len(raw))
	s := &scanner{b: raw}
	if s.null() {
		return blockErr(b.Number, "node has the block but returned no traces")
	}
	if s.expect('[') {
		for first := true; s.next(']', &first); {
			d.flatFrame(s)
		}
	}
	if s.err == nil && s.peek() != 0 {
		s.fail("data after the traces")
	}
	if s.err != nil {
		return blockErr(b.Number, "%s", describe("traces", s.err))
	}
	return nil
}

func (d *traceDecoder) flatFrame(s *scanner) {
	b := d.b
	var (
		tr                    indexer.Trace
		typ, callType, method []byte
		blockHash, txHash     common.Hash
		number, pos           = absent, absent
		hasPath               bool
		created               *common.Address
	)
	n := len(b.Traces)
	if !s.expect('{') {
		return
	}
	for first := true; s.next('}', &first); {
		k := s.key()
		if s.null() {
			continue
		}
		switch string(k) {
		case "type":
			typ = s.str()
		case "action":
			if !s.expect('{') {
				break
			}
			for f := true; s.next('}', &f); {
				k := s.key()
				if s.null() {
					continue
				}
				switch string(k) {
				case "callType":
					callType = s.str()
				case "creationMethod":
					method = s.str()
				case "from", "address": // address: a suicide's contract
					tr.From = s.address(string(k))
				case "to", "refundAddress":
					tr.To = d.a.addrs.one(s.address(string(k)))
				case "value", "balance":
					tr.Value = s.big(string(k), d.a)
				case "gas":
					tr.Gas = s.u64("gas")
				case "input", "init":
					tr.Selector, tr.InputSize = selector(s, string(k))
				default:
					s.skip() // author, rewardType, ...
				}
			}
		case "result":
			if !s.expect('{') {
				break
			}
			for f := true; s.next('}', &f); {
				k := s.key()
				if s.null() {
					continue
				}
				switch string(k) {
				case "gasUsed":
					tr.GasUsed = s.u64("gasUsed")
				case "address":
					created = d.a.addrs.one(s.address("result address"))
				default:
					s.skip() // output, code
				}
			}
		case "error":
			tr.Error = string(s.str())
		case "creationMethod":
			method = s.str()
		case "traceAddress":
			hasPath = true
			if !s.expect('[') {
				break
			}
			var buf [16]uint32
			p := buf[:0]
			for f := true; s.next(']', &f); {
				v := s.u64("traceAddress")
				if v > 1<<31 {
					s.fail("traceAddress element %d", v)
				}
				p = append(p, uint32(v))
			}
			if len(p) > maxFrameDepth {
				s.fail("traceAddress deeper than %d", maxFrameDepth)
			}
			tr.TraceAddress = d.paths.take(len(p))
			copy(tr.TraceAddress, p)
		case "blockHash":
			blockHash = s.hash("blockHash")
		case "blockNumber":
			number = s.u64("blockNumber")
		case "transactionHash":
			txHash = s.hash("transactionHash")
		case "transactionPosition":
			pos = s.u64("transactionPosition")
		default:
			s.skip() // subtraces: checked through the paths
		}
	}
	if s.err != nil {
		s.err = fmt.Errorf("trace entry %d: %w", n, s.err)
		return
	}
	switch string(typ) {
	case "reward":
		return // block and uncle rewards: no transaction's frame
	case "call":
		tr.CallType = callTypes[upper(callType)]
		if tr.CallType == "" || isCreation(tr.CallType) || tr.CallType == "SELFDESTRUCT" {
			s.reject("trace entry %d: call type %.20q", n, callType)
			return
		}
	case "create":
		tr.CallType = "CREATE"
		if upper(method) == "CREATE2" {
			tr.CallType = "CREATE2"
		}
		tr.To = created
	case "suicide", "selfdestruct":
		tr.CallType = "SELFDESTRUCT"
	default:
		s.reject("trace entry %d: type %.20q", n, typ)
		return
	}
	switch {
	case blockHash != b.Hash:
		s.reject("trace entry %d says block hash %s, block is %s", n, blockHash, b.Hash)
	case number != absent && number != b.Number:
		s.reject("trace entry %d says block %d", n, number)
	case pos == absent || pos >= uint64(len(b.Transactions)):
		s.reject("trace entry %d says transaction position %d; the block has %d transactions", n, int64(pos), len(b.Transactions))
	case txHash != (common.Hash{}) && txHash != b.Transactions[pos].Hash:
		s.reject("trace entry %d says transaction %s, transaction %d is %s", n, txHash, pos, b.Transactions[pos].Hash)
	case !hasPath:
		s.reject("trace entry %d has no traceAddress", n)
	}
	if s.err != nil {
		return
	}
	tr.TxIndex = uint32(pos)
	b.Traces = append(b.Traces, tr)
}

// upper maps ASCII letters to upper case.
func upper(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		out[i] = c
	}
	return string(out)
}

// selector reads a frame's input: its first four bytes, zero-padded, and
// its length, without keeping the rest.
func selector(s *scanner, what string) (sel [4]byte, size uint32) {
	d := s.hexDigits(what)
	if s.err != nil {
		return
	}
	if len(d)%2 != 0 {
		s.fail("%s: odd number of hex digits", what)
		return
	}
	head := d[:min(len(d), 8)]
	if !decodeHex(sel[:len(head)/2], head) {
		s.fail("%s: bad hex", what)
	}
	return sel, uint32(len(d) / 2)
}

// checkTraces checks a block's flattened frames against the block: frames
// grouped by transaction in order, each transaction with exactly one
// top-level frame, first; every path extending its parent's by the next
// child index and every child called from its parent's context; and each
// top-level frame the transaction itself (sender, recipient or created
// contract, value, success as its receipt says). It also numbers the
// frames and fills their block and transaction columns, and gives every
// frame a value (zero for DELEGATECALL and STATICCALL, which move none).
func checkTraces(b *indexer.Block) error {
	type open struct {
		path     []uint32
		context  *common.Address // the address the frame's code runs as
		children uint32
	}
	var stack []open
	tx, frame := -1, uint32(0)
	for k := range b.Traces {
		tr := &b.Traces[k]
		if tr.Value == nil || movesNoValue(tr.CallType) {
			tr.Value = new(big.Int)
		}
		if isCreation(tr.CallType) && tr.Error != "" {
			tr.To = nil // a failed creation created nothing
		}
		i := int(tr.TxIndex)
		if i != tx {
			if i != tx+1 {
				if i <= tx {
					return blockErr(b.Number, "trace frame %d of transaction %d comes after transaction %d's", k, i, tx)
				}
				return blockErr(b.Number, "transaction %d has no trace frames", tx+1)
			}
			if tr.Depth() != 0 {
				return blockErr(b.Number, "transaction %d's first trace frame is at %v, not the top-level call", i, tr.TraceAddress)
			}
			if err := checkTop(b, i, tr); err != nil {
				return err
			}
			tx, frame, stack = i, 0, stack[:0]
		} else {
			frame++
			depth := tr.Depth()
			if depth == 0 {
				return blockErr(b.Number, "transaction %d has a second top-level trace frame (frame %d)", i, frame)
			}
			if depth > len(stack) {
				return blockErr(b.Number, "transaction %d: trace frame %d at %v has no parent frame", i, frame, tr.TraceAddress)
			}
			stack = stack[:depth]
			parent := &stack[depth-1]
			if !slices.Equal(tr.TraceAddress[:depth-1], parent.path) || tr.TraceAddress[depth-1] != parent.children {
				return blockErr(b.Number, "transaction %d: trace frame %d at %v does not follow its parent %v's child %d",
					i, frame, tr.TraceAddress, parent.path, parent.children)
			}
			parent.children++
			if parent.context != nil && tr.From != *parent.context {
				return blockErr(b.Number, "transaction %d: trace frame %d at %v is from %s, but its parent runs as %s",
					i, frame, tr.TraceAddress, tr.From, *parent.context)
			}
		}
		tr.BlockNumber, tr.BlockTimestamp = b.Number, b.Timestamp
		tr.TxHash, tr.Frame = b.Transactions[i].Hash, frame
		ctx := tr.To
		switch tr.CallType {
		case "DELEGATECALL", "CALLCODE":
			ctx = &tr.From
		}
		stack = append(stack, open{path: tr.TraceAddress, context: ctx})
	}
	if tx+1 != len(b.Transactions) {
		return blockErr(b.Number, "transaction %d has no trace frames", tx+1)
	}
	return nil
}

// checkTop checks a transaction's top-level frame against the transaction
// and its receipt.
func checkTop(b *indexer.Block, i int, tr *indexer.Trace) error {
	t := &b.Transactions[i]
	fail := func(format string, args ...any) error {
		return blockErr(b.Number, "transaction %d's top-level trace frame %s", i, fmt.Sprintf(format, args...))
	}
	if tr.From != t.From {
		return fail("is from %s, the transaction from %s", tr.From, t.From)
	}
	if t.To != nil {
		if tr.CallType != "CALL" {
			return fail("is a %s, the transaction a call", tr.CallType)
		}
		if tr.To == nil || *tr.To != *t.To {
			return fail("calls %v, the transaction %s", addrString(tr.To), *t.To)
		}
	} else {
		if tr.CallType != "CREATE" {
			return fail("is a %s, the transaction a creation", tr.CallType)
		}
		if tr.Error == "" && t.ContractAddress != nil && (tr.To == nil || *tr.To != *t.ContractAddress) {
			return fail("creates %v, the receipt says %s", addrString(tr.To), *t.ContractAddress)
		}
	}
	if tr.Value.Cmp(t.Value) != 0 {
		return fail("moves %s wei, the transaction %s", tr.Value, t.Value)
	}
	if t.Status != nil && (tr.Error == "") != (*t.Status == 1) {
		if tr.Error == "" {
			return fail("succeeded, but the receipt says status 0")
		}
		return fail("failed (%.100s), but the receipt says status 1", tr.Error)
	}
	return nil
}

func addrString(a *common.Address) string {
	if a == nil {
		return "nothing"
	}
	return a.Hex()
}
