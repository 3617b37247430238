package replay

import (
	"encoding/hex"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/holiman/uint256"
)

// gtx is a generated transaction before encoding: everything its JSON,
// receipt and logs say, drawn up front, so that the canonical encodings
// hashed for the header and the JSON served are of the same values.
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
	input        blob
	access       []types.AccessTuple
	auths        []auth
	blobs        []common.Hash
	v            uint64
	r, s         blob // signature: random bytes, not a real signature
	failed       bool
	logs         []types.Log
	logData      []string // hex of each log's data
	contract     common.Address
}

// auth is a generated EIP-7702 authorization: the encoded form and the
// hex of its r and s.
type auth struct {
	types.SetCodeAuthorization
	r, s string
}

// blob is random bytes from the pool, raw and as hex.
type blob struct {
	hex string
	raw []byte
}

// pool holds random bytes shared by every generated block, raw and as hex,
// so building a block copies bytes instead of producing randomness.
var pool = sync.OnceValues(func() ([]byte, string) {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, 64<<10)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b, hex.EncodeToString(b)
})

// hexAt returns n random-looking bytes, picked by r.
func hexAt(r *rand.Rand, n int) blob {
	raw, h := pool()
	off := r.IntN(len(raw) - n)
	return blob{h[2*off : 2*(off+n)], raw[off : off+n : off+n]}
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

var transferSelector = []byte{0xa9, 0x05, 0x9c, 0xbb}

// model builds block n's transactions. The choices follow mainnet in 2024:
// mostly EIP-1559 transactions, a third plain transfers, token transfers
// with one log, swaps with several, a few blob, access-list, set-code and
// creation transactions, a few percent failing.
func (g *genRange) model(n uint64) (txs []gtx, baseFee uint64) {
	r := g.rng(n)
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
		logs, logKind := 0, 0
		switch k := r.IntN(1000); {
		case t.typ == 3:
			t.to = addr(tagAddr, 1<<50+uint64(r.IntN(8)))
			t.input, t.gas, t.gasUsed, logs, logKind = hexAt(r, 100+r.IntN(200)), 300000, 60000+r.Uint64N(80000), 1, 5
			t.blobs = make([]common.Hash, 1+r.IntN(6))
			for b := range t.blobs {
				h := mixHash(g.opts.Seed, tagBlob, n<<24|uint64(i)<<8|uint64(b))
				h[0] = 1 // the KZG version byte
				t.blobs[b] = h
			}
		case k < 5 && t.typ != 4: // a set-code transaction cannot create
			t.create = true
			t.input, t.gas, t.gasUsed = hexAt(r, 2000+r.IntN(10000)), 3000000, 500000+r.Uint64N(2000000)
			logs, logKind = r.IntN(3), 0
			t.contract = crypto.CreateAddress(t.from, t.nonce)
		case k < 330:
			t.to = g.account(r, n, i, 1)
			t.gas, t.gasUsed = 21000, 21000
			t.valHi, t.valLo = valueOf(r)
		case k < 680:
			t.to = g.contract(r)
			arg := hexAt(r, 64)
			t.input = blob{"a9059cbb" + arg.hex, append(append([]byte{}, transferSelector...), arg.raw...)}
			t.gas, t.gasUsed, logs, logKind = 90000, 34000+r.Uint64N(30000), 1, 0
		default:
			t.to = g.contract(r)
			t.input, t.gas, t.gasUsed = hexAt(r, 200+r.IntN(1300)), 500000, 90000+r.Uint64N(300000)
			logs, logKind = 3+r.IntN(8), 1+r.IntN(4)
			if r.IntN(3) == 0 {
				t.valHi, t.valLo = valueOf(r)
			}
		}
		if t.typ != 3 && !t.create && t.gas > 21000 && r.IntN(100) < 4 {
			t.failed, logs = true, 0
		}
		switch t.typ {
		case 1:
			t.access = make([]types.AccessTuple, 1+r.IntN(3))
			for k := range t.access {
				t.access[k].Address = g.contract(r)
				for j, keys := 0, r.IntN(4); j < keys; j++ {
					t.access[k].StorageKeys = append(t.access[k].StorageKeys, common.BytesToHash(hexAt(r, 32).raw))
				}
			}
		case 4:
			t.auths = make([]auth, 1+r.IntN(2))
			for k := range t.auths {
				a := &t.auths[k]
				ar, as := hexAt(r, 32), hexAt(r, 31)
				a.ChainID.SetUint64(1)
				a.Address, a.Nonce, a.V = g.contract(r), r.Uint64N(100), uint8(r.Uint64N(2))
				a.R.SetBytes(ar.raw)
				a.S.SetBytes(as.raw)
				a.r, a.s = ar.hex, as.hex
			}
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
		if t.typ == 0 {
			t.v = 37 + r.Uint64N(2) // EIP-155 on chain 1
		} else {
			t.v = r.Uint64N(2)
		}
		t.r, t.s = hexAt(r, 32), hexAt(r, 32)
		g.modelLogs(r, n, i, t, logs, logKind)
		cum += t.gasUsed
		t.cumGas = cum
	}
	return txs, baseFee
}

// modelLogs draws transaction i's logs: the first comes from the called
// contract, later ones from others (a swap touches pools and tokens).
func (g *genRange) modelLogs(r *rand.Rand, n uint64, i int, t *gtx, count, kind0 int) {
	t.logs = make([]types.Log, count)
	t.logData = make([]string, count)
	for k := range t.logs {
		l := &t.logs[k]
		l.Address = t.to
		if k > 0 || t.create {
			l.Address = g.contract(r)
		}
		kind := kind0
		if k > 0 {
			kind = r.IntN(len(topic0))
		}
		var data blob
		switch kind {
		case 2, 3:
			data = hexAt(r, 128+32*r.IntN(3))
		case 5:
			data = hexAt(r, 64+r.IntN(200))
		default:
			data = hexAt(r, 32)
		}
		l.Data, t.logData[k] = data.raw, data.hex
		l.Topics = append(l.Topics, topic0[kind%len(topic0)])
		for j, extra := 0, 2-kind%3; j < extra; j++ {
			l.Topics = append(l.Topics, common.BytesToHash(g.account(r, n, i, uint64(2+j)).Bytes()))
		}
	}
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

// gblock is a generated block with what its header commits to.
type gblock struct {
	txs         []gtx
	hashes      []common.Hash // of the transactions
	blooms      []types.Bloom // of the receipts
	withdrawals []types.Withdrawal
	header      *types.Header
	hash        common.Hash
}

// build generates block n on top of parent and computes, with
// go-ethereum's own encodings, every hash a client can check: each
// transaction's, the transactions, receipts and withdrawals roots, the
// blooms and the block hash. Signatures are random bytes: no sender
// recovers from them.
func (g *genRange) build(n uint64, parent common.Hash) *gblock {
	txs, baseFee := g.model(n)
	b := &gblock{txs: txs, hashes: make([]common.Hash, len(txs)), blooms: make([]types.Bloom, len(txs))}
	ethTxs := make(types.Transactions, len(txs))
	receipts := make(types.Receipts, len(txs))
	var bloom types.Bloom
	var gasUsed, blobGas uint64
	for i := range txs {
		t := &txs[i]
		ethTxs[i] = t.eth()
		b.hashes[i] = ethTxs[i].Hash()
		rc := &types.Receipt{Type: t.typ, Status: types.ReceiptStatusSuccessful, CumulativeGasUsed: t.cumGas}
		if t.failed {
			rc.Status = types.ReceiptStatusFailed
		}
		rc.Logs = make([]*types.Log, len(t.logs))
		for k := range t.logs {
			rc.Logs[k] = &t.logs[k]
		}
		rc.Bloom = types.CreateBloom(rc)
		b.blooms[i] = rc.Bloom
		for k := range bloom {
			bloom[k] |= rc.Bloom[k]
		}
		receipts[i] = rc
		gasUsed += t.gasUsed
		blobGas += uint64(len(t.blobs)) * params.BlobTxBlobGasPerBlob
	}
	// Withdrawals draw from their own generator, apart from the
	// transactions' stream.
	wr := rand.New(rand.NewPCG(g.opts.Seed^tagSig<<56, n))
	b.withdrawals = make([]types.Withdrawal, 16)
	ws := make(types.Withdrawals, len(b.withdrawals))
	for k := range b.withdrawals {
		w := &b.withdrawals[k]
		w.Address = addr(tagAddr, 1<<54+wr.Uint64N(50000))
		w.Amount = 1e7 + wr.Uint64N(1e8)
		w.Index = (n-g.opts.From)*16 + uint64(k)
		w.Validator = wr.Uint64N(1_000_000)
		ws[k] = w
	}
	withdrawalsRoot := types.DeriveSha(ws, trie.NewStackTrie(nil))
	beaconRoot := mixHash(g.opts.Seed, tagRoot, n<<3|2)
	excess := uint64(0)
	b.header = &types.Header{
		ParentHash:       parent,
		UncleHash:        types.EmptyUncleHash,
		Coinbase:         addr(tagAddr, 1<<55+n%16),
		Root:             mixHash(g.opts.Seed, tagRoot, n<<3|4),
		TxHash:           types.DeriveSha(ethTxs, trie.NewStackTrie(nil)),
		ReceiptHash:      types.DeriveSha(receipts, trie.NewStackTrie(nil)),
		Bloom:            bloom,
		Difficulty:       new(big.Int),
		Number:           new(big.Int).SetUint64(n),
		GasLimit:         max(36_000_000, gasUsed),
		GasUsed:          gasUsed,
		Time:             g.opts.StartTime + (n-g.opts.From)*g.opts.BlockTime,
		Extra:            []byte("beaverbuild.org"),
		MixDigest:        mixHash(g.opts.Seed, tagRoot, n<<3|1),
		BaseFee:          new(big.Int).SetUint64(baseFee),
		WithdrawalsHash:  &withdrawalsRoot,
		BlobGasUsed:      &blobGas,
		ExcessBlobGas:    &excess,
		ParentBeaconRoot: &beaconRoot,
		RequestsHash:     &types.EmptyRequestsHash,
	}
	b.hash = b.header.Hash()
	g.index(n, b.hashes)
	return b
}

// eth is the transaction as go-ethereum encodes it.
func (t *gtx) eth() *types.Transaction {
	var to *common.Address
	if !t.create {
		to = &t.to
	}
	value := new(big.Int).Lsh(new(big.Int).SetUint64(t.valHi), 64)
	value.Or(value, new(big.Int).SetUint64(t.valLo))
	r, s := new(big.Int).SetBytes(t.r.raw), new(big.Int).SetBytes(t.s.raw)
	v := new(big.Int).SetUint64(t.v)
	chain := big.NewInt(1)
	u := uint256.MustFromBig
	switch t.typ {
	case 0:
		return types.NewTx(&types.LegacyTx{Nonce: t.nonce, GasPrice: new(big.Int).SetUint64(t.gasPrice), Gas: t.gas,
			To: to, Value: value, Data: t.input.raw, V: v, R: r, S: s})
	case 1:
		return types.NewTx(&types.AccessListTx{ChainID: chain, Nonce: t.nonce, GasPrice: new(big.Int).SetUint64(t.gasPrice),
			Gas: t.gas, To: to, Value: value, Data: t.input.raw, AccessList: t.access, V: v, R: r, S: s})
	case 2:
		return types.NewTx(&types.DynamicFeeTx{ChainID: chain, Nonce: t.nonce, GasTipCap: new(big.Int).SetUint64(t.maxPrio),
			GasFeeCap: new(big.Int).SetUint64(t.maxFee), Gas: t.gas, To: to, Value: value, Data: t.input.raw,
			V: v, R: r, S: s})
	case 3:
		return types.NewTx(&types.BlobTx{ChainID: u(chain), Nonce: t.nonce, GasTipCap: uint256.NewInt(t.maxPrio),
			GasFeeCap: uint256.NewInt(t.maxFee), Gas: t.gas, To: t.to, Value: u(value), Data: t.input.raw,
			BlobFeeCap: uint256.NewInt(blobFeeCap), BlobHashes: t.blobs, V: u(v), R: u(r), S: u(s)})
	}
	auths := make([]types.SetCodeAuthorization, len(t.auths))
	for k := range t.auths {
		auths[k] = t.auths[k].SetCodeAuthorization
	}
	return types.NewTx(&types.SetCodeTx{ChainID: u(chain), Nonce: t.nonce, GasTipCap: uint256.NewInt(t.maxPrio),
		GasFeeCap: uint256.NewInt(t.maxFee), Gas: t.gas, To: t.to, Value: u(value), Data: t.input.raw,
		AuthList: auths, V: u(v), R: u(r), S: u(s)})
}

const blobFeeCap = 1e10

// encode generates block n and encodes everything a client may ask about it.
func (g *genRange) encode(n uint64) *entry {
	b := g.build(n, g.blockHash(n-1))
	g.remember(n, b.hash)
	h := b.header
	e := &entry{number: n, hash: b.hash, txHashes: b.hashes}
	size := 600
	fullCap, receiptsCap := 4096, 16
	for i := range b.txs {
		t := &b.txs[i]
		size += 120 + len(t.input.raw)
		fullCap += 1400 + len(t.input.hex) + 300*(len(t.access)+len(t.auths)+len(t.blobs))
		receiptsCap += 1300 + 1000*len(t.logs)
	}
	w := newWriter(fullCap)
	head := func(w *writer) {
		w.field("baseFeePerGas", h.BaseFee.Uint64())
		w.field("blobGasUsed", *h.BlobGasUsed)
		w.raw(`"difficulty":"0x0",`)
		w.field("excessBlobGas", *h.ExcessBlobGas)
		w.bytesField("extraData", h.Extra)
		w.field("gasLimit", h.GasLimit)
		w.field("gasUsed", h.GasUsed)
		w.hashField("hash", e.hash)
		w.bytesField("logsBloom", h.Bloom[:])
		w.addrField("miner", h.Coinbase)
		w.hashField("mixHash", h.MixDigest)
		w.raw(`"nonce":"0x0000000000000000",`)
		w.field("number", n)
		w.hashField("parentBeaconBlockRoot", *h.ParentBeaconRoot)
		w.hashField("parentHash", h.ParentHash)
		w.hashField("receiptsRoot", h.ReceiptHash)
		w.hashField("requestsHash", *h.RequestsHash)
		w.hashField("sha3Uncles", h.UncleHash)
		w.field("size", uint64(size))
		w.hashField("stateRoot", h.Root)
		w.field("timestamp", h.Time)
	}
	tail := func(w *writer) {
		w.hashField("transactionsRoot", h.TxHash)
		w.raw(`"uncles":[],"withdrawals":[`)
		for k, wd := range b.withdrawals {
			if k > 0 {
				w.raw(",")
			}
			w.raw("{")
			w.addrField("address", wd.Address)
			w.field("amount", wd.Amount)
			w.field("index", wd.Index)
			w.last("validatorIndex", wd.Validator)
			w.raw("}")
		}
		w.raw("],")
		w.hashField("withdrawalsRoot", *h.WithdrawalsHash)
		w.trim()
		w.raw("}")
	}

	// Hashes-only form, for eth_getBlockByNumber(n, false).
	hw := newWriter(800 + len(b.txs)*70)
	hw.raw("{")
	head(hw)
	hw.raw(`"transactions":[`)
	for i, th := range e.txHashes {
		if i > 0 {
			hw.raw(",")
		}
		hw.hash(th)
	}
	hw.raw("],")
	tail(hw)
	e.header = hw.b

	w.raw("{")
	head(w)
	w.raw(`"transactions":[`)
	for i := range b.txs {
		if i > 0 {
			w.raw(",")
		}
		writeTx(w, e, n, i, &b.txs[i])
	}
	w.raw("],")
	tail(w)
	e.full = w.b
	e.receiptsAll, e.receipts = writeReceipts(b, e, n, receiptsCap)
	return e
}

func writeTx(w *writer, e *entry, n uint64, i int, t *gtx) {
	w.raw("{")
	if t.typ >= 1 {
		w.raw(`"accessList":[`)
		for k, at := range t.access {
			if k > 0 {
				w.raw(",")
			}
			w.raw("{")
			w.addrField("address", at.Address)
			w.raw(`"storageKeys":[`)
			for j, key := range at.StorageKeys {
				if j > 0 {
					w.raw(",")
				}
				w.hash(key)
			}
			w.raw("]}")
		}
		w.raw("],")
	}
	if t.typ == 4 {
		w.raw(`"authorizationList":[`)
		for k := range t.auths {
			a := &t.auths[k]
			if k > 0 {
				w.raw(",")
			}
			w.raw("{")
			w.addrField("address", a.Address)
			w.field("chainId", a.ChainID.Uint64())
			w.field("nonce", a.Nonce)
			w.hexQuantity("r", a.r)
			w.hexQuantity("s", a.s)
			w.last("yParity", uint64(a.V))
			w.raw("}")
		}
		w.raw("],")
	}
	if t.typ == 3 {
		w.raw(`"blobVersionedHashes":[`)
		for k, h := range t.blobs {
			if k > 0 {
				w.raw(",")
			}
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
	w.raw(t.input.hex)
	w.raw(`",`)
	if t.typ == 3 {
		w.field("maxFeePerBlobGas", blobFeeCap)
	}
	if t.typ >= 2 {
		w.field("maxFeePerGas", t.maxFee)
		w.field("maxPriorityFeePerGas", t.maxPrio)
	}
	w.field("nonce", t.nonce)
	w.hexQuantity("r", t.r.hex)
	w.hexQuantity("s", t.s.hex)
	if t.create {
		w.raw(`"to":null,`)
	} else {
		w.addrField("to", t.to)
	}
	w.field("transactionIndex", uint64(i))
	w.field("type", uint64(t.typ))
	w.field("v", t.v)
	if t.typ > 0 {
		w.field("yParity", t.v)
	}
	w.big("value", t.valHi, t.valLo)
	w.trim()
	w.raw("}")
}

// writeReceipts encodes the receipts as one JSON array and returns it with
// each receipt as a slice of it.
func writeReceipts(b *gblock, e *entry, n uint64, capacity int) ([]byte, [][]byte) {
	w := newWriter(capacity)
	starts, ends := make([]int, len(b.txs)), make([]int, len(b.txs))
	logIndex := uint64(0)
	w.raw("[")
	for i := range b.txs {
		t := &b.txs[i]
		if i > 0 {
			w.raw(",")
		}
		starts[i] = len(w.b)
		w.raw("{")
		if t.typ == 3 {
			w.field("blobGasPrice", 1)
			w.field("blobGasUsed", uint64(len(t.blobs))*params.BlobTxBlobGasPerBlob)
		}
		w.hashField("blockHash", e.hash)
		w.field("blockNumber", n)
		if t.create {
			w.addrField("contractAddress", t.contract)
		} else {
			w.raw(`"contractAddress":null,`)
		}
		w.field("cumulativeGasUsed", t.cumGas)
		w.field("effectiveGasPrice", t.effective)
		w.addrField("from", t.from)
		w.field("gasUsed", t.gasUsed)
		w.raw(`"logs":[`)
		for k := range t.logs {
			if k > 0 {
				w.raw(",")
			}
			writeLog(w, e, n, i, logIndex, t, k)
			logIndex++
		}
		w.raw("],")
		w.bytesField("logsBloom", b.blooms[i][:])
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
	out := make([][]byte, len(b.txs))
	for i := range out {
		out[i] = w.b[starts[i]:ends[i]:ends[i]]
	}
	return w.b, out
}

func writeLog(w *writer, e *entry, n uint64, i int, logIndex uint64, t *gtx, k int) {
	l := &t.logs[k]
	w.raw("{")
	w.addrField("address", l.Address)
	w.hashField("blockHash", e.hash)
	w.field("blockNumber", n)
	w.raw(`"data":"0x`)
	w.raw(t.logData[k])
	w.raw(`",`)
	w.field("logIndex", logIndex)
	w.raw(`"removed":false,"topics":[`)
	for j, tp := range l.Topics {
		if j > 0 {
			w.raw(",")
		}
		w.hash(tp)
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

func (w *writer) bytesField(name string, b []byte) {
	w.b = append(w.b, '"')
	w.b = append(w.b, name...)
	w.b = append(w.b, `":"0x`...)
	w.b = hex.AppendEncode(w.b, b)
	w.b = append(w.b, `",`...)
}
