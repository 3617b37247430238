package rpcsource

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"

	"github.com/ethidx/ethidx/indexer"
)

// DecodeBlock turns the results of eth_getBlockByNumber(n, true) and
// eth_getBlockReceipts(n) into a checked block. It is a pure function of
// its input, exported for benchmarks, fuzzing and tools that hold recorded
// responses. Problems come back as *indexer.BlockError.
//
// Why not encoding/json or go-ethereum's types: see decode_bench_test.go;
// this reader is several times faster and allocates a few large chunks per
// block instead of several objects per field.
//
// v says how much is proven against the block header (see Proof): with
// ProofRoots or ProofSenders a block comes back only if every
// transaction, receipt, log and withdrawal is the one the header commits
// to.
func DecodeBlock(block, receipts []byte, v Proof) (*indexer.Block, error) {
	d := newBlockDecoder(len(block)+len(receipts), v)
	b, err := d.block(block)
	if err != nil {
		return nil, err
	}
	if err := d.receipts(b, receipts); err != nil {
		return nil, err
	}
	if err := d.finish(b); err != nil {
		return nil, err
	}
	return b, nil
}

// blockDecoder holds what decoding one block needs across its block and
// receipt documents.
type blockDecoder struct {
	a        *arena
	mode     Proof
	logIndex uint32 // next log index in the block
	merged   []bool // which transactions got their receipt
	// What verification needs but ethidx does not store: the header
	// fields the block hash covers, and per receipt its pre-Byzantium
	// state root and the bloom the node sent.
	hdr headerExtra
	rcs []receiptExtra
}

func newBlockDecoder(jsonLen int, v Proof) *blockDecoder {
	return &blockDecoder{a: newArena(jsonLen), mode: v}
}

// describe words a decoding failure: rejections are reasons already,
// syntax errors say where they are.
func describe(what string, err error) string {
	var r *rejection
	if errors.As(err, &r) {
		return err.Error()
	}
	return "decoding " + what + ": " + err.Error()
}

// absent marks a tx field not present in the JSON, so a missing field is
// told apart from a zero one.
const absent = ^uint64(0)

func blockErr(n uint64, format string, args ...any) error {
	return &indexer.BlockError{Number: n, Reason: fmt.Sprintf(format, args...)}
}

