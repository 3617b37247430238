package chsink

import (
	"fmt"
	"math/big"
	"strings"
	"time"
	"unsafe"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/ethereum/go-ethereum/common"

	"github.com/ethidx/ethidx/indexer"
)

// columns lists, per table, the columns the append functions fill, in
// order. They must match schema/0001_core_tables.sql and the columns and
// tables later migrations add (0006_signatures.sql, 0015_traces.sql).
var columns = map[string]string{
	"transactions": strings.Join([]string{
		"block_number", "block_timestamp", "block_hash", "tx_index", "hash", "type",
		"from", "to", "nonce", "value", "gas", "gas_price", "max_fee_per_gas",
		"max_priority_fee_per_gas", "max_fee_per_blob_gas", "input",
		"access_list_addresses", "access_list_storage_keys", "blob_versioned_hashes",
		"auth_chain_ids", "auth_addresses", "auth_nonces", "auth_y_parities", "auth_rs", "auth_ss",
		"status", "gas_used", "cumulative_gas_used", "effective_gas_price",
		"contract_address", "blob_gas_used", "blob_gas_price", "log_count",
		"v", "r", "s", "y_parity", "chain_id",
	}, ", "),
	"logs": "block_number, block_timestamp, block_hash, tx_index, tx_hash, log_index, address, " +
		"topic0, topic1, topic2, topic3, topic_count, data",
	"withdrawals": "block_number, block_timestamp, withdrawal_index, validator_index, address, amount_gwei",
	"blocks": strings.Join([]string{
		"number", "hash", "parent_hash", "timestamp", "miner", "gas_limit", "gas_used",
		"base_fee_per_gas", "difficulty", "size", "extra_data", "state_root",
		"transactions_root", "receipts_root", "blob_gas_used", "excess_blob_gas",
		"parent_beacon_block_root", "withdrawals_root", "tx_count", "tx_success_count",
		"contract_creations", "blob_tx_count", "blob_count", "log_count", "withdrawal_count",
		"burned_wei", "fees_wei", "trace_count",
	}, ", "),
	"traces": "block_number, block_timestamp, transaction_index, transaction_hash, frame, trace_address, depth, " +
		"call_type, from, to, value, gas, gas_used, input_selector, input_size, error, status",
}

// The transactions and logs of a batch (hundreds of thousands of cells)
// are appended column by column: one Append per column hands the driver
// a whole typed slice, where a row-wise Append boxes every cell in an
// interface and dispatches on its type again for each row. The rows
// written are the same.

// columnar appends a batch's columns in order, keeping the first error:
// to a clickhouse-go batch, or encoded into a Native block (NativeInserter).
type columnar struct {
	b   driver.Batch
	nb  *nativeBlock
	i   int // the next column
	err error
}

// all appends one value per row to the next column: a slice whose element
// type the column takes (a nil element is NULL in a Nullable column).
func (c *columnar) all(v any) {
	if c.err == nil {
		if c.nb != nil {
			c.err = c.nb.column(c.i, v)
		} else {
			c.err = c.b.Column(c.i).Append(v)
		}
	}
	c.i++
}

// each appends row(r) for r < n to the next column one row at a time, for
// the array columns, which the driver appends by reflection either way.
func (c *columnar) each(n int, row func(r int) any) {
	if c.nb != nil {
		if c.err == nil {
			rows := make([]any, n)
			for r := range rows {
				rows[r] = row(r)
			}
			c.err = c.nb.arrayColumn(c.i, rows)
		}
		c.i++
		return
	}
	col := c.b.Column(c.i)
	for r := 0; r < n && c.err == nil; r++ {
		c.err = col.AppendRow(row(r))
	}
	c.i++
}

// authColumn appends, per transaction, the array of field(a) over its
// EIP-7702 authorizations (empty for other types) to the next column.
func authColumn[T any](c *columnar, txs []*indexer.Transaction, field func(a *indexer.Authorization) T) {
	c.each(len(txs), func(r int) any {
		as := txs[r].Authorizations
		out := make([]T, len(as))
		for j := range as {
			out[j] = field(&as[j])
		}
		return out
	})
}

