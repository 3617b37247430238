package indexer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/chsink"
	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
	"github.com/ethidx/ethidx/indexer/replay"
	"github.com/ethidx/ethidx/indexer/rpcsource"
	"github.com/ethidx/ethidx/internal/fixtures"
)

func bumpHex(v any) string {
	n, _ := new(big.Int).SetString(strings.TrimPrefix(v.(string), "0x"), 16)
	return "0x" + n.Add(n, big.NewInt(1)).Text(16)
}

// flipHex changes a data or hash string's last digit.
func flipHex(v any) string {
	s := v.(string)
	if s[len(s)-1] == '0' {
		return s[:len(s)-1] + "1"
	}
	return s[:len(s)-1] + "0"
}

func logOf(rs []any) map[string]any {
	for _, r := range rs {
		if logs := r.(map[string]any)["logs"].([]any); len(logs) > 0 {
			return logs[0].(map[string]any)
		}
	}
	panic("no log")
}

// A real block with one field changed, served by a node, is refused with
// an error naming the block, the check and the node, and not one row of it
// is stored; the same block unchanged loads.
func TestChangedFixtureIsRefused(t *testing.T) {
	const num = 19433903 // Dencun: type-3 transactions, logs, withdrawals
	dir := fixtures.Block(t, fixtures.Mainnet, num)
	blockJSON := fixtures.MustRead(t, filepath.Join(dir, "block.json"))
	receiptsJSON := fixtures.MustRead(t, filepath.Join(dir, "receipts.json"))
	cases := []struct {
		name, check string
		edit        func(b map[string]any, rs []any)
	}{
		{"a transaction value", "transaction hash", func(b map[string]any, _ []any) {
			tx := b["transactions"].([]any)[3].(map[string]any)
			tx["value"] = bumpHex(tx["value"])
		}},
		{"a log data byte", "receiptsRoot", func(_ map[string]any, rs []any) {
			l := logOf(rs)
			l["data"] = flipHex(l["data"])
		}},
		{"a topic", "logsBloom", func(_ map[string]any, rs []any) {
			ts := logOf(rs)["topics"].([]any)
			ts[0] = flipHex(ts[0])
		}},
		{"a status", "receiptsRoot", func(_ map[string]any, rs []any) {
			for _, r := range rs {
				if m := r.(map[string]any); m["status"] == "0x1" {
					m["status"] = "0x0"
					return
				}
			}
		}},
		{"a gas figure", "effectiveGasPrice", func(_ map[string]any, rs []any) {
			r := rs[1].(map[string]any)
			r["effectiveGasPrice"] = bumpHex(r["effectiveGasPrice"])
		}},
		{"a withdrawal amount", "withdrawalsRoot", func(b map[string]any, _ []any) {
			w := b["withdrawals"].([]any)[0].(map[string]any)
			w["amount"] = bumpHex(w["amount"])
		}},
		{"a header field", "block hash", func(b map[string]any, _ []any) {
			b["gasLimit"] = bumpHex(b["gasLimit"])
		}},
	}
	conn, _ := chsinktest.Conn(t)
	sink := chsink.New(conn)
	ctx := context.Background()
	load := func(block, receipts []byte) error {
		srv := replay.New(replay.Options{})
		if err := srv.AddBlock(block, receipts); err != nil {
			t.Fatal(err)
		}
		url, stop, err := srv.Start("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		src, err := rpcsource.New(ctx, rpcsource.Options{URLs: []string{url}, MaxRetries: 1, RetryBase: 1, RetryMax: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		_, err = indexer.Backfill(ctx, src, sink, indexer.BackfillOptions{Range: indexer.Range{From: num, To: num}})
		return err
	}
	stored := func() string {
		rows := query(t, conn, fmt.Sprintf(`SELECT toString((SELECT count() FROM blocks WHERE number = %[1]d)),
			toString((SELECT count() FROM transactions WHERE block_number = %[1]d)),
			toString((SELECT count() FROM logs WHERE block_number = %[1]d)),
			toString((SELECT count() FROM withdrawals WHERE block_number = %[1]d))`, num))
		return strings.Join(rows[0], " ")
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b map[string]any
			var rs []any
			if err := json.Unmarshal(blockJSON, &b); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(receiptsJSON, &rs); err != nil {
				t.Fatal(err)
			}
			c.edit(b, rs)
			nb, _ := json.Marshal(b)
			nr, _ := json.Marshal(rs)
			err := load(nb, nr)
			var be *indexer.BlockError
			if !errors.As(err, &be) || be.Number != num || !strings.Contains(be.Reason, c.check) || !strings.Contains(err.Error(), "node http://127.0.0.1:") {
				t.Fatalf("got %v; want block %d refused by the %s check, naming the node", err, num, c.check)
			}
			if got := stored(); got != "0 0 0 0" {
				t.Fatalf("rows of block %d stored (blocks, txs, logs, withdrawals): %s", num, got)
			}
		})
	}
	// The test would pass on a sink that stores nothing: the true block loads.
	if err := load(blockJSON, receiptsJSON); err != nil {
		t.Fatal(err)
	}
	if got := stored(); got != "1 172 265 16" {
		t.Fatalf("the unchanged block stored %s (blocks, txs, logs, withdrawals), want 1 172 265 16", got)
	}
}
