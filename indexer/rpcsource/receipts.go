package rpcsource

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"

	"github.com/ethidx/ethidx/indexer"
)

// receipts merges an eth_getBlockReceipts result into b. Receipts must come
// in transaction order, one per transaction, each naming its transaction
// and this block.
func (d *blockDecoder) receipts(b *indexer.Block, raw []byte) error {
	s := &scanner{b: raw}
	if s.null() {
		return blockErr(b.Number, "node has the block but returned no receipts")
	}
	i := 0
	if s.expect('[') {
		for first := true; s.next(']', &first); i++ {
			if i >= len(b.Transactions) {
				// Count them all for the message, without merging.
				s.skip()
				continue
			}
			d.receipt(s, b, i)
		}
	}
	if s.err == nil && s.peek() != 0 {
		s.fail("data after the receipts")
	}
	if s.err != nil {
		return blockErr(b.Number, "%s", describe("receipts", s.err))
	}
	if i != len(b.Transactions) {
		return blockErr(b.Number, "node returned %d receipts for %d transactions", i, len(b.Transactions))
	}
	return nil
}

// receiptOf merges one eth_getTransactionReceipt result, for nodes without
// eth_getBlockReceipts. Receipts must be merged in transaction order, so
// log indexes can be checked as they come.
func (d *blockDecoder) receiptOf(b *indexer.Block, i int, raw []byte) error {
	s := &scanner{b: raw}
	if s.null() {
		return blockErr(b.Number, "node has the block but no receipt for transaction %d (%s)", i, b.Transactions[i].Hash)
	}
	d.receipt(s, b, i)
	if s.err == nil && s.peek() != 0 {
		s.fail("data after the receipt")
	}
	if s.err != nil {
		return blockErr(b.Number, "%s", describe(fmt.Sprintf("receipt %d", i), s.err))
	}
	return nil
}

// receipt parses the receipt of transaction i and checks it belongs there.
// Mismatches are reported through s, so the caller's error names them.
func (d *blockDecoder) receipt(s *scanner, b *indexer.Block, i int) {
	t := &b.Transactions[i]
	var (
		txHash        common.Hash
		blockHash     common.Hash
		from          *common.Address
		number, index = absent, absent
		typ           = absent
		hasLogs       bool
		logProblem    string
	)
	firstLog := len(b.Logs)
	if !s.expect('{') {
		return
	}
	rc := &d.rcs[i]
	for first := true; s.next('}', &first); {
		k := s.key()
		if s.null() {
			// Absent and null mean the same: pre-Byzantium receipts of
			// some clients say "status": null beside their root.
			continue
		}
		switch string(k) {
		case "transactionHash":
			txHash = s.hash("transactionHash")
		case "transactionIndex":
			index = s.u64("transactionIndex")
		case "blockHash":
			blockHash = s.hash("blockHash")
		case "blockNumber":
			number = s.u64("blockNumber")
		case "from":
			a := s.address("from")
			from = &a
		case "type":
			typ = s.u64("type")
		case "status":
			st := s.u64("status")
			if st > 1 {
				s.fail("status %d", st)
			}
			t.Status = &d.a.u8s.take(1)[0]
			*t.Status = uint8(st)
		case "gasUsed":
			t.GasUsed = s.u64("gasUsed")
		case "cumulativeGasUsed":
			t.CumulativeGasUsed = s.u64("cumulativeGasUsed")
		case "effectiveGasPrice":
			t.EffectiveGasPrice = d.nullBig(s, "effectiveGasPrice")
		case "contractAddress":
			t.ContractAddress = d.a.addrs.one(s.address("contractAddress"))
		case "root":
			// The post-transaction state root of pre-Byzantium receipts:
			// not stored, but the receipts root commits to it.
			rc.root = s.bytes("root", d.a)
		case "logsBloom":
			if d.mode == ProofStructure {
				s.skip() // only verification reads it
				break
			}
			bl := &d.a.blooms.take(1)[0]
			if s.bloom(bl) {
				rc.bloom = bl
			}
		case "blobGasUsed":
			t.BlobGasUsed = d.nullU64(s, "blobGasUsed")
		case "blobGasPrice":
			t.BlobGasPrice = d.nullBig(s, "blobGasPrice")
		case "logs":
			hasLogs = true
			logProblem = d.logs(s, b, i)
		default:
			s.skip()
		}
	}
	if s.err != nil {
		s.err = fmt.Errorf("receipt %d: %w", i, s.err)
		return
	}
	if from != nil && t.From == (common.Address{}) {
		// The transaction left its sender out; the receipt has it.
		t.From = *from
	}
	switch {
	case txHash != t.Hash:
		s.reject("receipt %d is for transaction %s, but transaction %d is %s", i, txHash, i, t.Hash)
	case index != absent && index != uint64(i):
		s.reject("receipt %d says transaction index %d", i, index)
	case blockHash != (common.Hash{}) && blockHash != b.Hash:
		s.reject("receipt %d says block hash %s, block is %s", i, blockHash, b.Hash)
	case number != absent && number != b.Number:
		s.reject("receipt %d says block %d", i, number)
	case from != nil && *from != t.From:
		s.reject("receipt %d says sender %s, transaction says %s", i, *from, t.From)
	case typ != absent && typ != uint64(t.Type):
		s.reject("receipt %d says type %d, transaction says %d", i, typ, t.Type)
	case !hasLogs:
		s.reject("receipt %d has no logs field", i)
	case logProblem != "":
		// Checked last: when a whole receipt is misplaced, the receipt's
		// own fields say so more clearly than its logs.
		s.reject("receipt %d: %s", i, logProblem)
	}
	t.LogCount = uint32(len(b.Logs) - firstLog)
	d.merged[i] = true
}