// block parses the block document. It checks what the block alone can
// tell: that each transaction names this block and its own position.
func (d *blockDecoder) block(raw []byte) (*indexer.Block, error) {
	s := &scanner{b: raw}
	if s.null() {
		return nil, indexer.ErrNotFound
	}
	b := &indexer.Block{}
	number := absent
	var author common.Address
	hasAuthor := false
	if s.expect('{') {
		for first := true; s.next('}', &first); {
			k := s.key()
			if s.null() {
				continue // a null field means what an absent one does
			}
			switch string(k) {
			case "number":
				number = s.u64("number")
				d.hdr.seen |= hNumber
			case "hash":
				b.Hash = s.hash("hash")
			case "parentHash":
				b.ParentHash = s.hash("parentHash")
				d.hdr.seen |= hParentHash
			case "timestamp":
				b.Timestamp = s.u64("timestamp")
				d.hdr.seen |= hTimestamp
			case "miner":
				b.Miner = s.address("miner")
				d.hdr.seen |= hMiner
			case "author":
				// Parity, OpenEthereum and Nethermind write it beside
				// miner: the same address, except on proof-of-authority
				// chains, where it is the signer and not in the header.
				author = s.address("author")
				hasAuthor = true
			case "gasLimit":
				b.GasLimit = s.u64("gasLimit")
				d.hdr.seen |= hGasLimit
			case "gasUsed":
				b.GasUsed = s.u64("gasUsed")
				d.hdr.seen |= hGasUsed
			case "baseFeePerGas":
				b.BaseFeePerGas = d.nullBig(s, "baseFeePerGas")
			case "difficulty":
				b.Difficulty = d.nullBig(s, "difficulty")
				d.hdr.seen |= hDifficulty
			case "size":
				b.Size = s.u64("size")
			case "extraData":
				b.ExtraData = s.bytes("extraData", d.a)
				d.hdr.seen |= hExtraData
			case "stateRoot":
				b.StateRoot = s.hash("stateRoot")
				d.hdr.seen |= hStateRoot
			case "transactionsRoot":
				b.TransactionsRoot = s.hash("transactionsRoot")
				d.hdr.seen |= hTxRoot
			case "receiptsRoot":
				b.ReceiptsRoot = s.hash("receiptsRoot")
				d.hdr.seen |= hReceiptsRoot
			case "sha3Uncles":
				d.hdr.uncleHash = s.hash("sha3Uncles")
				d.hdr.seen |= hUncleHash
			case "logsBloom":
				if s.bloom(&d.hdr.bloom) {
					d.hdr.seen |= hBloom
				}
			case "mixHash":
				d.hdr.mixDigest = s.hash("mixHash")
				d.hdr.seen |= hMixHash
			case "nonce":
				s.fixed("nonce", d.hdr.nonce[:])
				d.hdr.seen |= hNonce
			case "requestsHash":
				d.hdr.requestsHash = d.nullHash(s, "requestsHash")
			case "blockAccessListHash":
				d.hdr.accessListHash = d.nullHash(s, "blockAccessListHash")
			case "slotNumber":
				d.hdr.slotNumber = d.nullU64(s, "slotNumber")
			case "blobGasUsed":
				b.BlobGasUsed = d.nullU64(s, "blobGasUsed")
			case "excessBlobGas":
				b.ExcessBlobGas = d.nullU64(s, "excessBlobGas")
			case "parentBeaconBlockRoot":
				b.ParentBeaconRoot = d.nullHash(s, "parentBeaconBlockRoot")
			case "withdrawalsRoot":
				b.WithdrawalsRoot = d.nullHash(s, "withdrawalsRoot")
			case "transactions":
				d.transactions(s, b)
			case "withdrawals":
				d.withdrawals(s, b)
			default:
				s.skip()
			}
		}
	}
	if s.err == nil && s.peek() != 0 {
		s.fail("data after the block")
	}
	if d.hdr.seen&hMiner == 0 && hasAuthor {
		b.Miner = author
		d.hdr.seen |= hMiner
	}
	if number == absent && s.err == nil {
		s.reject("block has no number")
	}
	if b.Hash == (common.Hash{}) && s.err == nil {
		s.reject("block has no hash")
	}
	b.Number = number
	if s.err != nil {
		return nil, blockErr(number, "%s", describe("block", s.err))
	}
	for i := range b.Transactions {
		t := &b.Transactions[i]
		if t.BlockNumber != absent && t.BlockNumber != b.Number {
			return nil, blockErr(b.Number, "transaction %d says block %d", i, t.BlockNumber)
		}
		if t.BlockHash != (common.Hash{}) && t.BlockHash != b.Hash {
			return nil, blockErr(b.Number, "transaction %d says block hash %s, block is %s", i, t.BlockHash, b.Hash)
		}
		t.BlockNumber, t.BlockHash, t.BlockTimestamp = b.Number, b.Hash, b.Timestamp
	}
	for i := range b.Withdrawals {
		b.Withdrawals[i].BlockNumber, b.Withdrawals[i].BlockTimestamp = b.Number, b.Timestamp
	}
	d.merged = make([]bool, len(b.Transactions))
	d.rcs = make([]receiptExtra, len(b.Transactions))
	return b, nil
}

func (d *blockDecoder) transactions(s *scanner, b *indexer.Block) {
	if !s.expect('[') {
		return
	}
	for first := true; s.next(']', &first); {
		if s.peek() == '"' {
			s.fail("transactions are hashes; want full objects")
			return
		}
		b.Transactions = append(b.Transactions, indexer.Transaction{})
		d.transaction(s, &b.Transactions[len(b.Transactions)-1], len(b.Transactions)-1)
	}
}