// done checks that every column of the insert was filled.
func (c *columnar) done(rows int) (int, error) {
	want := 0
	if c.nb != nil {
		want = len(c.nb.types)
	} else {
		want = len(c.b.Columns())
	}
	if c.err == nil && c.i != want {
		c.err = fmt.Errorf("filled %d of the insert's %d columns", c.i, want)
	}
	if c.err != nil {
		return 0, c.err
	}
	return rows, nil
}

// txRows and logRows count a batch's rows of each column-wise table.
func txRows(blocks []*indexer.Block) (n int) {
	for _, b := range blocks {
		n += len(b.Transactions)
	}
	return n
}

func logRows(blocks []*indexer.Block) (n int) {
	for _, b := range blocks {
		n += len(b.Logs)
	}
	return n
}

func appendTransactions(c *columnar, blocks []*indexer.Block) (int, error) {
	var txs []*indexer.Transaction
	for _, blk := range blocks {
		for i := range blk.Transactions {
			txs = append(txs, &blk.Transactions[i])
		}
	}
	n := len(txs)
	if n == 0 {
		return 0, nil
	}
	var (
		numbers, nonces, gases, gasUsed, cumGas  = make([]uint64, n), make([]uint64, n), make([]uint64, n), make([]uint64, n), make([]uint64, n)
		times                                    = make([]time.Time, n)
		blockHashes, hashes_, froms, tos, creats = make([][]byte, n), make([][]byte, n), make([][]byte, n), make([][]byte, n), make([][]byte, n)
		indexes, logCounts                       = make([]uint32, n), make([]uint32, n)
		kinds, yParities                         = make([]uint8, n), make([]uint8, n)
		inputs                                   = make([]string, n)
		statuses                                 = make([]*uint8, n)
		blobGas                                  = make([]*uint64, n)
		values, gasPrices, maxFees, maxTips      = make([]*big.Int, n), make([]*big.Int, n), make([]*big.Int, n), make([]*big.Int, n)
		maxBlobFees, effPrices, blobPrices       = make([]*big.Int, n), make([]*big.Int, n), make([]*big.Int, n)
		vs, rs, ss, chainIDs                     = make([]*big.Int, n), make([]*big.Int, n), make([]*big.Int, n), make([]*big.Int, n)
	)
	for i, t := range txs {
		numbers[i], times[i], blockHashes[i], indexes[i], hashes_[i], kinds[i] = t.BlockNumber, unix(t.BlockTimestamp), t.BlockHash[:], t.Index, t.Hash[:], t.Type
		froms[i], tos[i], nonces[i], values[i], gases[i], gasPrices[i] = t.From[:], optAddrBytes(t.To), t.Nonce, orZero(t.Value), t.Gas, orZero(t.GasPrice)
		maxFees[i], maxTips[i], maxBlobFees[i], inputs[i] = t.MaxFeePerGas, t.MaxPriorityFee, t.MaxFeePerBlob, bytesString(t.Input)
		statuses[i], gasUsed[i], cumGas[i], effPrices[i] = t.Status, t.GasUsed, t.CumulativeGasUsed, orZero(t.EffectiveGasPrice)
		creats[i], blobGas[i], blobPrices[i], logCounts[i] = optAddrBytes(t.ContractAddress), t.BlobGasUsed, t.BlobGasPrice, t.LogCount
		vs[i], rs[i], ss[i], yParities[i], chainIDs[i] = orZero(t.V), orZero(t.R), orZero(t.S), t.YParity, t.ChainID
	}
	c.all(numbers)
	c.all(times)
	c.all(blockHashes)
	c.all(indexes)
	c.all(hashes_)
	c.all(kinds)
	c.all(froms)
	c.all(tos)
	c.all(nonces)
	c.all(values)
	c.all(gases)
	c.all(gasPrices)
	c.all(maxFees)
	c.all(maxTips)
	c.all(maxBlobFees)
	c.all(inputs)
	c.each(n, func(r int) any {
		out := make([][]byte, len(txs[r].AccessList))
		for j := range txs[r].AccessList {
			out[j] = txs[r].AccessList[j].Address[:]
		}
		return out
	})
	c.each(n, func(r int) any {
		out := make([][][]byte, len(txs[r].AccessList))
		for j := range txs[r].AccessList {
			out[j] = hashes(txs[r].AccessList[j].StorageKeys)
		}
		return out
	})
	c.each(n, func(r int) any { return hashes(txs[r].BlobHashes) })
	authColumn(c, txs, func(a *indexer.Authorization) *big.Int { return orZero(a.ChainID) })
	authColumn(c, txs, func(a *indexer.Authorization) []byte { return a.Address[:] })
	authColumn(c, txs, func(a *indexer.Authorization) uint64 { return a.Nonce })
	authColumn(c, txs, func(a *indexer.Authorization) uint8 { return a.YParity })
	authColumn(c, txs, func(a *indexer.Authorization) *big.Int { return orZero(a.R) })
	authColumn(c, txs, func(a *indexer.Authorization) *big.Int { return orZero(a.S) })
	c.all(statuses)
	c.all(gasUsed)
	c.all(cumGas)
	c.all(effPrices)
	c.all(creats)
	c.all(blobGas)
	c.all(blobPrices)
	c.all(logCounts)
	c.all(vs)
	c.all(rs)
	c.all(ss)
	c.all(yParities)
	c.all(chainIDs)
	return c.done(n)
}

