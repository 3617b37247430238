package rpcsource

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/holiman/uint256"

	"github.com/ethidx/ethidx/indexer"
)

// Proof says how much of a node's answer is proven before a block is
// returned. The structural checks (numbers, links, receipts matching
// transactions, gas adding up) always run; they catch confused nodes but
// not a changed value or log byte with hashes and counts intact. The
// header commits to everything ethidx stores, and the chain links the
// headers, so recomputing the commitments from the node's own answer
// catches those too.
type Proof uint8

const (
	// ProofRoots, the default, recomputes each transaction's hash, the
	// transactions root, the receipts root (which proves each receipt's
	// bloom; a bloom left out is computed from the logs), the header's
	// bloom as the union of the receipts', the withdrawals root and the
	// block hash from the header fields, and
	// checks the figures a receipt derives (effective gas price, blob gas,
	// contract address) against the transaction. It is the zero value, so
	// a Source is verifying unless told otherwise.
	ProofRoots Proof = iota
	// ProofStructure keeps only the structural checks: for chains or
	// nodes whose blocks do not hash like Ethereum mainnet's.
	ProofStructure
	// ProofSenders adds recovering each transaction's sender from its
	// signature. It costs an elliptic-curve recovery per transaction:
	// decoding and verifying real mainnet blocks drops from about 30,000
	// to 12,500 transactions a second per core (BenchmarkDecode, fixtures
	// set), so it is not the default.
	ProofSenders
)

// ParseProof reads a --verify value.
func ParseProof(s string) (Proof, error) {
	switch s {
	case "roots", "":
		return ProofRoots, nil
	case "structure":
		return ProofStructure, nil
	case "senders":
		return ProofSenders, nil
	}
	return 0, fmt.Errorf("verify %q: want roots, structure or senders", s)
}

func (v Proof) String() string {
	switch v {
	case ProofStructure:
		return "structure"
	case ProofSenders:
		return "senders"
	}
	return "roots"
}

// headerExtra holds the header fields the block hash covers that ethidx
// does not store.
type headerExtra struct {
	seen           uint16 // the h* bits of the fields the node sent
	uncleHash      common.Hash
	bloom          types.Bloom
	mixDigest      common.Hash
	nonce          types.BlockNonce
	requestsHash   *common.Hash
	accessListHash *common.Hash
	slotNumber     *uint64
}

// The header fields every fork's header has: when the block hash does not
// match, the error says which of them the node left out.
const (
	hParentHash = 1 << iota
	hUncleHash
	hMiner
	hStateRoot
	hTxRoot
	hReceiptsRoot
	hBloom
	hDifficulty
	hNumber
	hGasLimit
	hGasUsed
	hTimestamp
	hExtraData
	hMixHash
	hNonce
)

var headerFields = []string{"parentHash", "sha3Uncles", "miner", "stateRoot", "transactionsRoot", "receiptsRoot",
	"logsBloom", "difficulty", "number", "gasLimit", "gasUsed", "timestamp", "extraData", "mixHash", "nonce"}

// receiptExtra holds what a receipt contributes to the receipts root
// beyond the stored fields.
type receiptExtra struct {
	root  []byte       // pre-Byzantium post-state root
	bloom *types.Bloom // as the node sent it, if it did
}

// proofHint ends every refusal of a content proof: the same answer will be
// refused again, and what a developer can do about a dev node's blocks.
const proofHint = "; the node's answer does not prove against its header (asking again gives the same answer). " +
	"Local dev nodes (anvil, Hardhat, Ganache) have known hashing bugs: for one, rerun with --verify structure, " +
	"which keeps the consistency checks and stores its blocks unproven"

