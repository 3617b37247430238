package chsink

import (
	"math/big"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/ethereum/go-ethereum/common"

	"github.com/ethidx/ethidx/indexer"
)

// columns lists, per table, the columns the append functions fill, in
// order. They must match schema/0001_core_tables.sql and the columns later
// migrations add (0006_signatures.sql).
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
		"burned_wei", "fees_wei",
	}, ", "),
}

func appendTransactions(b driver.Batch, blocks []*indexer.Block) (int, error) {
	n := 0
	for _, blk := range blocks {
		for i := range blk.Transactions {
			t := &blk.Transactions[i]
			alAddrs := make([][]byte, len(t.AccessList))
			alKeys := make([][][]byte, len(t.AccessList))
			for j, a := range t.AccessList {
				alAddrs[j] = bytes20(a.Address)
				alKeys[j] = hashes(a.StorageKeys)
			}
			na := len(t.Authorizations)
			authChain, authAddr := make([]*big.Int, na), make([][]byte, na)
			authNonce, authY := make([]uint64, na), make([]uint8, na)
			authR, authS := make([]*big.Int, na), make([]*big.Int, na)
			for j, a := range t.Authorizations {
				authChain[j], authAddr[j] = orZero(a.ChainID), bytes20(a.Address)
				authNonce[j], authY[j] = a.Nonce, a.YParity
				authR[j], authS[j] = orZero(a.R), orZero(a.S)
			}
			err := b.Append(
				t.BlockNumber, unix(t.BlockTimestamp), t.BlockHash[:], t.Index, t.Hash[:], t.Type,
				t.From[:], optAddr(t.To), t.Nonce, orZero(t.Value), t.Gas, orZero(t.GasPrice),
				t.MaxFeePerGas, t.MaxPriorityFee, t.MaxFeePerBlob, t.Input,
				alAddrs, alKeys, hashes(t.BlobHashes),
				authChain, authAddr, authNonce, authY, authR, authS,
				t.Status, t.GasUsed, t.CumulativeGasUsed, orZero(t.EffectiveGasPrice),
				optAddr(t.ContractAddress), t.BlobGasUsed, t.BlobGasPrice, t.LogCount,
				orZero(t.V), orZero(t.R), orZero(t.S), t.YParity, t.ChainID,
			)
			if err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

func appendLogs(b driver.Batch, blocks []*indexer.Block) (int, error) {
	n := 0
	for _, blk := range blocks {
		for i := range blk.Logs {
			l := &blk.Logs[i]
			var topics [4]any // untyped nil = NULL
			for j := 0; j < len(l.Topics) && j < 4; j++ {
				topics[j] = l.Topics[j][:]
			}
			err := b.Append(
				l.BlockNumber, unix(l.BlockTimestamp), l.BlockHash[:], l.TxIndex, l.TxHash[:], l.Index,
				l.Address[:], topics[0], topics[1], topics[2], topics[3], uint8(len(l.Topics)), l.Data,
			)
			if err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
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
			uint32(len(blk.Logs)), uint32(len(blk.Withdrawals)), s.Burned, s.Fees,
		)
		if err != nil {
			return 0, err
		}
	}
	return len(blocks), nil
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

func bytes20(a common.Address) []byte { return a[:] }

// optAddr and optHash return an untyped nil for a missing value: the
// driver writes NULL only for a nil interface, not for a nil []byte.
func optAddr(a *common.Address) any {
	if a == nil {
		return nil
	}
	return a[:]
}

func optHash(h *common.Hash) any {
	if h == nil {
		return nil
	}
	return h[:]
}

func hashes(hs []common.Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = hs[i][:]
	}
	return out
}
