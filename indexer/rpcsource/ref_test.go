package rpcsource

import (
	"encoding/json"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/ethidx/ethidx/indexer"
)

// The reference decoder: encoding/json into structs of go-ethereum's hexutil
// types, written independently of the fast reader so tests can compare the
// two, and benchmarked against it.

type refBlock struct {
	Number           hexutil.Uint64  `json:"number"`
	Hash             common.Hash     `json:"hash"`
	ParentHash       common.Hash     `json:"parentHash"`
	Timestamp        hexutil.Uint64  `json:"timestamp"`
	Miner            common.Address  `json:"miner"`
	GasLimit         hexutil.Uint64  `json:"gasLimit"`
	GasUsed          hexutil.Uint64  `json:"gasUsed"`
	BaseFee          *hexutil.Big    `json:"baseFeePerGas"`
	Difficulty       *hexutil.Big    `json:"difficulty"`
	Size             hexutil.Uint64  `json:"size"`
	ExtraData        hexutil.Bytes   `json:"extraData"`
	StateRoot        common.Hash     `json:"stateRoot"`
	TransactionsRoot common.Hash     `json:"transactionsRoot"`
	ReceiptsRoot     common.Hash     `json:"receiptsRoot"`
	BlobGasUsed      *hexutil.Uint64 `json:"blobGasUsed"`
	ExcessBlobGas    *hexutil.Uint64 `json:"excessBlobGas"`
	ParentBeaconRoot *common.Hash    `json:"parentBeaconBlockRoot"`
	WithdrawalsRoot  *common.Hash    `json:"withdrawalsRoot"`
	Transactions     []refTx         `json:"transactions"`
	Withdrawals      *[]struct {
		Index          hexutil.Uint64 `json:"index"`
		ValidatorIndex hexutil.Uint64 `json:"validatorIndex"`
		Address        common.Address `json:"address"`
		Amount         hexutil.Uint64 `json:"amount"`
	} `json:"withdrawals"`
}

type refTx struct {
	Hash       common.Hash     `json:"hash"`
	Type       hexutil.Uint64  `json:"type"`
	From       common.Address  `json:"from"`
	To         *common.Address `json:"to"`
	Nonce      hexutil.Uint64  `json:"nonce"`
	Value      *hexutil.Big    `json:"value"`
	Gas        hexutil.Uint64  `json:"gas"`
	GasPrice   *hexutil.Big    `json:"gasPrice"`
	MaxFee     *hexutil.Big    `json:"maxFeePerGas"`
	MaxPrio    *hexutil.Big    `json:"maxPriorityFeePerGas"`
	MaxBlobFee *hexutil.Big    `json:"maxFeePerBlobGas"`
	Input      hexutil.Bytes   `json:"input"`
	AccessList []struct {
		Address     common.Address `json:"address"`
		StorageKeys []common.Hash  `json:"storageKeys"`
	} `json:"accessList"`
	BlobHashes []common.Hash   `json:"blobVersionedHashes"`
	V          *hexutil.Big    `json:"v"`
	R          *hexutil.Big    `json:"r"`
	S          *hexutil.Big    `json:"s"`
	YParity    *hexutil.Uint64 `json:"yParity"`
	ChainID    *hexutil.Big    `json:"chainId"`
	Auths      []struct {
		ChainID *hexutil.Big   `json:"chainId"`
		Address common.Address `json:"address"`
		Nonce   hexutil.Uint64 `json:"nonce"`
		YParity hexutil.Uint64 `json:"yParity"`
		R       *hexutil.Big   `json:"r"`
		S       *hexutil.Big   `json:"s"`
	} `json:"authorizationList"`
}

type refReceipt struct {
	TxHash            common.Hash     `json:"transactionHash"`
	Status            *hexutil.Uint64 `json:"status"`
	GasUsed           hexutil.Uint64  `json:"gasUsed"`
	CumulativeGasUsed hexutil.Uint64  `json:"cumulativeGasUsed"`
	EffectiveGasPrice *hexutil.Big    `json:"effectiveGasPrice"`
	ContractAddress   *common.Address `json:"contractAddress"`
	BlobGasUsed       *hexutil.Uint64 `json:"blobGasUsed"`
	BlobGasPrice      *hexutil.Big    `json:"blobGasPrice"`
	Logs              []struct {
		Address common.Address `json:"address"`
		Topics  []common.Hash  `json:"topics"`
		Data    hexutil.Bytes  `json:"data"`
	} `json:"logs"`
}