// verify proves b against its header, unless the mode is structure only.
// It runs after the structural checks, so receipts are merged and gas
// figures add up.
func (d *blockDecoder) verify(b *indexer.Block) error {
	if d.mode == ProofStructure {
		return nil
	}
	fail := func(check, format string, args ...any) error {
		return &indexer.BlockError{Number: b.Number, Proof: true, Reason: fmt.Sprintf("verifying %s: %s%s",
			check, fmt.Sprintf(format, args...), proofHint)}
	}

	sc := getScratch()
	defer sc.release()

	// Each transaction is encoded once: its hash is the keccak of its
	// canonical encoding (what Transaction.Hash computes) and the same
	// bytes are the trie's values. The encodings go end to end into one
	// reused buffer; a types.Transaction (whose constructor deep-copies
	// every field) is built only when its sender is to be recovered.
	n := len(b.Transactions)
	sc.encs = grow(sc.encs, n)
	sc.ends = grow(sc.ends, n)
	if d.mode == ProofSenders {
		sc.txs = grow(sc.txs, n)
	}
	encs, ends, enc := sc.encs, sc.ends, &sc.enc
	enc.Reset()
	for i := range b.Transactions {
		t := &b.Transactions[i]
		start := enc.Len()
		inner, err := txData(t)
		if err == nil {
			err = encodeTx(enc, t.Type, inner)
		}
		if err != nil {
			return fail("transaction hash", "transaction %d: %v", i, err)
		}
		if h := crypto.HashData(sc.kh, enc.Bytes()[start:]); h != t.Hash {
			return fail("transaction hash", "transaction %d hashes to %s, node says %s", i, h, t.Hash)
		}
		ends[i] = enc.Len()
		if d.mode == ProofSenders {
			sc.txs[i] = types.NewTx(inner)
		}
	}
	// Sliced only now: the buffer may have moved while it grew.
	for i, at := 0, 0; i < n; i++ {
		encs[i], at = enc.Bytes()[at:ends[i]:ends[i]], ends[i]
	}
	if root := types.DeriveSha(encs, sc.trie); root != b.TransactionsRoot {
		return fail("transactionsRoot", "transactions hash to %s, header says %s", root, b.TransactionsRoot)
	}

	if err := d.verifyReceipts(b, sc, fail); err != nil {
		return err
	}
	if b.WithdrawalsRoot != nil {
		ws := make(types.Withdrawals, len(b.Withdrawals))
		buf := make([]types.Withdrawal, len(b.Withdrawals))
		for i, w := range b.Withdrawals {
			buf[i] = types.Withdrawal{Index: w.Index, Validator: w.ValidatorIndex, Address: w.Address, Amount: w.AmountGwei}
			ws[i] = &buf[i]
		}
		if root := types.DeriveSha(ws, sc.trie); root != *b.WithdrawalsRoot {
			return fail("withdrawalsRoot", "withdrawals hash to %s, header says %s", root, *b.WithdrawalsRoot)
		}
	} else if len(b.Withdrawals) > 0 {
		return fail("withdrawalsRoot", "%d withdrawals, but the header has no withdrawalsRoot", len(b.Withdrawals))
	}

	h := d.header(b)
	if h := h.Hash(); h != b.Hash {
		var missing []string
		for i, name := range headerFields {
			if d.hdr.seen&(1<<i) == 0 {
				missing = append(missing, name)
			}
		}
		why := ""
		if len(missing) > 0 {
			why = " (the node left out " + strings.Join(missing, ", ") + ")"
		}
		return fail("block hash", "the header fields hash to %s, node says %s%s", h, b.Hash, why)
	}
	d.zeroSkipped(b, h)
	// Checked once the header is proven: they derive from its base fee
	// and blob figures.
	if err := verifyDerived(b, fail); err != nil {
		return err
	}

	if d.mode == ProofSenders {
		for i, tx := range sc.txs {
			from, err := types.Sender(signerFor(tx), tx)
			if err != nil {
				return fail("sender", "transaction %d: %v", i, err)
			}
			if from != b.Transactions[i].From {
				return fail("sender", "transaction %d is signed by %s, node says %s", i, from, b.Transactions[i].From)
			}
		}
	}
	return nil
}