// logs reads a receipt's logs. Logs that disagree with the block or the
// transaction are reported as a problem, which the receipt raises after
// its own checks.
func (d *blockDecoder) logs(s *scanner, b *indexer.Block, i int) (problem string) {
	if s.null() || !s.expect('[') {
		return ""
	}
	t := &b.Transactions[i]
	// Ganache numbers logs within each receipt (every receipt's first log
	// is 0) instead of within the block. ethidx assigns positions itself,
	// so either numbering is accepted; any other is a problem.
	receiptFirst := d.logIndex
	for first := true; s.next(']', &first); {
		l := indexer.Log{
			BlockNumber:    b.Number,
			BlockTimestamp: b.Timestamp,
			BlockHash:      b.Hash,
			TxIndex:        uint32(i),
			TxHash:         t.Hash,
			Index:          d.logIndex,
		}
		var (
			blockHash, txHash         common.Hash
			number, txIndex, logIndex = absent, absent, absent
			removed                   bool
		)
		if s.expect('{') {
			for f := true; s.next('}', &f); {
				k := s.key()
				if s.null() {
					continue
				}
				switch string(k) {
				case "address":
					l.Address = s.address("log address")
				case "topics":
					l.Topics = d.hashList(s, "log topic")
				case "data":
					l.Data = s.bytes("log data", d.a)
				case "blockHash":
					blockHash = s.hash("log blockHash")
				case "transactionHash":
					txHash = s.hash("log transactionHash")
				case "blockNumber":
					number = s.u64("log blockNumber")
				case "transactionIndex":
					txIndex = s.u64("log transactionIndex")
				case "logIndex":
					logIndex = s.u64("logIndex")
				case "removed":
					removed = s.boolean()
				default:
					s.skip()
				}
			}
		}
		if s.err != nil {
			return ""
		}
		if problem == "" {
			switch {
			case blockHash != (common.Hash{}) && blockHash != b.Hash:
				problem = fmt.Sprintf("log %d says block hash %s, block is %s", l.Index, blockHash, b.Hash)
			case txHash != (common.Hash{}) && txHash != t.Hash:
				problem = fmt.Sprintf("log %d says transaction %s, transaction %d is %s", l.Index, txHash, i, t.Hash)
			case number != absent && number != b.Number:
				problem = fmt.Sprintf("log %d says block %d", l.Index, number)
			case txIndex != absent && txIndex != uint64(i):
				problem = fmt.Sprintf("log %d says transaction index %d, receipt is %d", l.Index, txIndex, i)
			case logIndex != absent && logIndex != uint64(l.Index) && logIndex != uint64(l.Index-receiptFirst):
				problem = fmt.Sprintf("log %d of the block says log index %d", l.Index, logIndex)
			case removed:
				problem = fmt.Sprintf("log %d is marked removed", l.Index)
			}
		}
		b.Logs = append(b.Logs, l)
		d.logIndex++
	}
	return problem
}

