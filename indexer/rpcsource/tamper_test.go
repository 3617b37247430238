package rpcsource

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"testing"
)

// A tamperCase changes one field of a real block's JSON, keeping it well
// formed: what a lying node, a proxy or a decoder bug would produce.
type tamperCase struct {
	name       string
	check      string // the verification check that must catch it
	structural string // non-empty if the structural checks catch it too
	edit       func(b map[string]any, rs []any)
}

func bump(v any) string {
	n, _ := new(big.Int).SetString(strings.TrimPrefix(v.(string), "0x"), 16)
	return "0x" + n.Add(n, big.NewInt(1)).Text(16)
}

// flip changes the last hex digit of a data or hash string.
func flip(v any) string {
	s := v.(string)
	last := s[len(s)-1]
	repl := byte('0')
	if last == '0' {
		repl = '1'
	}
	return s[:len(s)-1] + string(repl)
}

// setBit sets one bit of a bloom's last byte that the byte has clear
// (every bloom of the fixture has most bits clear).
func setBit(v any) string {
	s := v.(string)
	last, _ := new(big.Int).SetString(s[len(s)-2:], 16)
	b := last.Uint64()
	for k := 0; k < 8; k++ {
		if b&(1<<k) == 0 {
			b |= 1 << k
			break
		}
	}
	return s[:len(s)-2] + fmt.Sprintf("%02x", b)
}

func firstReceiptWith(rs []any, ok func(r map[string]any) bool) map[string]any {
	for _, r := range rs {
		if m := r.(map[string]any); ok(m) {
			return m
		}
	}
	panic("no receipt matches")
}

func hasLogs(r map[string]any) bool { return len(r["logs"].([]any)) > 0 }

func firstLog(rs []any) map[string]any {
	return firstReceiptWith(rs, hasLogs)["logs"].([]any)[0].(map[string]any)
}

var tamperCases = []tamperCase{
	{name: "transaction value", check: "transaction hash", edit: func(b map[string]any, _ []any) {
		tx := b["transactions"].([]any)[3].(map[string]any)
		tx["value"] = bump(tx["value"])
	}},
	{name: "transaction gas limit", check: "transaction hash", edit: func(b map[string]any, _ []any) {
		tx := b["transactions"].([]any)[5].(map[string]any)
		tx["gas"] = bump(tx["gas"])
	}},
	{name: "log data byte", check: "receiptsRoot", edit: func(_ map[string]any, rs []any) {
		l := firstLog(rs)
		l["data"] = flip(l["data"])
	}},
	{name: "log topic", check: "logsBloom", edit: func(_ map[string]any, rs []any) {
		l := firstLog(rs)
		topics := l["topics"].([]any)
		topics[len(topics)-1] = flip(topics[len(topics)-1])
	}},
	{name: "log address", check: "logsBloom", edit: func(_ map[string]any, rs []any) {
		l := firstLog(rs)
		l["address"] = flip(l["address"])
	}},
	{name: "receipt bloom, header kept", check: "logsBloom", edit: func(_ map[string]any, rs []any) {
		r := firstReceiptWith(rs, hasLogs)
		r["logsBloom"] = flip(r["logsBloom"])
	}},
	{name: "receipt bloom and header bloom together", check: "logsBloom", edit: func(b map[string]any, rs []any) {
		// The union still holds, so only the receipts root, and then the
		// bloom of the receipt's own logs, can tell.
		r := firstReceiptWith(rs, hasLogs)
		r["logsBloom"] = setBit(r["logsBloom"])
		b["logsBloom"] = setBit(b["logsBloom"])
	}},
	{name: "receipt status", check: "receiptsRoot", edit: func(_ map[string]any, rs []any) {
		r := firstReceiptWith(rs, func(r map[string]any) bool { return r["status"] == "0x1" })
		r["status"] = "0x0"
	}},
	{name: "receipt effective gas price", check: "effectiveGasPrice", edit: func(_ map[string]any, rs []any) {
		r := rs[2].(map[string]any)
		r["effectiveGasPrice"] = bump(r["effectiveGasPrice"])
	}},
	{name: "receipt gas used, cumulative kept consistent", check: "receiptsRoot", edit: func(b map[string]any, rs []any) {
		// Every later cumulative figure and the block's gasUsed move too,
		// so only the roots can tell.
		for i, r := range rs {
			m := r.(map[string]any)
			if i == 4 {
				m["gasUsed"] = bump(m["gasUsed"])
			}
			if i >= 4 {
				m["cumulativeGasUsed"] = bump(m["cumulativeGasUsed"])
			}
		}
		b["gasUsed"] = bump(b["gasUsed"])
	}},
	{name: "withdrawal amount", check: "withdrawalsRoot", edit: func(b map[string]any, _ []any) {
		w := b["withdrawals"].([]any)[7].(map[string]any)
		w["amount"] = bump(w["amount"])
	}},
	{name: "header timestamp", check: "block hash", edit: func(b map[string]any, _ []any) {
		b["timestamp"] = bump(b["timestamp"])
	}},
	{name: "header miner", check: "block hash", edit: func(b map[string]any, _ []any) {
		b["miner"] = flip(b["miner"])
	}},
	{name: "header base fee", check: "block hash", edit: func(b map[string]any, _ []any) {
		b["baseFeePerGas"] = bump(b["baseFeePerGas"])
	}},
	{name: "header excess blob gas", check: "block hash", edit: func(b map[string]any, _ []any) {
		b["excessBlobGas"] = bump(b["excessBlobGas"])
	}},
}

// tamper applies a case to a copy of the fixture's JSON.
func tamper(t testing.TB, f fixture, c tamperCase) (block, receipts []byte) {
	t.Helper()
	var b map[string]any
	var rs []any
	if err := json.Unmarshal(f.block, &b); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(f.receipts, &rs); err != nil {
		t.Fatal(err)
	}
	c.edit(b, rs)
	block, err := json.Marshal(b)
	if err == nil {
		receipts, err = json.Marshal(rs)
	}
	if err != nil {
		t.Fatal(fmt.Errorf("%s: %w", c.name, err))
	}
	return block, receipts
}
