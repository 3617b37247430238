package chsink

import (
	"context"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/ethereum/go-ethereum/common"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
)

// The column-wise fills store exactly the rows the row-wise ones stored
// (kept below as the reference), cell for cell, whether the columns go
// through clickhouse-go's batch or are encoded as one Native block
// (NativeInserter, the embedded engine's own connection), over blocks
// mixing every optional field set and unset: missing to, status, fee caps,
// blob and chain fields; access lists, blob hashes, authorizations; logs
// of 0 to 4 topics and empty data.
func TestColumnarRowsAreRowWiseRows(t *testing.T) {
	ctx := context.Background()
	conn, _ := chsinktest.Conn(t)
	if _, ok := conn.(NativeInserter); !ok {
		t.Fatalf("the embedded engine's own connection (%T) takes no Native inserts", conn)
	}
	native := New(conn)
	driverOnly := New(struct{ driver.Conn }{conn}) // hides InsertNative
	blocks := mixedBlocks(rand.New(rand.NewPCG(7, 9)), 12)
	for _, tc := range []struct {
		table, order string
		columnar     func(*columnar, []*indexer.Block) (int, error)
		count        func([]*indexer.Block) int
		rowWise      func(driver.Batch, []*indexer.Block) (int, error)
	}{
		{"transactions", "block_number, tx_index", appendTransactions, txRows, rowWiseTransactions},
		{"logs", "block_number, log_index", appendLogs, logRows, rowWiseLogs},
	} {
		dump := func(s *Sink, st step) []string {
			t.Helper()
			if err := conn.Exec(ctx, "TRUNCATE TABLE "+tc.table); err != nil {
				t.Fatal(err)
			}
			if err := s.insert(ctx, st, blocks); err != nil {
				t.Fatalf("%s: %v", tc.table, err)
			}
			rows, err := conn.Query(ctx, "SELECT toString(tuple(*)) FROM "+tc.table+" ORDER BY "+tc.order)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var out []string
			for rows.Next() {
				var r string
				if err := rows.Scan(&r); err != nil {
					t.Fatal(err)
				}
				out = append(out, r)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			return out
		}
		cols := step{table: tc.table, cols: tc.columnar, count: tc.count}
		want := dump(driverOnly, step{table: tc.table, rows: tc.rowWise})
		n := tc.count(blocks)
		if len(want) != n {
			t.Fatalf("%s: %d rows row-wise, want %d", tc.table, len(want), n)
		}
		for name, got := range map[string][]string{
			"column-wise through the driver": dump(driverOnly, cols),
			"column-wise as a Native block":  dump(native, cols),
		} {
			if len(got) != n {
				t.Fatalf("%s: %d rows %s, want %d", tc.table, len(got), name, n)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%s row %d:\n %s %s\n row-wise %s", tc.table, i, name, got[i], want[i])
				}
			}
		}
		if tc.table == "transactions" && !strings.Contains(strings.Join(want, "\n"), "NULL") {
			t.Fatal("no NULL stored: the blocks do not exercise the nullable columns")
		}
	}
}

