package chdb_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/ethidx/ethidx/indexer/chdb/chdbtest"
)

// Streamed output must equal what the engine writes for the whole result
// at once, whatever the format: many blocks must read as one output.
func TestFormatsAcrossBlocks(t *testing.T) {
	e := chdbtest.Open(t)
	ctx := context.Background()
	const q = "SELECT number, toString(number) AS s, [number, 1] AS a FROM numbers(5000) SETTINGS max_block_size = "
	for _, f := range []string{
		"Native", "RowBinary", "RowBinaryWithNames", "RowBinaryWithNamesAndTypes", "TSV", "TabSeparatedWithNames",
		"TSVWithNamesAndTypes", "CSV", "CSVWithNames", "CSVWithNamesAndTypes", "JSONEachRow", "JSONCompactEachRow",
		"JSONCompactEachRowWithNamesAndTypes", "JSONStringsEachRow", "TSKV", "Values", "CustomSeparatedWithNames",
		"Markdown", "Parquet", "ArrowStream", "MsgPack",
	} {
		whole, err := e.Query(ctx, q+"100000", f, nil)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		parts, err := e.Query(ctx, q+"700", f, nil)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if f == "Native" {
			continue // block boundaries differ by design; clickhouse-go tests cover it
		}
		if f == "Parquet" || f == "ArrowStream" {
			// Row groups/batches differ with block size; one file/stream each.
			if bytes.Count(parts, []byte("PAR1")) > 2 || bytes.Count(parts, []byte{0xff, 0xff, 0xff, 0xff}) > 2*bytes.Count(whole, []byte{0xff, 0xff, 0xff, 0xff})+20 {
				t.Errorf("%s: output looks like several files", f)
			}
			continue
		}
		if !bytes.Equal(whole, parts) {
			t.Errorf("%s: %d-byte output across blocks differs from %d-byte single block", f, len(parts), len(whole))
		}
	}
	out, err := e.Query(ctx, q+"700", "XML", nil)
	if err != nil || bytes.Count(out, []byte("<?xml")) != 1 {
		t.Fatalf("XML across blocks: %v", err)
	}
	out, err = e.Query(ctx, q+"700 FORMAT JSON", "TSV", nil)
	var doc struct{ Rows int }
	if err != nil || json.Unmarshal(out, &doc) != nil || doc.Rows != 5000 {
		t.Fatalf("JSON across blocks: %v rows=%d %.200q", err, doc.Rows, out)
	}
}
