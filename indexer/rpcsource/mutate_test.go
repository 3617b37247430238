package rpcsource

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ethidx/ethidx/indexer"
)

// unverifiable are the stored fields no header commits to and no other
// field derives: a node that leaves one out leaves that column empty, and
// nothing else may change.
var unverifiable = map[string]func(b *indexer.Block, i int){
	"size":         func(b *indexer.Block, _ int) { b.Size = 0 },
	"blobGasPrice": func(b *indexer.Block, i int) { b.Transactions[i].BlobGasPrice = nil },
}

// A path is one field of a block's JSON: in the block ("", key) or in
// receipt i, or in an element of a list of either.
type jsonPath struct {
	receipts bool
	steps    []any // string keys and int indexes, from the document's root
}

func (p jsonPath) String() string {
	doc := "block"
	if p.receipts {
		doc = "receipts"
	}
	return fmt.Sprintf("%s%v", doc, p.steps)
}

func (p jsonPath) key() string { return p.steps[len(p.steps)-1].(string) }

// receipt is the receipt (or transaction) index the path is under, or -1.
func (p jsonPath) receipt() int {
	for k, s := range p.steps {
		if (k > 0 && p.steps[k-1] == "transactions") || (p.receipts && k == 0) {
			if i, ok := s.(int); ok {
				return i
			}
		}
	}
	return -1
}

// fieldPaths lists every object field, descending into at most a few
// elements of each list (the first two, and the first transaction of each
// type), so a 300-transaction block stays a few hundred paths.
func fieldPaths(v any, prefix []any, keep func(list string, i int) bool, out *[]jsonPath, receipts bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := append(append([]any{}, prefix...), k)
			*out = append(*out, jsonPath{receipts, p})
			fieldPaths(e, p, keep, out, receipts)
		}
	case []any:
		list := ""
		if len(prefix) > 0 {
			list, _ = prefix[len(prefix)-1].(string)
		}
		for i, e := range x {
			if keep(list, i) {
				fieldPaths(e, append(append([]any{}, prefix...), i), keep, out, receipts)
			}
		}
	}
}

// edit returns a copy of the document with f applied to the object that
// holds the path's last key.
func edit(doc any, p jsonPath, f func(obj map[string]any, key string)) any {
	c := clone(doc)
	var cur = c
	for _, s := range p.steps[:len(p.steps)-1] {
		switch k := s.(type) {
		case string:
			cur = cur.(map[string]any)[k]
		case int:
			cur = cur.([]any)[k]
		}
	}
	f(cur.(map[string]any), p.key())
	return c
}

func clone(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = clone(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = clone(e)
		}
		return l
	}
	return v
}

func parseDoc(t *testing.T, raw []byte) any {
	var v any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func encodeDoc(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Each field of real blocks of every era, removed, set to null, or given
// an unknown sibling: the decoder, verifying, returns the same rows or a
// block error, never a panic and never a silently different value. A
// removed field and a null one mean the same. Unknown fields change
// nothing at any depth.
func TestFieldMutations(t *testing.T) {
	pick := map[uint64]bool{468179: true, 1000010: true, 4370006: true, 13998626: true, 15537393: true,
		17053184: true, 19433903: true, 22431084: true, 22869878: true}
	extra := map[string]any{"zzUnknown": map[string]any{"nested": []any{json.Number("1"), "0xzz", nil, map[string]any{"deep": true}}}}
	tested := 0
	for _, f := range loadFixtures(t) {
		if !pick[f.number] {
			continue
		}
		base, err := DecodeBlock(f.block, f.receipts, ProofRoots)
		if err != nil {
			t.Fatal(err)
		}
		baseRows := rowsJSON(t, base)
		// The transactions worth descending into: the first two and the
		// first of each type.
		keepTx := map[int]bool{0: true, 1: true}
		seen := map[uint8]bool{}
		for i, tx := range base.Transactions {
			if !seen[tx.Type] {
				seen[tx.Type], keepTx[i] = true, true
			}
		}
		keep := func(list string, i int) bool {
			switch list {
			case "transactions", "":
				return keepTx[i]
			}
			return i < 2
		}
		blockDoc, rcptDoc := parseDoc(t, f.block), parseDoc(t, f.receipts)
		var paths []jsonPath
		fieldPaths(blockDoc, nil, keep, &paths, false)
		fieldPaths(rcptDoc, nil, keep, &paths, true)

		decode := func(p jsonPath, doc any) (*indexer.Block, error) {
			blk, rec := f.block, f.receipts
			if p.receipts {
				rec = encodeDoc(t, doc)
			} else {
				blk = encodeDoc(t, doc)
			}
			return DecodeBlock(blk, rec, ProofRoots)
		}
		for _, p := range paths {
			doc := blockDoc
			if p.receipts {
				doc = rcptDoc
			}
			removed, errRemoved := decode(p, edit(doc, p, func(o map[string]any, k string) { delete(o, k) }))
			nulled, errNulled := decode(p, edit(doc, p, func(o map[string]any, k string) { o[k] = nil }))
			added, errAdded := decode(p, edit(doc, p, func(o map[string]any, _ string) {
				for k, v := range extra {
					o[k] = clone(v)
				}
			}))
			if errAdded != nil || rowsJSON(t, added) != baseRows {
				t.Errorf("block %d, unknown field beside %s: %v", f.number, p, errAdded)
			}
			if (errRemoved == nil) != (errNulled == nil) || errRemoved != nil && reason(errRemoved) != reason(errNulled) {
				t.Errorf("block %d, %s: removed gives %v, null gives %v", f.number, p, errRemoved, errNulled)
				continue
			}
			if errRemoved != nil {
				var be *indexer.BlockError
				if !errors.As(errRemoved, &be) || be.Reason == "" || be.Number != base.Number && p.String() != "block[number]" {
					t.Errorf("block %d, %s removed: %v is not a block error naming the block", f.number, p, errRemoved)
				}
				continue
			}
			if rowsJSON(t, removed) != rowsJSON(t, nulled) {
				t.Errorf("block %d, %s: removed and null give different rows", f.number, p)
			}
			if blank, ok := unverifiable[p.key()]; ok && len(p.steps) <= 2 {
				blank(base, max(p.receipt(), 0))
				want := rowsJSON(t, base)
				base, _ = DecodeBlock(f.block, f.receipts, ProofRoots)
				if rowsJSON(t, removed) != want {
					t.Errorf("block %d, %s removed: more than its own column changed", f.number, p)
				}
				continue
			}
			if rowsJSON(t, removed) != baseRows {
				t.Errorf("block %d, %s removed: accepted with different rows", f.number, p)
			}
			tested++
		}
	}
	if tested < 100 {
		t.Fatalf("only %d fields could be left out without an error: the test lost its reach", tested)
	}
}

// reason is a block error's reason without the offset a syntax error
// carries (the same field removed or null sits at another offset).
func reason(err error) string {
	var be *indexer.BlockError
	if !errors.As(err, &be) {
		return err.Error()
	}
	r := be.Reason
	if i := strings.Index(r, "offset "); i >= 0 {
		if j := strings.Index(r[i:], ": "); j >= 0 {
			r = r[:i] + r[i+j+2:]
		}
	}
	return r
}

func rowsJSON(t *testing.T, b *indexer.Block) string {
	if b == nil {
		return "nil"
	}
	j, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(j)
}
