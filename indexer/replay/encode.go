package replay

import (
	"encoding/hex"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"

	"github.com/ethereum/go-ethereum/common"
)

// gtx is a generated transaction before encoding: enough to write the
// transaction, its receipt and its logs consistently.
type gtx struct {
	typ          uint8
	from, to     common.Address
	create       bool
	nonce        uint64
	gas, gasUsed uint64
	cumGas       uint64
	gasPrice     uint64 // legacy and access-list txs
	maxFee       uint64
	maxPrio      uint64
	effective    uint64
	valHi, valLo uint64
	input        string // hex, no 0x
	access       int    // access-list tuples
	blobs        int
	auths        int
	failed       bool
	logs         int
	logKind      int
}

// pool holds random hex shared by every generated block, so encoding a
// block copies bytes instead of producing randomness.
var pool = sync.OnceValue(func() string {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, 64<<10)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return hex.EncodeToString(b)
})

// hexAt returns n random-looking bytes as hex, picked by r.
func hexAt(r *rand.Rand, n int) string {
	p := pool()
	off := r.IntN(len(p)/2-n) * 2
	return p[off : off+2*n]
}

// Popular contracts: tokens, routers, bridges. Recipients of calls and
// emitters of logs, drawn with a skew like real traffic.
const contracts = 20000

// Well-known event signatures so topic0 looks real.
var topic0 = []common.Hash{
	common.HexToHash("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"), // Transfer
	common.HexToHash("0x8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925"), // Approval
	common.HexToHash("0xd78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822"), // Swap v2
	common.HexToHash("0xc42079f94a6350d7e6235f29174924f928cc2ac818eb64fed8004e115fbcca67"), // Swap v3
	common.HexToHash("0x1c411e9a96e071241c2f21f7726b17ae89e3cab4c78be50e062b03a9fffbbad1"), // Sync
	common.HexToHash("0xe1fffcc4923d04b559f4d29a8bfc6cda04eb5b0d3c460751c2402c5c5cc9109c"), // Deposit
}

// model builds block n's transactions. The choices follow mainnet in 2024:
// mostly EIP-1559 transactions, a third plain transfers, token transfers
// with one log, swaps with several, a few blob, access-list, set-code and
// creation transactions, a few percent failing.
func (g *genRange) model(n uint64) (r *rand.Rand, txs []gtx, baseFee uint64) {
	r = g.rng(n)
	count := g.txCountFrom(r, n)
	baseFee = 5e9 + r.Uint64N(30e9)
	txs = make([]gtx, count)
	blobTxs := r.IntN(4)
	var cum uint64
	for i := range txs {
		t := &txs[i]
		t.from = g.account(r, n, i, 0)
		t.nonce = r.Uint64N(5000)
		switch k := r.IntN(1000); {
		case i >= count-blobTxs:
			t.typ = 3
		case k < 200:
			t.typ = 0
		case k < 210:
			t.typ = 1
		case k < 220:
			t.typ = 4
		default:
			t.typ = 2
		}
		switch k := r.IntN(1000); {
		case t.typ == 3:
			t.to = addr(tagAddr, 1<<50+uint64(r.IntN(8)))
			t.input, t.gas, t.gasUsed, t.logs, t.logKind = hexAt(r, 100+r.IntN(200)), 300000, 60000+r.Uint64N(80000), 1, 5
			t.blobs = 1 + r.IntN(6)
		case k < 5:
			t.create = true
			t.input, t.gas, t.gasUsed = hexAt(r, 2000+r.IntN(10000)), 3000000, 500000+r.Uint64N(2000000)
			t.logs, t.logKind = r.IntN(3), 0
		case k < 330:
			t.to = g.account(r, n, i, 1)
			t.input, t.gas, t.gasUsed = "", 21000, 21000
			t.valHi, t.valLo = valueOf(r)
		case k < 680:
			t.to = g.contract(r)
			t.input, t.gas, t.gasUsed, t.logs, t.logKind = "a9059cbb"+hexAt(r, 64), 90000, 34000+r.Uint64N(30000), 1, 0
		default:
			t.to = g.contract(r)
			t.input, t.gas, t.gasUsed = hexAt(r, 200+r.IntN(1300)), 500000, 90000+r.Uint64N(300000)
			t.logs, t.logKind = 3+r.IntN(8), 1+r.IntN(4)
			if r.IntN(3) == 0 {
				t.valHi, t.valLo = valueOf(r)
			}
		}
		if t.typ != 3 && !t.create && t.gas > 21000 && r.IntN(100) < 4 {
			t.failed, t.logs = true, 0
		}
		switch t.typ {
		case 1:
			t.access = 1 + r.IntN(3)
		case 4:
			t.auths = 1 + r.IntN(2)
		}
		prio := 1e7 + r.Uint64N(3e9)
		if t.typ >= 2 {
			t.maxPrio = prio
			t.maxFee = baseFee*2 + prio
			t.effective = min(t.maxFee, baseFee+t.maxPrio)
		} else {
			t.gasPrice = baseFee + prio
			t.effective = t.gasPrice
		}
		cum += t.gasUsed
		t.cumGas = cum
	}
	return r, txs, baseFee
}