// verifyReceipts recomputes the receipts root, and the block's bloom from
// the receipts'. A receipt's bloom enters the root as the node sent it:
// the root commits to the bloom and the logs together, so a root that
// matches proves both, and a canonical receipt's bloom is the bloom of its
// logs. Computing each bloom (a keccak per address and topic) is left to
// receipts sent without one and to explaining a root that does not match
// (bloomMismatch).
func (d *blockDecoder) verifyReceipts(b *indexer.Block, sc *scratch, fail func(string, string, ...any) error) error {
	sc.logs = grow(sc.logs, len(b.Logs))
	sc.ptrs = grow(sc.ptrs, len(b.Logs))
	logs, ptrs := sc.logs, sc.ptrs
	for i := range b.Logs {
		l := &b.Logs[i]
		logs[i] = types.Log{Address: l.Address, Topics: l.Topics, Data: l.Data}
		ptrs[i] = &logs[i]
	}
	sc.rbuf = grow(sc.rbuf, len(b.Transactions))
	sc.rs = grow(sc.rs, len(b.Transactions))
	buf, rs, blooms := sc.rbuf, sc.rs, sc.blooms
	var bloom types.Bloom
	at, both := 0, false
	for i := range b.Transactions {
		t := &b.Transactions[i]
		r := &buf[i]
		r.Type = t.Type
		r.CumulativeGasUsed = t.CumulativeGasUsed
		switch rc := &d.rcs[i]; {
		case len(rc.root) > 0:
			r.PostState = rc.root
			both = both || t.Status != nil
		case t.Status != nil:
			r.Status = uint64(*t.Status)
		default:
			return fail("receiptsRoot", "receipt %d has neither status nor root", i)
		}
		r.Logs = ptrs[at : at+int(t.LogCount)]
		if given := d.rcs[i].bloom; given != nil {
			r.Bloom = *given
		} else {
			for k := at; k < at+int(t.LogCount); k++ {
				blooms.add(&r.Bloom, &b.Logs[k])
			}
		}
		at += int(t.LogCount)
		orBloom(&bloom, &r.Bloom)
		rs[i] = r
	}
	if d.hdr.seen&hBloom != 0 && bloom != d.hdr.bloom {
		if i, bad := d.bloomMismatch(b, blooms); bad {
			return fail("logsBloom", "receipt %d's bloom is not the bloom of its logs", i)
		}
		return fail("logsBloom", "the header's bloom is not the union of its receipts' blooms")
	}
	root := types.DeriveSha(rs, sc.trie)
	if root != b.ReceiptsRoot && both {
		// A node that sends a root and a status for each receipt leaves
		// it open which one the chain committed to (the root before
		// Byzantium, the status after): try the status too.
		for i := range rs {
			if b.Transactions[i].Status != nil {
				rs[i].PostState, rs[i].Status = nil, uint64(*b.Transactions[i].Status)
			}
		}
		root = types.DeriveSha(rs, sc.trie)
	}
	if root != b.ReceiptsRoot {
		if i, bad := d.bloomMismatch(b, blooms); bad {
			return fail("logsBloom", "receipt %d's bloom is not the bloom of its logs", i)
		}
		return fail("receiptsRoot", "receipts hash to %s, header says %s", root, b.ReceiptsRoot)
	}
	return nil
}

// bloomMismatch finds the first receipt whose bloom, as the node sent it,
// is not the bloom of its logs: the likeliest reason a changed log fails
// the receipts root, and the more useful error.
func (d *blockDecoder) bloomMismatch(b *indexer.Block, blooms *bloomCache) (int, bool) {
	at := 0
	for i := range b.Transactions {
		n := int(b.Transactions[i].LogCount)
		if given := d.rcs[i].bloom; given != nil {
			var want types.Bloom
			for k := at; k < at+n; k++ {
				blooms.add(&want, &b.Logs[k])
			}
			if want != *given {
				return i, true
			}
		}
		at += n
	}
	return 0, false
}

// orBloom sets in dst every bit set in src, a word at a time.
func orBloom(dst, src *types.Bloom) {
	for k := 0; k < types.BloomByteLength; k += 8 {
		binary.LittleEndian.PutUint64(dst[k:], binary.LittleEndian.Uint64(dst[k:])|binary.LittleEndian.Uint64(src[k:]))
	}
}