func (d *blockDecoder) transaction(s *scanner, t *indexer.Transaction, pos int) {
	t.BlockNumber = absent
	index := absent
	if !s.expect('{') {
		return
	}
	var v, yParity = absent, absent
	var input, data []byte
	hasInput := false
	for first := true; s.next('}', &first); {
		k := s.key()
		if s.null() {
			continue // a null field means what an absent one does
		}
		switch string(k) {
		case "hash":
			t.Hash = s.hash("hash")
		case "type":
			typ := s.u64("type")
			if typ > 0xff {
				s.fail("type %d", typ)
			}
			t.Type = uint8(typ)
		case "from":
			t.From = s.address("from")
		case "to":
			t.To = d.a.addrs.one(s.address("to"))
		case "nonce":
			t.Nonce = s.u64("nonce")
		case "value":
			t.Value = s.big("value", d.a)
		case "gas":
			t.Gas = s.u64("gas")
		case "gasPrice":
			t.GasPrice = d.nullBig(s, "gasPrice")
		case "maxFeePerGas":
			t.MaxFeePerGas = d.nullBig(s, "maxFeePerGas")
		case "maxPriorityFeePerGas":
			t.MaxPriorityFee = d.nullBig(s, "maxPriorityFeePerGas")
		case "maxFeePerBlobGas":
			t.MaxFeePerBlob = d.nullBig(s, "maxFeePerBlobGas")
		case "input":
			input, hasInput = s.bytes("input", d.a), true
		case "data":
			// Some older clients (early Nethermind, some proxies) name
			// the payload data; input wins when both are there.
			data = s.bytes("data", d.a)
		case "v":
			t.V = s.big("v", d.a)
			if t.V != nil && t.V.IsUint64() {
				v = t.V.Uint64()
			}
		case "r":
			t.R = s.big("r", d.a)
		case "s":
			t.S = s.big("s", d.a)
		case "yParity":
			yParity = s.u64("yParity")
			if yParity > 1 {
				s.fail("yParity %d", yParity)
			}
		case "chainId":
			t.ChainID = s.big("chainId", d.a)
		case "accessList":
			t.AccessList = d.accessList(s)
		case "blobVersionedHashes":
			t.BlobHashes = d.hashList(s, "blobVersionedHashes")
		case "authorizationList":
			t.Authorizations = d.authorizations(s)
		case "blockHash":
			t.BlockHash = s.hash("blockHash")
		case "blockNumber":
			t.BlockNumber = s.u64("blockNumber")
		case "transactionIndex":
			index = s.u64("transactionIndex")
		default:
			s.skip()
		}
	}
	if s.err != nil {
		s.err = fmt.Errorf("transaction %d: %w", pos, s.err)
		return
	}
	t.Input = input
	if !hasInput {
		t.Input = data
	}
	if msg := d.signature(t, v, yParity); msg != "" {
		s.reject("transaction %d: %s", pos, msg)
	}
	if index != absent && index != uint64(pos) {
		s.reject("transaction at position %d says index %d", pos, index)
	}
	if t.Hash == (common.Hash{}) {
		s.reject("transaction %d has no hash", pos)
	}
	if t.Value == nil {
		t.Value = new(big.Int)
	}
	t.Index = uint32(pos)
}

func (d *blockDecoder) accessList(s *scanner) []indexer.AccessTuple {
	if s.null() || !s.expect('[') {
		return nil
	}
	var out []indexer.AccessTuple
	for first := true; s.next(']', &first); {
		var at indexer.AccessTuple
		if s.expect('{') {
			for f := true; s.next('}', &f); {
				k := s.key()
				if s.null() {
					continue
				}
				switch string(k) {
				case "address":
					at.Address = s.address("accessList address")
				case "storageKeys":
					at.StorageKeys = d.hashList(s, "storageKeys")
				default:
					s.skip()
				}
			}
		}
		out = append(out, at)
	}
	return out
}

// hashList reads an array of hashes into the arena. Lists are short, so
// they are read into a small stack buffer first and copied once.
func (d *blockDecoder) hashList(s *scanner, what string) []common.Hash {
	if s.null() || !s.expect('[') {
		return nil
	}
	var buf [8]common.Hash
	hs := buf[:0]
	for first := true; s.next(']', &first); {
		hs = append(hs, s.hash(what))
	}
	if len(hs) == 0 {
		return nil
	}
	out := d.a.hashes.take(len(hs))
	copy(out, hs)
	return out
}

func (d *blockDecoder) authorizations(s *scanner) []indexer.Authorization {
	if s.null() || !s.expect('[') {
		return nil
	}
	var out []indexer.Authorization
	for first := true; s.next(']', &first); {
		var au indexer.Authorization
		if s.expect('{') {
			for f := true; s.next('}', &f); {
				k := s.key()
				if s.null() {
					continue
				}
				switch string(k) {
				case "chainId":
					au.ChainID = s.big("authorization chainId", d.a)
				case "address":
					au.Address = s.address("authorization address")
				case "nonce":
					au.Nonce = s.u64("authorization nonce")
				case "yParity":
					y := s.u64("authorization yParity")
					if y > 1 {
						s.fail("authorization yParity %d", y)
					}
					au.YParity = uint8(y)
				case "r":
					au.R = s.big("authorization r", d.a)
				case "s":
					au.S = s.big("authorization s", d.a)
				default:
					s.skip()
				}
			}
		}
		out = append(out, au)
	}
	return out
}

