package rpcsource

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/internal/anvil"
)

// deployCode is init code that deploys runtime (at most 255 bytes).
func deployCode(runtime []byte) []byte {
	return append([]byte{0x60, byte(len(runtime)), 0x80, 0x60, 0x0b, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3}, runtime...)
}

var (
	// callerRuntime CALLs the address in its first calldata word with the
	// call's value, ignoring the outcome, then CREATEs an empty contract.
	callerRuntime = []byte{
		0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0x60, 0x00, // ret size, ret offset, args size, args offset
		0x34,             // CALLVALUE
		0x60, 0x00, 0x35, // PUSH1 0 CALLDATALOAD: the target
		0x5a, 0xf1, 0x50, // GAS CALL POP
		0x60, 0x00, 0x60, 0x00, 0x60, 0x00, 0xf0, 0x50, // CREATE(0, 0, 0) POP
		0x00, // STOP
	}
	// reverterRuntime always reverts.
	reverterRuntime = []byte{0x60, 0x00, 0x80, 0xfd}
)

// Against anvil, a real third-party node serving both trace methods, the
// source takes debug_traceBlockByHash by default and trace_block when
// forced to, and both give the same frames for traffic with creations,
// internal value transfers, a reverted inner call and a failed
// transaction.
func TestTracesAnvil(t *testing.T) {
	url, c := anvil.Start(t)
	var accounts []common.Address
	if err := c.Call(&accounts, "eth_accounts"); err != nil || len(accounts) < 2 {
		t.Fatalf("eth_accounts: %v %v", accounts, err)
	}
	send := func(tx map[string]any) common.Hash {
		t.Helper()
		tx["from"] = accounts[0]
		if tx["gas"] == nil {
			tx["gas"] = hexutil.Uint64(300_000)
		}
		var h common.Hash
		if err := c.Call(&h, "eth_sendTransaction", tx); err != nil {
			t.Fatal(err)
		}
		return h
	}
	receipt := func(h common.Hash) map[string]any { return anvil.Receipt(t, c, h) }
	caller := common.HexToAddress(receipt(send(map[string]any{"data": hexutil.Bytes(deployCode(callerRuntime))}))["contractAddress"].(string))
	reverter := common.HexToAddress(receipt(send(map[string]any{"data": hexutil.Bytes(deployCode(reverterRuntime))}))["contractAddress"].(string))
	word := func(a common.Address) hexutil.Bytes { return common.LeftPadBytes(a[:], 32) }
	fresh := common.HexToAddress("0x00000000000000000000000000000000c0ffee01")
	send(map[string]any{"to": caller, "value": hexutil.Uint64(12345), "data": word(fresh)})
	send(map[string]any{"to": caller, "data": word(reverter)})
	send(map[string]any{"to": accounts[1], "value": hexutil.Uint64(1)})
	failed := send(map[string]any{"to": reverter, "gas": hexutil.Uint64(50_000)})
	if receipt(failed)["status"] != "0x0" {
		t.Fatal("the call to the reverter did not fail")
	}
	var head hexutil.Uint64
	if err := c.Call(&head, "eth_blockNumber"); err != nil {
		t.Fatal(err)
	}

	fetch := func(method string) []*indexer.Block {
		t.Helper()
		opts := quick(url)
		opts.Traces, opts.traceMethod = true, method
		src := open(t, opts)
		bs, err := src.Blocks(context.Background(), 1, uint64(head))
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		return bs
	}
	byHash, flat := fetch(methodDebugTrace), fetch(methodParityTrace)
	tamperedParity(t, url, uint64(head))

	// What both methods report alike: gas figures and error wording are
	// each client's own (trace_block's top-level gas leaves out the
	// intrinsic gas; "Reverted" against "execution reverted").
	same := func(tr *indexer.Trace) string {
		return fmt.Sprintf("block %d tx %d (%s) frame %d %v %s %s->%s value %s sel %x size %d failed %v",
			tr.BlockNumber, tr.TxIndex, tr.TxHash, tr.Frame, tr.TraceAddress, tr.CallType, tr.From, addrString(tr.To),
			tr.Value, tr.Selector, tr.InputSize, tr.Error != "")
	}
	var all []string
	for i := range byHash {
		a, b := byHash[i].Traces, flat[i].Traces
		if len(a) != len(b) {
			t.Fatalf("block %d: %d frames by debug_traceBlockByHash, %d by trace_block", byHash[i].Number, len(a), len(b))
		}
		for k := range a {
			if same(&a[k]) != same(&b[k]) {
				t.Errorf("frame %d differs:\n debug_traceBlockByHash %s\n trace_block            %s", k, same(&a[k]), same(&b[k]))
			}
			all = append(all, same(&a[k]))
		}
	}
	got := strings.Join(all, "\n")
	t.Logf("anvil's frames:\n%s", got)
	for _, want := range []string{
		fmt.Sprintf("[0] CALL %s->%s value 12345", caller.Hex(), fresh.Hex()),
		fmt.Sprintf("[0] CALL %s->%s value 0 sel 00000000 size 0 failed true", caller.Hex(), reverter.Hex()),
		fmt.Sprintf("[1] CREATE %s->", caller.Hex()),
		fmt.Sprintf("[] CALL %s->%s value 0 sel 00000000 size 0 failed true", accounts[0].Hex(), reverter.Hex()),
		fmt.Sprintf("[] CREATE %s->%s", accounts[0].Hex(), caller.Hex()),
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no frame %q", want)
		}
	}
}