func appendLogs(c *columnar, blocks []*indexer.Block) (int, error) {
	n := logRows(blocks)
	if n == 0 {
		return 0, nil
	}
	var (
		numbers             = make([]uint64, n)
		times               = make([]time.Time, n)
		blockHashes, txHash = make([][]byte, n), make([][]byte, n)
		txIndexes, indexes  = make([]uint32, n), make([]uint32, n)
		addrs               = make([][]byte, n)
		topics              [4][][]byte // a nil element is NULL
		topicCounts         = make([]uint8, n)
		data                = make([]string, n)
	)
	for k := range topics {
		topics[k] = make([][]byte, n)
	}
	i := 0
	for _, blk := range blocks {
		for j := range blk.Logs {
			l := &blk.Logs[j]
			numbers[i], times[i], blockHashes[i], txIndexes[i], txHash[i], indexes[i] = l.BlockNumber, unix(l.BlockTimestamp), l.BlockHash[:], l.TxIndex, l.TxHash[:], l.Index
			addrs[i], topicCounts[i], data[i] = l.Address[:], uint8(len(l.Topics)), bytesString(l.Data)
			for k := 0; k < len(l.Topics) && k < 4; k++ {
				topics[k][i] = l.Topics[k][:]
			}
			i++
		}
	}
	c.all(numbers)
	c.all(times)
	c.all(blockHashes)
	c.all(txIndexes)
	c.all(txHash)
	c.all(indexes)
	c.all(addrs)
	for k := range topics {
		c.all(topics[k])
	}
	c.all(topicCounts)
	c.all(data)
	return c.done(n)
}

