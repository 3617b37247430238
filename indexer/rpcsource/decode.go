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
func DecodeBlock(block, receipts []byte) (*indexer.Block, error) {
	d := newBlockDecoder(len(block) + len(receipts))
	b, err := d.block(block)
	if err != nil {
		return nil, err
	}
	if err := d.receipts(b, receipts); err != nil {
		return nil, err
	}
	return b, d.finish(b)
}

// blockDecoder holds what decoding one block needs across its block and
// receipt documents.
type blockDecoder struct {
	a        *arena
	logIndex uint32 // next log index in the block
	merged   []bool // which transactions got their receipt
}

func newBlockDecoder(jsonLen int) *blockDecoder {
	return &blockDecoder{a: newArena(jsonLen)}
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
	if s.expect('{') {
		for first := true; s.next('}', &first); {
			switch string(s.key()) {
			case "number":
				number = s.u64("number")
			case "hash":
				b.Hash = s.hash("hash")
			case "parentHash":
				b.ParentHash = s.hash("parentHash")
			case "timestamp":
				b.Timestamp = s.u64("timestamp")
			case "miner":
				b.Miner = s.address("miner")
			case "gasLimit":
				b.GasLimit = s.u64("gasLimit")
			case "gasUsed":
				b.GasUsed = s.u64("gasUsed")
			case "baseFeePerGas":
				b.BaseFeePerGas = d.nullBig(s, "baseFeePerGas")
			case "difficulty":
				b.Difficulty = d.nullBig(s, "difficulty")
			case "size":
				b.Size = s.u64("size")
			case "extraData":
				b.ExtraData = s.bytes("extraData", d.a)
			case "stateRoot":
				b.StateRoot = s.hash("stateRoot")
			case "transactionsRoot":
				b.TransactionsRoot = s.hash("transactionsRoot")
			case "receiptsRoot":
				b.ReceiptsRoot = s.hash("receiptsRoot")
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
	if number == absent && s.err == nil {
		s.fail("block has no number")
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
	for first := true; s.next('}', &first); {
		switch string(s.key()) {
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
			if !s.null() {
				t.To = d.a.addrs.one(s.address("to"))
			}
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
			t.Input = s.bytes("input", d.a)
		case "accessList":
			t.AccessList = d.accessList(s)
		case "blobVersionedHashes":
			t.BlobHashes = d.hashList(s, "blobVersionedHashes")
		case "authorizationList":
			t.Authorizations = d.authorizations(s)
		case "blockHash":
			if !s.null() {
				t.BlockHash = s.hash("blockHash")
			}
		case "blockNumber":
			if !s.null() {
				t.BlockNumber = s.u64("blockNumber")
			}
		case "transactionIndex":
			if !s.null() {
				index = s.u64("transactionIndex")
			}
		default:
			s.skip()
		}
	}
	if s.err != nil {
		s.err = fmt.Errorf("transaction %d: %w", pos, s.err)
		return
	}
	if index != absent && index != uint64(pos) {
		s.reject("transaction at position %d says index %d", pos, index)
	}
	if t.Hash == (common.Hash{}) {
		s.fail("transaction %d has no hash", pos)
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
				switch string(s.key()) {
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
				switch string(s.key()) {
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
				switch string(s.key()) {
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
