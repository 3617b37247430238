package chsink_test

import (
	"context"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/chsink"
	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
	"github.com/ethidx/ethidx/store/inspect"
)

// tracedBlock is chsinktest.Blocks' block with call frames for its first
// transaction: a call tree whose second branch reverts, so a frame that
// succeeded below it does not stand.
//
//	[]      CALL   1 → to            (the transaction)
//	[0]     CALL   to → 0xa1, 5 wei  internal transfer: parties
//	[1]     CREATE to → 0xa2, 7 wei  contract created by a contract
//	[2]     CALL   to → 0xa3         reverted
//	[2 0]   CALL   0xa3 → 0xa4, 9    succeeded, but its parent reverted
//	[3]     DELEGATECALL to → 0xa5, 3 wei: moves nothing
//	[4]     CALL   to → 0x00…, 1 wei  the zero address is no party
//	[5]     CREATE to → NULL         a failed creation: no address
func tracedBlock(num uint64) *indexer.Block {
	b := chsinktest.Blocks(num, 1, 0)[0]
	tx := b.Transactions[0]
	addr := func(x byte) *common.Address { a := common.Address{0xa0 | x}; return &a }
	zero := common.Address{}
	frames := []struct {
		path  []uint32
		typ   string
		from  common.Address
		to    *common.Address
		value int64
		err   string
	}{
		{nil, "CALL", tx.From, tx.To, 0, ""},
		{[]uint32{0}, "CALL", *tx.To, addr(1), 5, ""},
		{[]uint32{1}, "CREATE", *tx.To, addr(2), 7, ""},
		{[]uint32{2}, "CALL", *tx.To, addr(3), 0, "execution reverted"},
		{[]uint32{2, 0}, "CALL", *addr(3), addr(4), 9, ""},
		{[]uint32{3}, "DELEGATECALL", *tx.To, addr(5), 3, ""},
		{[]uint32{4}, "CALL", *tx.To, &zero, 1, ""},
		{[]uint32{5}, "CREATE", *tx.To, nil, 0, "out of gas"},
	}
	b.Traced = true
	for i, f := range frames {
		b.Traces = append(b.Traces, indexer.Trace{BlockNumber: num, BlockTimestamp: b.Timestamp, TxIndex: 0, TxHash: tx.Hash,
			Frame: uint32(i), TraceAddress: f.path, CallType: f.typ, From: f.from, To: f.to, Value: big.NewInt(f.value),
			Gas: 100000, GasUsed: 21000, Selector: [4]byte{0xa9, 0x05, 0x9c, 0xbb}, InputSize: 68, Error: f.err})
	}
	return b
}

// Frames are stored as the node reported them, with status saying whose
// effects stand; the views list internal transfers and contract-created
// contracts; internal transfers make all_parties parties (role 2) and
// nothing else; the block row records its frames, and a rewind removes
// them with the block.
func TestTracesStoredAndDerived(t *testing.T) {
	ctx := context.Background()
	conn, _ := chsinktest.Conn(t)
	sink := chsink.New(conn)
	plain := chsinktest.Blocks(99, 1, 0)[0] // loaded without traces
	if err := sink.Write(ctx, []*indexer.Block{plain, tracedBlock(100)}); err != nil {
		t.Fatal(err)
	}
	if err := sink.MarkDone(ctx, indexer.Range{From: 99, To: 100}); err != nil {
		t.Fatal(err)
	}
	for sql, want := range map[string]uint64{
		"SELECT count() FROM traces FINAL":                                               8,
		"SELECT count() FROM traces FINAL WHERE isNull(to)":                              1,
		"SELECT count() FROM traces FINAL WHERE status = 1":                              5,
		"SELECT count() FROM traces FINAL WHERE depth = 2 AND status = 0":                1,
		"SELECT count() FROM blocks FINAL WHERE isNull(trace_count)":                     1,
		"SELECT sum(trace_count) FROM blocks FINAL":                                      8,
		"SELECT traces FROM range_ledger FINAL":                                          8,
		"SELECT count() FROM internal_transfers":                                         3,
		"SELECT toUInt64(sum(value_wei)) FROM internal_transfers":                        5 + 7 + 1,
		"SELECT count() FROM contracts_created_by_contracts WHERE contract LIKE '0xa2%'": 1,
		"SELECT count() FROM traces_hex WHERE method_id = '0xa9059cbb'":                  8,
		// parties: the contract (tx.To), 0xa1 and 0xa2; not 0xa3/0xa4
		// (reverted), 0xa5 (delegatecall) or the zero address.
		"SELECT count() FROM address_first_role WHERE role = 2":                                                                    3,
		"SELECT count() FROM address_activity WHERE is_sender = 2 AND address = unhex('a100000000000000000000000000000000000000')": 1,
	} {
		if got := chsinktest.Count(t, conn, sql); got != want {
			t.Errorf("%s = %d, want %d", sql, got, want)
		}
	}
	audit, err := inspect.Audit(ctx, conn, 99, 100)
	if err != nil {
		t.Fatal(err)
	}
	if a := audit[100]; a.TraceCount == nil || *a.TraceCount != 8 || a.TraceRows != 8 {
		t.Errorf("audit of the traced block: %+v", a)
	}
	if a := audit[99]; a.TraceCount != nil || a.TraceRows != 0 {
		t.Errorf("audit of the untraced block: %+v", a)
	}

	// The derived parties come back the same from the stored frames.
	before := chsinktest.Snapshot(t, conn)
	if err := sink.RebuildDerived(ctx, 0); err != nil {
		t.Fatal(err)
	}
	chsinktest.Same(t, "after rebuild", chsinktest.Snapshot(t, conn), before)

	if err := sink.Rewind(ctx, 100); err != nil {
		t.Fatal(err)
	}
	for sql, want := range map[string]uint64{
		"SELECT count() FROM traces":                            0,
		"SELECT count() FROM address_first_role WHERE role = 2": 0,
	} {
		if got := chsinktest.Count(t, conn, sql); got != want {
			t.Errorf("after rewind: %s = %d, want %d", sql, got, want)
		}
	}
}