func (d *blockDecoder) withdrawals(s *scanner, b *indexer.Block) {
	if s.null() || !s.expect('[') {
		return
	}
	b.Withdrawals = []indexer.Withdrawal{}
	for first := true; s.next(']', &first); {
		var w indexer.Withdrawal
		if s.expect('{') {
			for f := true; s.next('}', &f); {
				k := s.key()
				if s.null() {
					continue
				}
				switch string(k) {
				case "index":
					w.Index = s.u64("withdrawal index")
				case "validatorIndex":
					w.ValidatorIndex = s.u64("withdrawal validatorIndex")
				case "address":
					w.Address = s.address("withdrawal address")
				case "amount":
					w.AmountGwei = s.u64("withdrawal amount")
				default:
					s.skip()
				}
			}
		}
		b.Withdrawals = append(b.Withdrawals, w)
	}
}

func (d *blockDecoder) nullBig(s *scanner, what string) *big.Int {
	if s.null() {
		return nil
	}
	return s.big(what, d.a)
}

func (d *blockDecoder) nullU64(s *scanner, what string) *uint64 {
	if s.null() {
		return nil
	}
	return d.a.u64s.one(s.u64(what))
}

func (d *blockDecoder) nullHash(s *scanner, what string) *common.Hash {
	if s.null() {
		return nil
	}
	return d.a.hashes.one(s.hash(what))
}

// signature fills YParity and ChainID where the node left them out, so
// every client's answer gives the same row: for legacy transactions both
// follow from V (EIP-155), for typed ones V is the parity. It returns what
// is inconsistent, if anything.
func (d *blockDecoder) signature(t *indexer.Transaction, v, yParity uint64) string {
	if t.Type != 0 && t.V == nil && yParity != absent {
		// For typed transactions v is the parity; nodes that write
		// yParity may leave v out.
		t.V = d.a.ints.take(1)[0].SetUint64(yParity)
	}
	if t.Type == 0 {
		switch {
		case v == 27 || v == 28:
			t.YParity = uint8(v - 27)
			t.ChainID = nil // not replay-protected, whatever the node says
		case t.V != nil && t.V.Cmp(big35) >= 0:
			// v = 35 + 2·chainId + parity
			x := new(big.Int).Sub(t.V, big35)
			t.YParity = uint8(x.Bit(0))
			t.ChainID = x.Rsh(x, 1)
		case v == 0 || v == 1:
			// Not a valid legacy v, but some chains' system transactions
			// carry one; keep it as the parity.
			t.YParity = uint8(v)
		}
		return ""
	}
	switch {
	case yParity != absent:
		t.YParity = uint8(yParity)
		if v != absent && v != yParity && v-27 != yParity {
			return fmt.Sprintf("v %d disagrees with yParity %d", v, yParity)
		}
	case v == 0 || v == 1:
		t.YParity = uint8(v)
	case v == 27 || v == 28:
		t.YParity = uint8(v - 27)
	}
	if v == 27 || v == 28 {
		// A typed transaction signs the parity itself; a node writing it
		// the legacy way still means the parity, and the row says so.
		t.V = d.a.ints.take(1)[0].SetUint64(uint64(t.YParity))
	}
	return ""
}

var big35 = big.NewInt(35)

// decodeHeader reads the few header fields ethidx follows the chain by
// from an eth_getBlockByNumber result (with or without full transactions).
func decodeHeader(raw []byte) (indexer.Header, error) {
	var h indexer.Header
	s := &scanner{b: raw}
	if len(raw) == 0 || s.null() {
		return h, indexer.ErrNotFound
	}
	number := absent
	if s.expect('{') {
		for first := true; s.next('}', &first); {
			switch string(s.key()) {
			case "number":
				number = s.u64("number")
			case "hash":
				h.Hash = s.hash("hash")
			case "parentHash":
				h.ParentHash = s.hash("parentHash")
			case "timestamp":
				h.Timestamp = s.u64("timestamp")
			default:
				s.skip()
			}
		}
	}
	if s.err == nil && number == absent {
		s.fail("header has no number")
	}
	if s.err != nil {
		return h, fmt.Errorf("decoding header: %w", s.err)
	}
	h.Number = number
	return h, nil
}
