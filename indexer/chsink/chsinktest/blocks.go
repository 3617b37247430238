package chsinktest

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"

	"github.com/ethidx/ethidx/indexer"
)

// Blocks builds a small chain touching every column kind: nullable
// receipt fields, access lists, blob hashes, authorizations, logs with 0–4
// topics, withdrawals. Block n has three transactions, five logs, one
// withdrawal and timestamp 1767225600 + 12n; salt tells forks apart.
func Blocks(from, n uint64, salt byte) []*indexer.Block {
	var out []*indexer.Block
	parent := common.Hash{0xff, salt}
	for i := uint64(0); i < n; i++ {
		num := from + i
		b := &indexer.Block{
			Number: num, Hash: common.Hash{byte(num), salt, 1}, ParentHash: parent,
			Timestamp: 1767225600 + num*12, Miner: common.Address{9}, GasLimit: 30_000_000,
			GasUsed: 21000 * 3, BaseFeePerGas: big.NewInt(7), Difficulty: new(big.Int),
		}
		parent = b.Hash
		one := uint8(1)
		zero := uint8(0)
		to := common.Address{byte(num), 2}
		created := common.Address{byte(num), 3}
		bg := uint64(131072)
		b.Transactions = []indexer.Transaction{
			{Index: 0, Hash: common.Hash{byte(num), salt, 10}, Type: 2, From: common.Address{1}, To: &to,
				Value: new(big.Int).Lsh(big.NewInt(1), 200), GasPrice: big.NewInt(10), MaxFeePerGas: big.NewInt(12),
				MaxPriorityFee: big.NewInt(2), Status: &one, GasUsed: 21000, EffectiveGasPrice: big.NewInt(10),
				AccessList: []indexer.AccessTuple{{Address: common.Address{5}, StorageKeys: []common.Hash{{1}, {2}}}}},
			{Index: 1, Hash: common.Hash{byte(num), salt, 11}, Type: 0, From: common.Address{1},
				Value: big.NewInt(0), GasPrice: big.NewInt(10), Status: &zero, GasUsed: 21000,
				EffectiveGasPrice: big.NewInt(10), ContractAddress: &created, Input: []byte{0, 1, 0, 2}},
			{Index: 2, Hash: common.Hash{byte(num), salt, 12}, Type: 3, From: common.Address{4}, To: &to,
				Value: big.NewInt(1), GasPrice: big.NewInt(10), Status: &one, GasUsed: 21000, EffectiveGasPrice: big.NewInt(10),
				BlobHashes: []common.Hash{{0x01, 7}}, BlobGasUsed: &bg, BlobGasPrice: big.NewInt(1), MaxFeePerBlob: big.NewInt(3),
				Authorizations: []indexer.Authorization{{ChainID: big.NewInt(1), Address: common.Address{8}, Nonce: 1, YParity: 1, R: big.NewInt(5), S: big.NewInt(6)}}},
		}
		for j := range b.Transactions {
			t := &b.Transactions[j]
			t.BlockNumber, t.BlockTimestamp, t.BlockHash = num, b.Timestamp, b.Hash
		}
		for j := 0; j < 5; j++ {
			b.Logs = append(b.Logs, indexer.Log{BlockNumber: num, BlockTimestamp: b.Timestamp, BlockHash: b.Hash,
				TxIndex: 0, TxHash: b.Transactions[0].Hash, Index: uint32(j), Address: common.Address{7},
				Topics: make([]common.Hash, j%5), Data: []byte{byte(j), 0}})
		}
		b.Transactions[0].LogCount = 5
		b.Withdrawals = []indexer.Withdrawal{{BlockNumber: num, BlockTimestamp: b.Timestamp, Index: num, ValidatorIndex: 3, Address: common.Address{6}, AmountGwei: 32e9}}
		out = append(out, b)
	}
	return out
}