// refDecode builds the rows the slow, obvious way. It does no checking
// beyond what encoding/json does: tests compare its rows with DecodeBlock's.
func refDecode(blockJSON, receiptsJSON []byte) (*indexer.Block, error) {
	var rb refBlock
	if err := json.Unmarshal(blockJSON, &rb); err != nil {
		return nil, err
	}
	var rr []refReceipt
	if err := json.Unmarshal(receiptsJSON, &rr); err != nil {
		return nil, err
	}
	b := &indexer.Block{
		Number: uint64(rb.Number), Hash: rb.Hash, ParentHash: rb.ParentHash,
		Timestamp: uint64(rb.Timestamp), Miner: rb.Miner,
		GasLimit: uint64(rb.GasLimit), GasUsed: uint64(rb.GasUsed),
		BaseFeePerGas: refBig(rb.BaseFee), Difficulty: refBig(rb.Difficulty),
		Size: uint64(rb.Size), ExtraData: nilIfEmpty(rb.ExtraData),
		StateRoot: rb.StateRoot, TransactionsRoot: rb.TransactionsRoot, ReceiptsRoot: rb.ReceiptsRoot,
		BlobGasUsed: refU64(rb.BlobGasUsed), ExcessBlobGas: refU64(rb.ExcessBlobGas),
		ParentBeaconRoot: rb.ParentBeaconRoot, WithdrawalsRoot: rb.WithdrawalsRoot,
	}
	if rb.Withdrawals != nil {
		b.Withdrawals = []indexer.Withdrawal{}
		for _, w := range *rb.Withdrawals {
			b.Withdrawals = append(b.Withdrawals, indexer.Withdrawal{
				BlockNumber: b.Number, BlockTimestamp: b.Timestamp,
				Index: uint64(w.Index), ValidatorIndex: uint64(w.ValidatorIndex),
				Address: w.Address, AmountGwei: uint64(w.Amount),
			})
		}
	}
	for i, rt := range rb.Transactions {
		t := indexer.Transaction{
			BlockNumber: b.Number, BlockTimestamp: b.Timestamp, BlockHash: b.Hash,
			Index: uint32(i), Hash: rt.Hash, Type: uint8(rt.Type), From: rt.From, To: rt.To,
			Nonce: uint64(rt.Nonce), Value: refBig(rt.Value), Gas: uint64(rt.Gas),
			GasPrice: refBig(rt.GasPrice), MaxFeePerGas: refBig(rt.MaxFee),
			MaxPriorityFee: refBig(rt.MaxPrio), MaxFeePerBlob: refBig(rt.MaxBlobFee),
			Input: nilIfEmpty(rt.Input), BlobHashes: nilIfNone(rt.BlobHashes),
		}
		if t.Value == nil {
			t.Value = new(big.Int)
		}
		t.V, t.R, t.S = refBig(rt.V), refBig(rt.R), refBig(rt.S)
		switch {
		case t.Type != 0 && rt.YParity != nil:
			t.YParity, t.ChainID = uint8(*rt.YParity), refBig(rt.ChainID)
		case t.Type != 0:
			t.YParity, t.ChainID = uint8(t.V.Uint64()), refBig(rt.ChainID)
		case t.V.Cmp(big.NewInt(35)) >= 0:
			x := new(big.Int).Sub(t.V, big.NewInt(35))
			t.YParity = uint8(new(big.Int).Mod(x, big.NewInt(2)).Uint64())
			t.ChainID = x.Div(x, big.NewInt(2))
		default:
			t.YParity = uint8(t.V.Uint64() - 27)
		}
		for _, at := range rt.AccessList {
			t.AccessList = append(t.AccessList, indexer.AccessTuple{Address: at.Address, StorageKeys: nilIfNone(at.StorageKeys)})
		}
		for _, au := range rt.Auths {
			t.Authorizations = append(t.Authorizations, indexer.Authorization{
				ChainID: refBig(au.ChainID), Address: au.Address, Nonce: uint64(au.Nonce),
				YParity: uint8(au.YParity), R: refBig(au.R), S: refBig(au.S),
			})
		}
		if i < len(rr) {
			r := rr[i]
			if r.Status != nil {
				st := uint8(*r.Status)
				t.Status = &st
			}
			t.GasUsed, t.CumulativeGasUsed = uint64(r.GasUsed), uint64(r.CumulativeGasUsed)
			t.EffectiveGasPrice = refBig(r.EffectiveGasPrice)
			if t.EffectiveGasPrice == nil {
				t.EffectiveGasPrice = t.GasPrice
				if t.MaxFeePerGas != nil && b.BaseFeePerGas != nil {
					p := new(big.Int).Add(b.BaseFeePerGas, t.MaxPriorityFee)
					if p.Cmp(t.MaxFeePerGas) > 0 {
						p = t.MaxFeePerGas
					}
					t.EffectiveGasPrice = p
				}
			}
			t.ContractAddress, t.BlobGasUsed, t.BlobGasPrice = r.ContractAddress, refU64(r.BlobGasUsed), refBig(r.BlobGasPrice)
			if t.Status != nil && *t.Status == 0 {
				// A failed creation created nothing (issue 21 §4), whatever
				// address the node names.
				t.ContractAddress = nil
			}
			t.LogCount = uint32(len(r.Logs))
			for _, l := range r.Logs {
				b.Logs = append(b.Logs, indexer.Log{
					BlockNumber: b.Number, BlockTimestamp: b.Timestamp, BlockHash: b.Hash,
					TxIndex: uint32(i), TxHash: t.Hash, Index: uint32(len(b.Logs)),
					Address: l.Address, Topics: nilIfNone(l.Topics), Data: nilIfEmpty(l.Data),
				})
			}
		}
		b.Transactions = append(b.Transactions, t)
	}
	return b, nil
}

func refBig(v *hexutil.Big) *big.Int {
	if v == nil {
		return nil
	}
	return (*big.Int)(v)
}

func refU64(v *hexutil.Uint64) *uint64 {
	if v == nil {
		return nil
	}
	x := uint64(*v)
	return &x
}

func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

func nilIfNone(h []common.Hash) []common.Hash {
	if len(h) == 0 {
		return nil
	}
	return h
}