// encodedList is a DerivableList of encodings made beforehand.
type encodedList [][]byte

func (l encodedList) Len() int                           { return len(l) }
func (l encodedList) EncodeIndex(i int, w *bytes.Buffer) { w.Write(l[i]) }

// bloomCache remembers the bloom bits of addresses and topics met in
// earlier blocks. Blocks repeat them a lot, within a block and from one
// block to the next (the Transfer topic, WETH, pools, routers, busy
// accounts), and each costs a keccak. It is exact: an entry holds the
// whole item and is used only for that same item, whose keccak, and so
// whose bits, cannot differ. It is direct-mapped (a colliding item
// replaces the entry), so lookups neither allocate nor grow.
type bloomCache struct {
	addrs [1 << addrBits]struct {
		item common.Address
		bits bloomBits
	}
	topics [1 << topicBits]struct {
		item common.Hash
		bits bloomBits
	}
	kh  crypto.KeccakState
	buf [6]byte // the start of an item's keccak
}

// The table sizes: about 400 KB of addresses and 600 KB of topics per
// cache (one per concurrent verification), enough to keep the popular
// items of a few hundred blocks.
const (
	addrBits  = 14
	topicBits = 14
)

// bloomBits are the (up to three) bytes of a bloom that one item sets. An
// item sets at least one bit, so a zero bloomBits marks an empty entry.
type bloomBits [3]struct {
	at   uint8
	bits byte
}

// bloomSlot picks an entry by mixing the item's last bytes: addresses and
// hashes are keccak outputs or account numbers padded on the left, so
// the low bytes vary.
func bloomSlot(tail0, tail1 uint64, bits uint) uint64 {
	return ((tail0 ^ tail1<<1) * 0x9e3779b97f4a7c15) >> (64 - bits)
}

func (c *bloomCache) add(b *types.Bloom, l *indexer.Log) {
	a := &c.addrs[bloomSlot(binary.LittleEndian.Uint64(l.Address[12:]), binary.LittleEndian.Uint64(l.Address[4:]), addrBits)]
	if a.item != l.Address || a.bits[0].bits == 0 {
		a.item, a.bits = l.Address, c.bitsOf(l.Address[:])
	}
	a.bits.set(b)
	for _, t := range l.Topics {
		x := &c.topics[bloomSlot(binary.LittleEndian.Uint64(t[24:]), binary.LittleEndian.Uint64(t[16:]), topicBits)]
		if x.item != t || x.bits[0].bits == 0 {
			x.item, x.bits = t, c.bitsOf(t[:])
		}
		x.bits.set(b)
	}
}

// bitsOf computes the bits an item sets, as types.Bloom.Add does (the
// yellow paper's M3:2048): each of the first three big-endian 16-bit
// words of the item's keccak picks one of 2048 bits, counted from the
// bloom's last byte. Computed here with the cache's own keccak state, as
// three positions rather than a 256-byte bloom to scan; the tests compare
// it with go-ethereum's CreateBloom.
func (c *bloomCache) bitsOf(item []byte) bloomBits {
	c.kh.Reset()
	c.kh.Write(item)
	c.kh.Read(c.buf[:])
	var out bloomBits
	for k := range out {
		bit := binary.BigEndian.Uint16(c.buf[2*k:]) & 0x7ff
		out[k].at, out[k].bits = uint8(types.BloomByteLength-1-bit>>3), 1<<(bit&7)
	}
	return out
}

func (x bloomBits) set(b *types.Bloom) {
	for _, p := range x {
		b[p.at] |= p.bits
	}
}