// account picks an externally owned account: usually from the skewed pool,
// sometimes one never used before (unique to this block, tx and role).
func (g *genRange) account(r *rand.Rand, n uint64, i int, role uint64) common.Address {
	if r.Float64() < g.opts.NewShare {
		return addr(tagAddr, 1<<62|n<<18|uint64(i)<<2|role)
	}
	u := r.Float64()
	return addr(tagAddr, uint64(float64(g.opts.Addresses)*u*u*u))
}

func (g *genRange) contract(r *rand.Rand) common.Address {
	u := r.Float64()
	return addr(tagAddr, 1<<50+uint64(contracts*u*u))
}

// valueOf returns a wei amount, now and then above 2^64 so consumers must
// handle 256-bit values.
func valueOf(r *rand.Rand) (hi, lo uint64) {
	if r.IntN(20) == 0 {
		return 1 + r.Uint64N(200), r.Uint64()
	}
	return 0, r.Uint64N(1e19)
}

// encode generates block n and encodes everything a client may ask about it.
func (g *genRange) encode(n uint64) *entry {
	r, txs, baseFee := g.model(n)
	e := &entry{number: n, hash: g.blockHash(n), txHashes: make([]common.Hash, len(txs))}
	for i := range txs {
		e.txHashes[i] = g.txHash(n, i)
	}
	var gasUsed, blobGas uint64
	size := 600
	fullCap, receiptsCap := 4096, 16
	for _, t := range txs {
		gasUsed += t.gasUsed
		blobGas += uint64(t.blobs) * 131072
		size += 120 + len(t.input)/2
		fullCap += 1400 + len(t.input) + 300*(t.access+t.auths+t.blobs)
		receiptsCap += 1300 + 1000*t.logs
	}
	ts := g.opts.StartTime + (n-g.opts.From)*g.opts.BlockTime
	w := newWriter(fullCap)
	head := func(w *writer) {
		w.field("baseFeePerGas", baseFee)
		w.field("blobGasUsed", blobGas)
		w.raw(`"difficulty":"0x0",`)
		w.field("excessBlobGas", uint64(0))
		w.raw(`"extraData":"0x6265617665726275696c642e6f7267",`)
		w.field("gasLimit", max(36_000_000, gasUsed))
		w.field("gasUsed", gasUsed)
		w.hashField("hash", e.hash)
		w.raw(`"logsBloom":"0x` + bloom() + `",`)
		w.addrField("miner", addr(tagAddr, 1<<55+n%16))
		w.hashField("mixHash", mixHash(g.opts.Seed, tagRoot, n<<3|1))
		w.raw(`"nonce":"0x0000000000000000",`)
		w.field("number", n)
		w.hashField("parentBeaconBlockRoot", mixHash(g.opts.Seed, tagRoot, n<<3|2))
		w.hashField("parentHash", g.blockHash(n-1))
		w.hashField("receiptsRoot", mixHash(g.opts.Seed, tagRoot, n<<3|3))
		w.raw(`"sha3Uncles":"0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347",`)
		w.field("size", uint64(size))
		w.hashField("stateRoot", mixHash(g.opts.Seed, tagRoot, n<<3|4))
		w.field("timestamp", ts)
	}
	// Withdrawals draw from their own generator so both forms of the block
	// carry the same ones.
	tail := func(w *writer) {
		r := rand.New(rand.NewPCG(g.opts.Seed^tagSig<<56, n))
		w.hashField("transactionsRoot", mixHash(g.opts.Seed, tagRoot, n<<3|5))
		w.raw(`"uncles":[],"withdrawals":[`)
		for k := uint64(0); k < 16; k++ {
			if k > 0 {
				w.raw(",")
			}
			w.raw("{")
			w.addrField("address", addr(tagAddr, 1<<54+r.Uint64N(50000)))
			w.field("amount", 1e7+r.Uint64N(1e8))
			w.field("index", (n-g.opts.From)*16+k)
			w.last("validatorIndex", r.Uint64N(1_000_000))
			w.raw("}")
		}
		w.raw("],")
		w.hashField("withdrawalsRoot", mixHash(g.opts.Seed, tagRoot, n<<3|6))
		w.trim()
		w.raw("}")
	}

	// Hashes-only form, for eth_getBlockByNumber(n, false).
	hw := newWriter(800 + len(txs)*70)
	hw.raw("{")
	head(hw)
	hw.raw(`"transactions":[`)
	for i, h := range e.txHashes {
		if i > 0 {
			hw.raw(",")
		}
		hw.hash(h)
	}
	hw.raw("],")
	tail(hw)
	e.header = hw.b

	w.raw("{")
	head(w)
	w.raw(`"transactions":[`)
	for i := range txs {
		if i > 0 {
			w.raw(",")
		}
		g.writeTx(w, r, e, n, i, &txs[i])
	}
	w.raw("],")
	tail(w)
	e.full = w.b
	e.receiptsAll, e.receipts = g.writeReceipts(r, e, n, txs, receiptsCap)
	return e
}

