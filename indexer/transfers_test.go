package indexer_test

import (
	"encoding/json"
	"fmt"
	"math/big"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/ethidx/ethidx/internal/fixtures"
)

var (
	transferTopic = crypto.Keccak256Hash([]byte("Transfer(address,address,uint256)"))
	singleTopic   = crypto.Keccak256Hash([]byte("TransferSingle(address,address,address,uint256,uint256)"))
	batchTopic    = crypto.Keccak256Hash([]byte("TransferBatch(address,address,address,uint256[],uint256[])"))
)

// decodeTransfers is an independent decoding of a block's token transfers
// from its receipts (go-ethereum's log type and ABI decoder), by the rules
// of schema/0013_token_transfers.sql: one row each, as
// standard|log_index|batch_index|tx_index|token|from|to|token_id|amount.
func decodeTransfers(t *testing.T, receiptsJSON []byte) []string {
	t.Helper()
	var receipts []struct {
		Logs []*types.Log `json:"logs"`
	}
	if err := json.Unmarshal(receiptsJSON, &receipts); err != nil {
		t.Fatal(err)
	}
	u256s, err := abi.NewType("uint256[]", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	batchArgs := abi.Arguments{{Type: u256s}, {Type: u256s}}
	addr := func(h common.Hash) string { return strings.ToLower(common.BytesToAddress(h.Bytes()).Hex()) }
	var out []string
	row := func(std string, l *types.Log, batch int, from, to common.Hash, id, amount *big.Int) {
		ids := ""
		if id != nil {
			ids = id.String()
		}
		out = append(out, fmt.Sprintf("%s|%d|%d|%d|%s|%s|%s|%s|%s", std, l.Index, batch, l.TxIndex,
			strings.ToLower(l.Address.Hex()), addr(from), addr(to), ids, amount))
	}
	for _, r := range receipts {
		for _, l := range r.Logs {
			if len(l.Topics) == 0 {
				continue
			}
			switch {
			case l.Topics[0] == transferTopic && len(l.Topics) == 3 && len(l.Data) == 32:
				row("erc20", l, 0, l.Topics[1], l.Topics[2], nil, new(big.Int).SetBytes(l.Data))
			case l.Topics[0] == transferTopic && len(l.Topics) == 4 && len(l.Data) == 0:
				row("erc721", l, 0, l.Topics[1], l.Topics[2], l.Topics[3].Big(), big.NewInt(1))
			case l.Topics[0] == singleTopic && len(l.Topics) == 4 && len(l.Data) == 64:
				row("erc1155", l, 0, l.Topics[2], l.Topics[3], new(big.Int).SetBytes(l.Data[:32]), new(big.Int).SetBytes(l.Data[32:]))
			case l.Topics[0] == batchTopic && len(l.Topics) == 4:
				vals, err := batchArgs.Unpack(l.Data)
				if err != nil {
					continue // malformed: no transfer
				}
				ids, amounts := vals[0].([]*big.Int), vals[1].([]*big.Int)
				if len(ids) != len(amounts) {
					continue
				}
				for i := range ids {
					row("erc1155", l, i, l.Topics[2], l.Topics[3], ids[i], amounts[i])
				}
			}
		}
	}
	return out
}

// checkTransfers compares the stored token transfers of block num with the
// independent decoding of its receipts, row for row, and returns the count
// per standard.
func checkTransfers(t *testing.T, conn chsinkConn, num uint64, dir string) map[string]int {
	t.Helper()
	want := decodeTransfers(t, fixtures.MustRead(t, filepath.Join(dir, "receipts.json")))
	rows := query(t, conn, fmt.Sprintf(`SELECT concat(toString(standard), '|', toString(log_index), '|', toString(batch_index), '|',
		toString(transaction_index), '|', token, '|', from, '|', to, '|', ifNull(toString(token_id), ''), '|', toString(amount))
		FROM token_transfers_hex WHERE block_number = %d ORDER BY log_index, batch_index`, num))
	counts := map[string]int{}
	var got []string
	for _, r := range rows {
		got = append(got, r[0])
		counts[strings.SplitN(r[0], "|", 2)[0]]++
	}
	if len(got) != len(want) {
		t.Errorf("block %d: %d token transfers stored, the receipts decode to %d", num, len(got), len(want))
	}
	for i := 0; i < min(len(got), len(want)); i++ {
		if got[i] != want[i] {
			t.Errorf("block %d transfer %d:\n got %s\nwant %s", num, i, got[i], want[i])
			break
		}
	}
	return counts
}
