package chdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
)

// The streaming query API hands out the output one block at a time, and
// each block is written as a complete output of its own: JSON opens and
// closes a document per block, TSVWithNames repeats its header, Parquet
// writes a whole file. So only some formats can be streamed: those whose
// blocks concatenate (Native, RowBinary, TSV, CSV, JSONEachRow, ...), and
// those whose repeated header can be cut off every block after the first.
// Every other format is run unstreamed, and the engine buffers its output.

// outputMode says how to stream a format.
type outputMode struct {
	stream    bool
	skipLines int // text header lines to drop from each block after the first
	skipNames int // RowBinaryWithNames: 1 list of names; ...AndTypes: 2 lists
}

var concatFormats = map[string]bool{
	"native": true, "rowbinary": true, "tabseparated": true, "tsv": true, "tabseparatedraw": true,
	"tsvraw": true, "csv": true, "jsoneachrow": true, "jsonlines": true, "ndjson": true,
	"jsonstringseachrow": true, "jsoncompacteachrow": true, "jsoncompactstringseachrow": true,
	"tskv": true, "lineasstring": true, "rawblob": true, "null": true, "msgpack": true, "bsoneachrow": true,
}

func outputModeFor(format string) outputMode {
	f := strings.ToLower(format)
	if concatFormats[f] {
		return outputMode{stream: true}
	}
	base, lines := f, 0
	switch {
	case strings.HasSuffix(f, "withnamesandtypes"):
		base, lines = strings.TrimSuffix(f, "withnamesandtypes"), 2
	case strings.HasSuffix(f, "withnames"):
		base, lines = strings.TrimSuffix(f, "withnames"), 1
	}
	switch {
	case lines == 0:
		return outputMode{}
	case base == "rowbinary":
		return outputMode{stream: true, skipNames: lines}
	case base == "csv" || concatFormats[base] && base != "rowbinary" && base != "native":
		return outputMode{stream: true, skipLines: lines}
	}
	return outputMode{}
}

var errHeader = errors.New("cannot find the repeated header in a streamed block")

// stripHeader cuts the header that a block after the first repeats.
func (m outputMode) stripHeader(b []byte) ([]byte, error) {
	for range m.skipLines {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return nil, errHeader
		}
		b = b[i+1:]
	}
	if m.skipNames > 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)) {
			return nil, errHeader
		}
		b = b[k:]
		for range uint64(m.skipNames) * n {
			l, k := binary.Uvarint(b)
			if k <= 0 || l > uint64(len(b)-k) {
				return nil, errHeader
			}
			b = b[k+int(l):]
		}
	}
	return b, nil
}