// scratch holds the go-ethereum values one block's verification builds,
// and the bloom cache. They are as large as the block and garbage a few
// milliseconds later, so they are kept for the next block instead of
// reallocated.
type scratch struct {
	txs    types.Transactions // only when recovering senders
	enc    bytes.Buffer       // the transactions' encodings, end to end
	ends   []int              // where each transaction's encoding ends in enc
	encs   encodedList        // slices of enc
	logs   []types.Log
	ptrs   []*types.Log
	rbuf   []types.Receipt
	rs     types.Receipts
	kh     crypto.KeccakState
	trie   *trie.StackTrie // DeriveSha resets it before each list
	blooms *bloomCache
}

// scratches are the idle scratches. A channel rather than a sync.Pool:
// a pool is emptied by the garbage collector, which runs many times a
// second in a backfill, and would take the bloom caches with it. One
// scratch is in use per concurrent verification; those beyond the
// channel's room are left to the collector.
var scratches = make(chan *scratch, 16)

func getScratch() *scratch {
	select {
	case sc := <-scratches:
		return sc
	default:
		return &scratch{kh: crypto.NewKeccakState(), trie: trie.NewStackTrie(nil), blooms: &bloomCache{kh: crypto.NewKeccakState()}}
	}
}

// release drops every reference into the block just verified, so a kept
// scratch holds no row alive, and keeps it for the next block. The bloom
// cache holds copies of items, not references.
func (sc *scratch) release() {
	clear(sc.txs)
	clear(sc.encs)
	clear(sc.logs)
	clear(sc.ptrs)
	clear(sc.rbuf)
	clear(sc.rs)
	if sc.enc.Cap() > 8<<20 {
		sc.enc = bytes.Buffer{} // a block of huge calldata: do not keep it
	}
	select {
	case scratches <- sc:
	default:
	}
}

// grow returns s with length n and zero elements, reusing its array when
// it is large enough.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// verifyDerived checks the receipt figures that follow from the verified
// transaction and header: the roots do not cover them, but each has one
// right value.
func verifyDerived(b *indexer.Block, fail func(string, string, ...any) error) error {
	var blobGas uint64
	for i := range b.Transactions {
		t := &b.Transactions[i]
		if want := effectivePrice(t, b.BaseFeePerGas); want != nil && t.EffectiveGasPrice.Cmp(want) != 0 {
			return fail("effectiveGasPrice", "receipt %d says %s, the transaction and base fee give %s", i, t.EffectiveGasPrice, want)
		}
		perTx := uint64(len(t.BlobHashes)) * params.BlobTxBlobGasPerBlob
		if t.BlobGasUsed != nil && *t.BlobGasUsed != perTx {
			return fail("blobGasUsed", "receipt %d says %d, its %d blobs use %d", i, *t.BlobGasUsed, len(t.BlobHashes), perTx)
		}
		blobGas += perTx
		if t.ContractAddress != nil {
			if t.To != nil {
				return fail("contractAddress", "receipt %d names a created contract, but transaction %d is a call", i, i)
			}
			if want := crypto.CreateAddress(t.From, t.Nonce); *t.ContractAddress != want {
				return fail("contractAddress", "receipt %d says %s, sender and nonce give %s", i, *t.ContractAddress, want)
			}
		}
	}
	if b.BlobGasUsed != nil && *b.BlobGasUsed != blobGas {
		return fail("blobGasUsed", "header says %d, the transactions' blobs use %d", *b.BlobGasUsed, blobGas)
	}
	return nil
}

// zeroSkipped fills the fork fields a node left out before a later one
// it sent. In the header's encoding a field missing before a present one
// is written as zero, so the hash proved that zero; the rows say so
// rather than NULL. Difficulty, zero since the Merge, is likewise zero
// when left out.
func (d *blockDecoder) zeroSkipped(b *indexer.Block, h *types.Header) {
	if b.Difficulty == nil {
		b.Difficulty = &d.a.ints.take(1)[0]
	}
	later := h.RequestsHash != nil || h.BlockAccessListHash != nil || h.SlotNumber != nil
	if later || b.ParentBeaconRoot != nil {
		if b.ExcessBlobGas == nil {
			b.ExcessBlobGas = d.a.u64s.one(0)
		}
		later = true
	}
	if later || b.ExcessBlobGas != nil {
		if b.BlobGasUsed == nil {
			b.BlobGasUsed = d.a.u64s.one(0)
		}
		later = true
	}
	if later || b.BlobGasUsed != nil {
		if b.WithdrawalsRoot == nil {
			b.WithdrawalsRoot = d.a.hashes.one(common.Hash{})
		}
		later = true
	}
	if (later || b.WithdrawalsRoot != nil) && b.BaseFeePerGas == nil {
		b.BaseFeePerGas = &d.a.ints.take(1)[0]
	}
}

