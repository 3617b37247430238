package chsink_test

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/chsink"
	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
)

// The token transfer rules of schema/0013_token_transfers.sql on the
// shapes real blocks rarely show: an ERC-1155 batch gives a row per id,
// a malformed batch gives none, and near-miss shapes are not transfers.
func TestTokenTransferShapes(t *testing.T) {
	ctx := context.Background()
	conn, _ := chsinktest.Conn(t)
	u256s, _ := abi.NewType("uint256[]", "", nil)
	args := abi.Arguments{{Type: u256s}, {Type: u256s}}
	pack := func(ids, values []int64) []byte {
		var a, b []*big.Int
		for _, x := range ids {
			a = append(a, big.NewInt(x))
		}
		for _, x := range values {
			b = append(b, big.NewInt(x))
		}
		out, err := args.Pack(a, b)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	word := func(v int64) []byte { return common.BigToHash(big.NewInt(v)).Bytes() }
	transfer := crypto.Keccak256Hash([]byte("Transfer(address,address,uint256)"))
	single := crypto.Keccak256Hash([]byte("TransferSingle(address,address,address,uint256,uint256)"))
	batch := crypto.Keccak256Hash([]byte("TransferBatch(address,address,address,uint256[],uint256[])"))
	op, from, to := common.Hash{31: 0x0a}, common.Hash{31: 0x0b}, common.Hash{31: 0x0c}
	good := pack([]int64{1, 2, 3}, []int64{10, 0, 30})
	farOffset := append([]byte{}, good...)
	copy(farOffset[:32], word(0x1000))
	shapes := []struct {
		topics []common.Hash
		data   []byte
	}{
		{[]common.Hash{batch, op, from, to}, good},                                  // 3 rows
		{[]common.Hash{batch, op, from, to}, pack([]int64{1, 2}, []int64{1, 2, 3})}, // lengths differ
		{[]common.Hash{batch, op, from, to}, good[:len(good)-32]},                   // truncated
		{[]common.Hash{batch, op, from, to}, farOffset},                             // offset past the end
		{[]common.Hash{batch, op, from, to}, append(append([]byte{}, good...), 0)},  // not whole words
		{[]common.Hash{transfer, from, to}, append(word(5), 1, 2, 3, 4)},            // ERC-20 with extra data
		{[]common.Hash{transfer, from, to, {31: 9}}, word(1)},                       // ERC-721 with data
		{[]common.Hash{transfer, from}, word(5)},                                    // too few topics
		{[]common.Hash{single, op, from, to}, append(word(5), word(7)...)},          // 1 row
		{[]common.Hash{transfer, from, to}, word(0)},                                // ERC-20 of 0: a row
		{[]common.Hash{transfer, from, to, {31: 9}}, nil},                           // ERC-721: a row
	}
	b := chsinktest.Blocks(100, 1, 0)[0]
	b.Logs = nil
	for i, s := range shapes {
		b.Logs = append(b.Logs, indexer.Log{BlockNumber: b.Number, BlockTimestamp: b.Timestamp, BlockHash: b.Hash,
			TxHash: b.Transactions[0].Hash, Index: uint32(i), Address: common.Address{7}, Topics: s.topics, Data: s.data})
	}
	b.Transactions[0].LogCount = uint32(len(b.Logs))
	if err := chsink.New(conn).Write(ctx, []*indexer.Block{b}); err != nil {
		t.Fatal(err)
	}
	rows, err := conn.Query(ctx, `SELECT concat(toString(log_index), ':', toString(batch_index), ' ', toString(standard), ' ',
		right(from, 2), '>', right(to, 2), ' ', ifNull(toString(token_id), '-'), ' ', toString(amount))
		FROM token_transfers_hex ORDER BY log_index, batch_index`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	want := []string{"0:0 erc1155 0b>0c 1 10", "0:1 erc1155 0b>0c 2 0", "0:2 erc1155 0b>0c 3 30",
		"8:0 erc1155 0b>0c 5 7", "9:0 erc20 0b>0c - 0", "10:0 erc721 0b>0c 9 1"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("token transfers:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}
