package indexer_test

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/chsink"
	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
	"github.com/ethidx/ethidx/indexer/devchain"
	"github.com/ethidx/ethidx/indexer/rpcsource"
)

// nodeFrame is go-ethereum's callTracer frame as the node sends it, read
// here with encoding/json, apart from the source's own decoding.
type nodeFrame struct {
	Type    string          `json:"type"`
	From    common.Address  `json:"from"`
	To      *common.Address `json:"to"`
	Value   *hexutil.Big    `json:"value"`
	Gas     hexutil.Uint64  `json:"gas"`
	GasUsed hexutil.Uint64  `json:"gasUsed"`
	Input   hexutil.Bytes   `json:"input"`
	Error   string          `json:"error"`
	Calls   []nodeFrame     `json:"calls"`
}

// flatten lists a frame tree as one line per frame, depth first, the way
// the traces table keys them: transaction, trace address, then the fields.
// Where the table holds NULL for a failed creation's address, so does this
// (the tracer may name the address it would have had).
func flatten(tx int, path []int, f nodeFrame, status uint8, out *[]string) {
	if f.Error != "" {
		status = 0
	}
	to := "-"
	if f.To != nil && !(strings.HasPrefix(f.Type, "CREATE") && f.Error != "") {
		to = strings.ToLower(f.To.Hex())
	}
	value := new(big.Int)
	if f.Value != nil {
		value = f.Value.ToInt()
	}
	sel := make([]byte, 4)
	copy(sel, f.Input)
	*out = append(*out, fmt.Sprintf("%d %v %s %s>%s %s gas=%d used=%d sel=%x size=%d err=%q status=%d", tx, path, f.Type,
		strings.ToLower(f.From.Hex()), to, value, uint64(f.Gas), uint64(f.GasUsed), sel, len(f.Input), f.Error, status))
	for i, c := range f.Calls {
		flatten(tx, append(append([]int{}, path...), i), c, status, out)
	}
}

// A dev chain loaded with traces stores, for every block, exactly the
// frames the node's own call tracer reports, with internal calls,
// creations by contracts and reverted inner calls among them; the block
// rows record the counts; the internal transfers make all_parties parties.
func TestTracesEqualTheNodesCallTracer(t *testing.T) {
	ctx := context.Background()
	cfg := devchain.Config{Seed: 21, MinTxs: 10, MaxTxs: 20, BlockInterval: 12 * time.Second,
		GenesisTime: time.Now().Add(-48 * time.Hour).Truncate(time.Hour)}
	const height = 60
	chain, _ := servedChain(t, cfg, height)
	addr, err := chain.ServeRPC(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	src, err := rpcsource.New(ctx, rpcsource.Options{URLs: []string{"http://" + addr}, Traces: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(src.Close)
	conn, _ := chsinktest.Conn(t)
	if _, err := indexer.Backfill(ctx, src, chsink.New(conn), indexer.BackfillOptions{
		Range: indexer.Range{From: 0, To: height}, BatchSize: 7}); err != nil {
		t.Fatal(err)
	}

	client, err := rpc.Dial("http://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	var want []string
	for n := uint64(0); n <= height; n++ {
		var res []struct {
			Result nodeFrame `json:"result"`
		}
		// Genesis has no transactions, and go-ethereum traces no genesis.
		if n > 0 {
			if err := client.CallContext(ctx, &res, "debug_traceBlockByNumber", hexutil.Uint64(n), map[string]string{"tracer": "callTracer"}); err != nil {
				t.Fatal(err)
			}
		}
		var frames []string
		for i, r := range res {
			flatten(i, []int{}, r.Result, 1, &frames)
		}
		for _, f := range frames {
			want = append(want, fmt.Sprintf("%d %s", n, f))
		}
		if c := chsinktest.Count(t, conn, "SELECT toUInt64(ifNull(trace_count, 999999)) FROM blocks FINAL WHERE number = ?", n); c != uint64(len(frames)) {
			t.Errorf("block %d: trace_count %d, node has %d frames", n, c, len(frames))
		}
	}
	rows, err := conn.Query(ctx, `SELECT concat(toString(block_number), ' ', toString(transaction_index), ' ',
		'[', arrayStringConcat(trace_address, ' '), '] ', call_type, ' ', from, '>', ifNull(to, '-'), ' ', toString(value_wei),
		' gas=', toString(gas), ' used=', toString(gas_used), ' sel=', substring(method_id, 3), ' size=', toString(input_size),
		' err=', '"', error, '"', ' status=', toString(status))
		FROM traces_hex ORDER BY block_number, transaction_index, frame`)
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
	if len(got) != len(want) {
		t.Fatalf("%d frames stored, the node's call tracer has %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("frame %d differs:\n stored %s\n   node %s", i, got[i], want[i])
		}
	}
	for sql, atLeast := range map[string]uint64{
		"SELECT count() FROM traces FINAL WHERE depth > 0":                                        1,
		"SELECT count() FROM internal_transfers":                                                  1,
		"SELECT count() FROM contracts_created_by_contracts":                                      1,
		"SELECT count() FROM traces FINAL WHERE depth > 0 AND error != ''":                        1,
		"SELECT count() FROM address_first_role WHERE role = 2":                                   1,
		"SELECT countIf(isNotNull(trace_count)) FROM blocks FINAL":                                height + 1,
		"SELECT count() FROM traces FINAL WHERE depth = 0 AND status = 0":                         1, // failed transactions
		"SELECT count() FROM traces FINAL WHERE call_type IN ('CREATE', 'CREATE2') AND depth = 0": 1,
	} {
		if got := chsinktest.Count(t, conn, sql); got < atLeast {
			t.Errorf("%s = %d, want at least %d", sql, got, atLeast)
		}
	}
}