// header rebuilds the header the block hash is the keccak of. Fields of
// later forks are optional in its encoding and present only when the node
// sent them, which is how each fork's header hashes.
func (d *blockDecoder) header(b *indexer.Block) *types.Header {
	diff := b.Difficulty
	if diff == nil {
		diff = new(big.Int)
	}
	return &types.Header{
		ParentHash:          b.ParentHash,
		UncleHash:           d.hdr.uncleHash,
		Coinbase:            b.Miner,
		Root:                b.StateRoot,
		TxHash:              b.TransactionsRoot,
		ReceiptHash:         b.ReceiptsRoot,
		Bloom:               d.hdr.bloom,
		Difficulty:          diff,
		Number:              new(big.Int).SetUint64(b.Number),
		GasLimit:            b.GasLimit,
		GasUsed:             b.GasUsed,
		Time:                b.Timestamp,
		Extra:               b.ExtraData,
		MixDigest:           d.hdr.mixDigest,
		Nonce:               d.hdr.nonce,
		BaseFee:             b.BaseFeePerGas,
		WithdrawalsHash:     b.WithdrawalsRoot,
		BlobGasUsed:         b.BlobGasUsed,
		ExcessBlobGas:       b.ExcessBlobGas,
		ParentBeaconRoot:    b.ParentBeaconRoot,
		RequestsHash:        d.hdr.requestsHash,
		BlockAccessListHash: d.hdr.accessListHash,
		SlotNumber:          d.hdr.slotNumber,
	}
}

// signerFor picks the signing rules that recover tx's sender: the latest
// for replay-protected transactions, Frontier's for the others, since
// before Homestead a valid signature could have a high s.
func signerFor(tx *types.Transaction) types.Signer {
	if tx.Protected() {
		return types.LatestSignerForChainID(tx.ChainId())
	}
	return types.FrontierSigner{}
}

// sender recovers the sender of a transaction the node sent without one.
func sender(t *indexer.Transaction) (common.Address, error) {
	tx, err := ethTx(t)
	if err != nil {
		return common.Address{}, err
	}
	return types.Sender(signerFor(tx), tx)
}

var errNoSignature = errors.New("no signature (v or yParity, r, s)")

// ethTx rebuilds the signed transaction from its row.
func ethTx(t *indexer.Transaction) (*types.Transaction, error) {
	inner, err := txData(t)
	if err != nil {
		return nil, err
	}
	return types.NewTx(inner), nil
}

// encodeTx appends a transaction's canonical encoding to w, as
// Transaction.MarshalBinary writes it (for hashing, a blob transaction
// without its sidecar): the RLP list of its fields, after its type byte
// unless it is a legacy one. The fields are go-ethereum's own structs,
// so the encoding is go-ethereum's.
func encodeTx(w *bytes.Buffer, typ uint8, inner types.TxData) error {
	if typ != types.LegacyTxType {
		w.WriteByte(typ)
	}
	return rlp.Encode(w, inner)
}