var bloom = sync.OnceValue(func() string { return pool()[1000 : 1000+512] })

const zeroBloom = "0000000000000000000000000000000000000000000000000000000000000000" +
	"0000000000000000000000000000000000000000000000000000000000000000" +
	"0000000000000000000000000000000000000000000000000000000000000000" +
	"0000000000000000000000000000000000000000000000000000000000000000" +
	"0000000000000000000000000000000000000000000000000000000000000000" +
	"0000000000000000000000000000000000000000000000000000000000000000" +
	"0000000000000000000000000000000000000000000000000000000000000000" +
	"0000000000000000000000000000000000000000000000000000000000000000"

func (g *genRange) writeTx(w *writer, r *rand.Rand, e *entry, n uint64, i int, t *gtx) {
	w.raw("{")
	if t.typ == 1 || t.typ >= 2 {
		w.raw(`"accessList":[`)
		for k := 0; k < t.access; k++ {
			if k > 0 {
				w.raw(",")
			}
			w.raw("{")
			w.addrField("address", g.contract(r))
			w.raw(`"storageKeys":[`)
			for j, keys := 0, r.IntN(4); j < keys; j++ {
				if j > 0 {
					w.raw(",")
				}
				w.raw(`"0x`)
				w.raw(hexAt(r, 32))
				w.raw(`"`)
			}
			w.raw("]}")
		}
		w.raw("],")
	}
	if t.typ == 4 {
		w.raw(`"authorizationList":[`)
		for k := 0; k < t.auths; k++ {
			if k > 0 {
				w.raw(",")
			}
			w.raw("{")
			w.addrField("address", g.contract(r))
			w.field("chainId", 1)
			w.field("nonce", r.Uint64N(100))
			w.hexQuantity("r", hexAt(r, 32))
			w.hexQuantity("s", hexAt(r, 31))
			w.last("yParity", r.Uint64N(2))
			w.raw("}")
		}
		w.raw("],")
	}
	if t.typ == 3 {
		w.raw(`"blobVersionedHashes":[`)
		for k := 0; k < t.blobs; k++ {
			if k > 0 {
				w.raw(",")
			}
			h := mixHash(g.opts.Seed, tagBlob, n<<24|uint64(i)<<8|uint64(k))
			h[0] = 1
			w.hash(h)
		}
		w.raw("],")
	}
	w.hashField("blockHash", e.hash)
	w.field("blockNumber", n)
	if t.typ > 0 {
		w.field("chainId", 1)
	}
	w.addrField("from", t.from)
	w.field("gas", t.gas)
	w.field("gasPrice", t.effective)
	w.hashField("hash", e.txHashes[i])
	w.raw(`"input":"0x`)
	w.raw(t.input)
	w.raw(`",`)
	if t.typ == 3 {
		w.field("maxFeePerBlobGas", 1e10)
	}
	if t.typ >= 2 {
		w.field("maxFeePerGas", t.maxFee)
		w.field("maxPriorityFeePerGas", t.maxPrio)
	}
	w.field("nonce", t.nonce)
	w.hexQuantity("r", hexAt(r, 32))
	w.hexQuantity("s", hexAt(r, 32))
	if t.create {
		w.raw(`"to":null,`)
	} else {
		w.addrField("to", t.to)
	}
	w.field("transactionIndex", uint64(i))
	w.field("type", uint64(t.typ))
	if t.typ == 0 {
		w.field("v", 37+r.Uint64N(2))
	} else {
		v := r.Uint64N(2)
		w.field("v", v)
		w.field("yParity", v)
	}
	w.big("value", t.valHi, t.valLo)
	w.trim()
	w.raw("}")
}