// tamperedParity checks trace_block answers that lie are refused: an entry
// of another block, a frame whose path has no parent, a transaction left
// out; and that reward entries, which belong to no transaction, are
// skipped.
func tamperedParity(t *testing.T, url string, head uint64) {
	entry := func(res []any, i int) map[string]any { return res[i].(map[string]any) }
	cases := []struct {
		name   string
		edit   func(res []any) any
		reason string // "" if the answer is fine
	}{
		{"reward entry", func(res []any) any {
			r := map[string]any{"type": "reward", "blockHash": entry(res, 0)["blockHash"], "blockNumber": entry(res, 0)["blockNumber"],
				"action":       map[string]any{"author": "0x00000000000000000000000000000000000000aa", "rewardType": "block", "value": "0x1"},
				"traceAddress": []any{}, "subtraces": 0}
			return append(res, r)
		}, ""},
		{"another block's hash", func(res []any) any {
			entry(res, 0)["blockHash"] = "0x" + strings.Repeat("ab", 32)
			return res
		}, "says block hash"},
		{"orphan path", func(res []any) any {
			for i := range res {
				if p := entry(res, i)["traceAddress"].([]any); len(p) > 0 {
					entry(res, i)["traceAddress"] = []any{7.0}
					return res
				}
			}
			return res
		}, "does not follow its parent"},
		{"transaction left out", func(res []any) any {
			entry(res, 0)["transactionPosition"] = 1.0
			return res
		}, "position"},
		{"top-level value", func(res []any) any {
			entry(res, 0)["action"].(map[string]any)["value"] = "0x7"
			return res
		}, "wei, the transaction"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hs := httptest.NewServer(&traceProxy{upstream: url, method: methodParityTrace, edit: c.edit})
			defer hs.Close()
			opts := quick(hs.URL)
			opts.Traces, opts.traceMethod, opts.MaxRetries = true, methodParityTrace, 1
			src := open(t, opts)
			// Block 4: a call whose inner call reverts, then a creation.
			bs, err := src.Blocks(context.Background(), 4, 4)
			if c.reason == "" {
				if err != nil || len(bs[0].Traces) != 3 {
					t.Fatalf("want 3 frames, got %v", err)
				}
				return
			}
			mustBlockError(t, err, 4, c.reason)
		})
	}
}