// txData rebuilds the signed transaction's fields from its row, as
// go-ethereum encodes them for hashing.
func txData(t *indexer.Transaction) (types.TxData, error) {
	if t.R == nil || t.S == nil || t.V == nil { // the decoder sets V from yParity
		return nil, errNoSignature
	}
	al := make(types.AccessList, len(t.AccessList))
	for i, a := range t.AccessList {
		al[i] = types.AccessTuple{Address: a.Address, StorageKeys: a.StorageKeys}
	}
	v := new(big.Int).SetUint64(uint64(t.YParity))
	need := func(x *big.Int, name string) error {
		if x == nil {
			return fmt.Errorf("type %d transaction without %s", t.Type, name)
		}
		return nil
	}
	switch t.Type {
	case types.LegacyTxType:
		if err := need(t.GasPrice, "gasPrice"); err != nil {
			return nil, err
		}
		return &types.LegacyTx{Nonce: t.Nonce, GasPrice: t.GasPrice, Gas: t.Gas, To: t.To,
			Value: t.Value, Data: t.Input, V: t.V, R: t.R, S: t.S}, nil
	case types.AccessListTxType:
		if err := errors.Join(need(t.ChainID, "chainId"), need(t.GasPrice, "gasPrice")); err != nil {
			return nil, err
		}
		return &types.AccessListTx{ChainID: t.ChainID, Nonce: t.Nonce, GasPrice: t.GasPrice, Gas: t.Gas,
			To: t.To, Value: t.Value, Data: t.Input, AccessList: al, V: v, R: t.R, S: t.S}, nil
	case types.DynamicFeeTxType:
		if err := errors.Join(need(t.ChainID, "chainId"), need(t.MaxFeePerGas, "maxFeePerGas"), need(t.MaxPriorityFee, "maxPriorityFeePerGas")); err != nil {
			return nil, err
		}
		return &types.DynamicFeeTx{ChainID: t.ChainID, Nonce: t.Nonce, GasTipCap: t.MaxPriorityFee,
			GasFeeCap: t.MaxFeePerGas, Gas: t.Gas, To: t.To, Value: t.Value, Data: t.Input, AccessList: al,
			V: v, R: t.R, S: t.S}, nil
	case types.BlobTxType, types.SetCodeTxType:
		err := errors.Join(need(t.ChainID, "chainId"), need(t.MaxFeePerGas, "maxFeePerGas"), need(t.MaxPriorityFee, "maxPriorityFeePerGas"))
		if t.To == nil {
			err = errors.Join(err, fmt.Errorf("type %d transaction without to", t.Type))
		}
		if t.Type == types.BlobTxType {
			err = errors.Join(err, need(t.MaxFeePerBlob, "maxFeePerBlobGas"))
		}
		if err != nil {
			return nil, err
		}
		if t.Type == types.BlobTxType {
			return &types.BlobTx{ChainID: u256(t.ChainID), Nonce: t.Nonce, GasTipCap: u256(t.MaxPriorityFee),
				GasFeeCap: u256(t.MaxFeePerGas), Gas: t.Gas, To: *t.To, Value: u256(t.Value), Data: t.Input,
				AccessList: al, BlobFeeCap: u256(t.MaxFeePerBlob), BlobHashes: t.BlobHashes,
				V: u256(v), R: u256(t.R), S: u256(t.S)}, nil
		}
		auths := make([]types.SetCodeAuthorization, len(t.Authorizations))
		for i, a := range t.Authorizations {
			auths[i] = types.SetCodeAuthorization{ChainID: *u256(a.ChainID), Address: a.Address, Nonce: a.Nonce,
				V: a.YParity, R: *u256(a.R), S: *u256(a.S)}
		}
		return &types.SetCodeTx{ChainID: u256(t.ChainID), Nonce: t.Nonce, GasTipCap: u256(t.MaxPriorityFee),
			GasFeeCap: u256(t.MaxFeePerGas), Gas: t.Gas, To: *t.To, Value: u256(t.Value), Data: t.Input,
			AccessList: al, AuthList: auths, V: u256(v), R: u256(t.R), S: u256(t.S)}, nil
	}
	return nil, fmt.Errorf("type %d is not an Ethereum transaction type; use --verify structure for this chain", t.Type)
}

// u256 converts a decoded quantity, which the decoder caps at 256 bits;
// a missing one is zero.
func u256(x *big.Int) *uint256.Int {
	if x == nil {
		return new(uint256.Int)
	}
	v, _ := uint256.FromBig(x)
	return v
}