// writeReceipts encodes the receipts as one JSON array and returns it with
// each receipt as a slice of it.
func (g *genRange) writeReceipts(r *rand.Rand, e *entry, n uint64, txs []gtx, capacity int) ([]byte, [][]byte) {
	w := newWriter(capacity)
	starts, ends := make([]int, len(txs)), make([]int, len(txs))
	logIndex := uint64(0)
	w.raw("[")
	for i := range txs {
		t := &txs[i]
		if i > 0 {
			w.raw(",")
		}
		starts[i] = len(w.b)
		w.raw("{")
		if t.typ == 3 {
			w.field("blobGasPrice", 1+r.Uint64N(100))
			w.field("blobGasUsed", uint64(t.blobs)*131072)
		}
		w.hashField("blockHash", e.hash)
		w.field("blockNumber", n)
		if t.create {
			w.addrField("contractAddress", addr(tagAddr, 1<<60|n<<16|uint64(i)))
		} else {
			w.raw(`"contractAddress":null,`)
		}
		w.field("cumulativeGasUsed", t.cumGas)
		w.field("effectiveGasPrice", t.effective)
		w.addrField("from", t.from)
		w.field("gasUsed", t.gasUsed)
		w.raw(`"logs":[`)
		for k := 0; k < t.logs; k++ {
			if k > 0 {
				w.raw(",")
			}
			g.writeLog(w, r, e, n, i, logIndex, t, k)
			logIndex++
		}
		w.raw("],")
		w.raw(`"logsBloom":"0x`)
		if t.logs > 0 {
			w.raw(bloom())
		} else {
			w.raw(zeroBloom)
		}
		w.raw(`",`)
		if t.failed {
			w.raw(`"status":"0x0",`)
		} else {
			w.raw(`"status":"0x1",`)
		}
		if t.create {
			w.raw(`"to":null,`)
		} else {
			w.addrField("to", t.to)
		}
		w.hashField("transactionHash", e.txHashes[i])
		w.field("transactionIndex", uint64(i))
		w.last("type", uint64(t.typ))
		w.raw("}")
		ends[i] = len(w.b)
	}
	w.raw("]")
	out := make([][]byte, len(txs))
	for i := range out {
		out[i] = w.b[starts[i]:ends[i]:ends[i]]
	}
	return w.b, out
}