// finish checks what needs every receipt: all merged, gas adding up to the
// block's, and fills effective gas prices old nodes leave out. Then, unless
// only the structure is checked, it proves the content against the header
// (verify.go).
func (d *blockDecoder) finish(b *indexer.Block) error {
	if err := d.structure(b); err != nil {
		return err
	}
	return d.verify(b)
}

func (d *blockDecoder) structure(b *indexer.Block) error {
	var cum uint64
	for i := range b.Transactions {
		t := &b.Transactions[i]
		if !d.merged[i] {
			return blockErr(b.Number, "transaction %d has no receipt", i)
		}
		if t.CumulativeGasUsed < cum || t.CumulativeGasUsed-cum != t.GasUsed {
			return blockErr(b.Number, "receipt %d: cumulative gas %d after %d does not add its gas used %d", i, t.CumulativeGasUsed, cum, t.GasUsed)
		}
		cum = t.CumulativeGasUsed
		if err := d.fill(b, t); err != nil {
			return blockErr(b.Number, "transaction %d: %v", i, err)
		}
	}
	if cum != b.GasUsed {
		return blockErr(b.Number, "receipts use %d gas, block says %d", cum, b.GasUsed)
	}
	return nil
}

// fill derives what a node may leave out but has one right value, so
// every client's answer gives the same rows: the effective gas price, the
// gas price of fee-market transactions (which nodes report as the price
// paid), the blob gas of a blob transaction. When the content is verified,
// also the sender (recovered from the signature) and a created contract's
// address (from sender and nonce; none for a failed creation); without verification those would rest
// on rules another chain may not follow, so a missing sender is an error.
func (d *blockDecoder) fill(b *indexer.Block, t *indexer.Transaction) error {
	if t.EffectiveGasPrice == nil {
		t.EffectiveGasPrice = effectivePrice(t, b.BaseFeePerGas)
	}
	if t.GasPrice == nil && t.Type >= 2 {
		t.GasPrice = t.EffectiveGasPrice
	}
	if t.BlobGasUsed == nil && len(t.BlobHashes) > 0 {
		t.BlobGasUsed = d.a.u64s.one(uint64(len(t.BlobHashes)) * params.BlobTxBlobGasPerBlob)
	}
	if t.Status != nil && *t.Status == 0 {
		// A failed creation created nothing: geth names the address it
		// would have had, Hardhat says null. Store neither, in every mode,
		// so it is never a contract creation nor an address.
		t.ContractAddress = nil
	}
	if d.mode == ProofStructure {
		if t.From == (common.Address{}) {
			return errors.New("no sender (from) in the transaction or its receipt")
		}
		return nil
	}
	if t.From == (common.Address{}) {
		from, err := sender(t)
		if err != nil {
			return fmt.Errorf("no sender (from) in the transaction or its receipt, and none recovers from its signature: %w", err)
		}
		t.From = from
	}
	if t.To == nil && t.ContractAddress == nil && (t.Status == nil || *t.Status == 1) {
		t.ContractAddress = d.a.addrs.one(crypto.CreateAddress(t.From, t.Nonce))
	}
	return nil
}

// effectivePrice is what the sender paid per gas when the receipt does not
// say: the gas price for legacy transactions, and for EIP-1559 ones the
// base fee plus the tip, capped by the fee cap.
func effectivePrice(t *indexer.Transaction, baseFee *big.Int) *big.Int {
	if t.MaxFeePerGas == nil || t.MaxPriorityFee == nil || baseFee == nil {
		if t.GasPrice == nil {
			return nil
		}
		return t.GasPrice
	}
	p := new(big.Int).Add(baseFee, t.MaxPriorityFee)
	if p.Cmp(t.MaxFeePerGas) > 0 {
		p.Set(t.MaxFeePerGas)
	}
	return p
}