// mixedBlocks draws blocks whose transactions and logs set each optional
// field about half the time.
func mixedBlocks(r *rand.Rand, n int) []*indexer.Block {
	hash := func() (h common.Hash) {
		for i := range h {
			h[i] = byte(r.UintN(256))
		}
		return h
	}
	addr := func() common.Address { return common.Address(hash().Bytes()[:20]) }
	big_ := func() *big.Int {
		if r.IntN(2) == 0 {
			return nil
		}
		return new(big.Int).Lsh(big.NewInt(int64(r.UintN(1000))), r.UintN(246))
	}
	some := func() bool { return r.IntN(2) == 0 }
	var out []*indexer.Block
	for k := 0; k < n; k++ {
		b := &indexer.Block{Number: uint64(1000 + k), Hash: hash(), Timestamp: 1767225600 + uint64(k)*12}
		for i := range 5 + r.IntN(20) {
			t := indexer.Transaction{BlockNumber: b.Number, BlockTimestamp: b.Timestamp, BlockHash: b.Hash,
				Index: uint32(i), Hash: hash(), Type: uint8(r.IntN(5)), From: addr(), Nonce: r.Uint64(),
				Value: big_(), Gas: r.Uint64(), GasPrice: big_(), MaxFeePerGas: big_(), MaxPriorityFee: big_(),
				MaxFeePerBlob: big_(), GasUsed: r.Uint64(), CumulativeGasUsed: r.Uint64(),
				EffectiveGasPrice: big_(), BlobGasPrice: big_(), V: big_(), R: big_(), S: big_(),
				YParity: uint8(r.IntN(2)), ChainID: big_()}
			if some() {
				to := addr()
				t.To = &to
			} else if some() {
				c := addr()
				t.ContractAddress = &c
			}
			if some() {
				t.Input = hash().Bytes()[:r.IntN(33)]
			}
			if some() {
				st := uint8(r.IntN(2))
				t.Status = &st
			}
			if some() {
				g := r.Uint64()
				t.BlobGasUsed = &g
				t.BlobHashes = []common.Hash{hash(), hash()}[:1+r.IntN(2)]
			}
			for range r.IntN(3) {
				t.AccessList = append(t.AccessList, indexer.AccessTuple{Address: addr(), StorageKeys: []common.Hash{hash(), hash(), hash()}[:r.IntN(4)]})
			}
			for range r.IntN(3) {
				t.Authorizations = append(t.Authorizations, indexer.Authorization{ChainID: big_(), Address: addr(),
					Nonce: r.Uint64(), YParity: uint8(r.IntN(2)), R: big_(), S: big_()})
			}
			for range r.IntN(4) {
				l := indexer.Log{BlockNumber: b.Number, BlockTimestamp: b.Timestamp, BlockHash: b.Hash,
					TxIndex: t.Index, TxHash: t.Hash, Index: uint32(len(b.Logs)), Address: addr()}
				for range r.IntN(5) {
					l.Topics = append(l.Topics, hash())
				}
				if some() {
					l.Data = hash().Bytes()[:r.IntN(33)]
				}
				b.Logs = append(b.Logs, l)
				t.LogCount++
			}
			b.Transactions = append(b.Transactions, t)
		}
		out = append(out, b)
	}
	return out
}

// rowWiseTransactions and rowWiseLogs are the row-wise fills the sink used
// before, the reference for the column-wise ones.
func rowWiseTransactions(b driver.Batch, blocks []*indexer.Block) (int, error) {
	n := 0
	for _, blk := range blocks {
		for i := range blk.Transactions {
			t := &blk.Transactions[i]
			alAddrs := make([][]byte, len(t.AccessList))
			alKeys := make([][][]byte, len(t.AccessList))
			for j, a := range t.AccessList {
				alAddrs[j] = a.Address.Bytes()
				alKeys[j] = hashes(a.StorageKeys)
			}
			na := len(t.Authorizations)
			authChain, authAddr := make([]*big.Int, na), make([][]byte, na)
			authNonce, authY := make([]uint64, na), make([]uint8, na)
			authR, authS := make([]*big.Int, na), make([]*big.Int, na)
			for j, a := range t.Authorizations {
				authChain[j], authAddr[j] = orZero(a.ChainID), a.Address.Bytes()
				authNonce[j], authY[j] = a.Nonce, a.YParity
				authR[j], authS[j] = orZero(a.R), orZero(a.S)
			}
			optAddr := func(a *common.Address) any {
				if a == nil {
					return nil
				}
				return a[:]
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

func rowWiseLogs(b driver.Batch, blocks []*indexer.Block) (int, error) {
	n := 0
	for _, blk := range blocks {
		for i := range blk.Logs {
			l := &blk.Logs[i]
			var topics [4]any
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