func (g *genRange) writeLog(w *writer, r *rand.Rand, e *entry, n uint64, i int, logIndex uint64, t *gtx, k int) {
	w.raw("{")
	emitter := t.to
	if k > 0 || t.create {
		emitter = g.contract(r)
	}
	w.addrField("address", emitter)
	w.hashField("blockHash", e.hash)
	w.field("blockNumber", n)
	kind := t.logKind
	if k > 0 {
		kind = r.IntN(len(topic0))
	}
	var data string
	switch kind {
	case 2, 3:
		data = hexAt(r, 128+32*r.IntN(3))
	case 5:
		data = hexAt(r, 64+r.IntN(200))
	default:
		data = hexAt(r, 32)
	}
	w.raw(`"data":"0x`)
	w.raw(data)
	w.raw(`",`)
	w.field("logIndex", logIndex)
	w.raw(`"removed":false,"topics":[`)
	w.hash(topic0[kind%len(topic0)])
	for j, extra := 0, 2-kind%3; j < extra; j++ {
		w.raw(`,"0x000000000000000000000000`)
		a := g.account(r, n, i, uint64(2+j))
		w.b = hex.AppendEncode(w.b, a[:])
		w.raw(`"`)
	}
	w.raw("],")
	w.hashField("transactionHash", e.txHashes[i])
	w.last("transactionIndex", uint64(i))
	w.raw("}")
}

// writer appends JSON; fields end with a comma that trim or last removes.
type writer struct{ b []byte }

func newWriter(n int) *writer { return &writer{b: make([]byte, 0, n)} }

func (w *writer) raw(s string) { w.b = append(w.b, s...) }

func (w *writer) trim() {
	if n := len(w.b); n > 0 && w.b[n-1] == ',' {
		w.b = w.b[:n-1]
	}
}

func (w *writer) quantity(v uint64) {
	w.b = append(w.b, `"0x`...)
	w.b = strconv.AppendUint(w.b, v, 16)
	w.b = append(w.b, '"')
}

func (w *writer) field(name string, v uint64) {
	w.b = append(w.b, '"')
	w.b = append(w.b, name...)
	w.b = append(w.b, `":`...)
	w.quantity(v)
	w.b = append(w.b, ',')
}

func (w *writer) last(name string, v uint64) {
	w.field(name, v)
	w.trim()
}

// hexQuantity writes random hex as a quantity: no leading zeros, as
// strict clients (go-ethereum's hexutil) demand.
func (w *writer) hexQuantity(name, digits string) {
	digits = strings.TrimLeft(digits, "0")
	if digits == "" {
		digits = "0"
	}
	w.raw(`"`)
	w.raw(name)
	w.raw(`":"0x`)
	w.raw(digits)
	w.raw(`",`)
}

func (w *writer) big(name string, hi, lo uint64) {
	if hi == 0 {
		w.field(name, lo)
		return
	}
	w.b = append(w.b, '"')
	w.b = append(w.b, name...)
	w.b = append(w.b, `":"0x`...)
	w.b = strconv.AppendUint(w.b, hi, 16)
	s := strconv.FormatUint(lo, 16)
	for range 16 - len(s) {
		w.b = append(w.b, '0')
	}
	w.b = append(w.b, s...)
	w.b = append(w.b, `",`...)
}

func (w *writer) hash(h common.Hash) {
	w.b = append(w.b, `"0x`...)
	w.b = hex.AppendEncode(w.b, h[:])
	w.b = append(w.b, '"')
}

func (w *writer) hashField(name string, h common.Hash) {
	w.b = append(w.b, '"')
	w.b = append(w.b, name...)
	w.b = append(w.b, `":`...)
	w.hash(h)
	w.b = append(w.b, ',')
}

func (w *writer) addrField(name string, a common.Address) {
	w.b = append(w.b, '"')
	w.b = append(w.b, name...)
	w.b = append(w.b, `":"0x`...)
	w.b = hex.AppendEncode(w.b, a[:])
	w.b = append(w.b, `",`...)
}