func appendWithdrawals(b driver.Batch, blocks []*indexer.Block) (int, error) {
	n := 0
	for _, blk := range blocks {
		for _, w := range blk.Withdrawals {
			if err := b.Append(w.BlockNumber, unix(w.BlockTimestamp), w.Index, w.ValidatorIndex, w.Address[:], w.AmountGwei); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

func appendBlocks(b driver.Batch, blocks []*indexer.Block) (int, error) {
	for _, blk := range blocks {
		s := Summarize(blk)
		err := b.Append(
			blk.Number, blk.Hash[:], blk.ParentHash[:], unix(blk.Timestamp), blk.Miner[:],
			blk.GasLimit, blk.GasUsed, blk.BaseFeePerGas, orZero(blk.Difficulty), blk.Size, blk.ExtraData,
			blk.StateRoot[:], blk.TransactionsRoot[:], blk.ReceiptsRoot[:], blk.BlobGasUsed, blk.ExcessBlobGas,
			optHash(blk.ParentBeaconRoot), optHash(blk.WithdrawalsRoot),
			uint32(len(blk.Transactions)), s.Success, s.Creations, s.BlobTxs, s.Blobs,
			uint32(len(blk.Logs)), uint32(len(blk.Withdrawals)), s.Burned, s.Fees, traceCount(blk),
		)
		if err != nil {
			return 0, err
		}
	}
	return len(blocks), nil
}

// traceCount is the block row's trace_count: its frames, or NULL for a
// block loaded without traces.
func traceCount(blk *indexer.Block) *uint32 {
	if !blk.Traced {
		return nil
	}
	n := uint32(len(blk.Traces))
	return &n
}

// appendTraces appends the blocks' call frames row by row (only loads
// with --traces have any). A frame's status is 1 when its effects stand:
// the frames arrive in execution order, so each frame's parent is the
// last frame seen one level up, whose status is already known.
func appendTraces(b driver.Batch, blocks []*indexer.Block) (int, error) {
	n := 0
	var stands []bool // per depth, whether the latest frame there stands
	for _, blk := range blocks {
		for i := range blk.Traces {
			t := &blk.Traces[i]
			d := t.Depth()
			ok := t.Error == "" && (d == 0 || d <= len(stands) && stands[d-1])
			stands = append(stands[:min(d, len(stands))], ok)
			status := uint8(0)
			if ok {
				status = 1
			}
			value := t.Value
			if value == nil {
				value = new(big.Int)
			}
			err := b.Append(t.BlockNumber, unix(t.BlockTimestamp), t.TxIndex, t.TxHash[:], t.Frame, t.TraceAddress, uint32(d),
				t.CallType, t.From[:], optAddr(t.To), value, t.Gas, t.GasUsed, t.Selector[:], t.InputSize, t.Error, status)
			if err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// Summary is the per-block rollup stored beside each block.
type Summary struct {
	Success, Creations, BlobTxs, Blobs uint32
	Burned, Fees                       *big.Int // wei
}

// Summarize computes a block's rollup: successful transactions, contract
// creations, blob usage, base fee burned (gas used × base fee) and fees paid
// (Σ gas used × effective gas price).
func Summarize(blk *indexer.Block) Summary {
	s := Summary{Burned: new(big.Int), Fees: new(big.Int)}
	var tmp big.Int
	for i := range blk.Transactions {
		t := &blk.Transactions[i]
		if t.Status != nil && *t.Status == 1 {
			s.Success++
		}
		if t.ContractAddress != nil {
			s.Creations++
		}
		if len(t.BlobHashes) > 0 {
			s.BlobTxs++
			s.Blobs += uint32(len(t.BlobHashes))
		}
		if t.EffectiveGasPrice != nil {
			s.Fees.Add(s.Fees, tmp.Mul(tmp.SetUint64(t.GasUsed), t.EffectiveGasPrice))
		}
	}
	if blk.BaseFeePerGas != nil {
		s.Burned.Mul(new(big.Int).SetUint64(blk.GasUsed), blk.BaseFeePerGas)
	}
	return s
}

var zero = new(big.Int)

func orZero(v *big.Int) *big.Int {
	if v == nil {
		return zero
	}
	return v
}

// optHash returns an untyped nil for a missing value: in a row-wise
// Append the driver writes NULL only for a nil interface, not for a nil
// []byte.
func optHash(h *common.Hash) any {
	if h == nil {
		return nil
	}
	return h[:]
}

// optAddr is optHash for an address.
func optAddr(a *common.Address) any {
	if a == nil {
		return nil
	}
	return a[:]
}

// optAddrBytes is optAddr for a column appended whole: a nil element of
// a [][]byte is NULL there.
func optAddrBytes(a *common.Address) []byte {
	if a == nil {
		return nil
	}
	return a[:]
}

// bytesString views b as a string without copying it: String columns take
// whole []string slices, and the driver copies each into its own buffer
// while the batch is filled, before the block (and b) can change.
func bytesString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func hashes(hs []common.Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = hs[i][:]
	}
	return out
}
