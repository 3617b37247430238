package queries

import (
	"bufio"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"
)

// Rows arrive typed from clickhouse-go and are rendered here, rather than
// asking the server for a format, so the output is the same whichever
// protocol (native TCP or HTTP) and server the connection uses.

var renderers = map[string]func(io.Writer, *scanner) error{
	"table": renderTable,
	"csv":   renderCSV,
	"tsv":   renderTSV,
	"json":  renderJSON,
}

// cell is one value rendered for every format.
type cell struct {
	text string // CSV, TSV and table text
	json string // JSON literal
	null bool
	num  bool // right-aligned in a table
}

// scanner reads rows into cells.
type scanner struct {
	rows  driver.Rows
	names []string
	types []string
	dest  []any
}

// newScanner reads rows; names stands in for the column names when the
// result carries none (an empty result over HTTP).
func newScanner(rows driver.Rows, names []string) *scanner {
	s := &scanner{rows: rows}
	for _, ct := range rows.ColumnTypes() {
		s.names = append(s.names, ct.Name())
		s.types = append(s.types, ct.DatabaseTypeName())
		s.dest = append(s.dest, reflect.New(ct.ScanType()).Interface())
	}
	if len(s.names) == 0 {
		s.names = names
	}
	return s
}

// next returns the next row, or nil at the end (check rows.Err).
func (s *scanner) next() ([]cell, error) {
	if !s.rows.Next() {
		return nil, s.rows.Err()
	}
	if err := s.rows.Scan(s.dest...); err != nil {
		return nil, fmt.Errorf("reading row: %w", err)
	}
	out := make([]cell, len(s.dest))
	for i, d := range s.dest {
		out[i] = format(reflect.ValueOf(d).Elem(), s.types[i])
	}
	return out, nil
}

func format(v reflect.Value, dbType string) cell {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return cell{text: "NULL", json: "null", null: true}
		}
		v = v.Elem()
	}
	switch x := v.Interface().(type) {
	case time.Time:
		var s string
		switch base := strings.TrimPrefix(dbType, "Nullable("); {
		case strings.HasPrefix(base, "DateTime64"):
			s = x.UTC().Format("2006-01-02 15:04:05.999999999")
		case strings.HasPrefix(base, "DateTime"):
			s = x.UTC().Format(time.DateTime)
		default:
			s = x.Format(time.DateOnly)
		}
		return cell{text: s, json: strconv.Quote(s)}
	case big.Int:
		// Exact wei amounts exceed float64; JSON carries them as strings.
		return cell{text: x.String(), json: strconv.Quote(x.String()), num: true}
	case decimal.Decimal:
		return cell{text: x.String(), json: x.String(), num: true}
	case string:
		if !utf8.ValidString(x) {
			x = "0x" + hex.EncodeToString([]byte(x))
		}
		b, _ := json.Marshal(x)
		return cell{text: x, json: string(b)}
	case bool:
		s := strconv.FormatBool(x)
		return cell{text: s, json: s}
	}
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		s := strconv.FormatInt(v.Int(), 10)
		return cell{text: s, json: s, num: true}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		s := strconv.FormatUint(v.Uint(), 10)
		return cell{text: s, json: s, num: true}
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return cell{text: strconv.FormatFloat(f, 'f', -1, 64), json: "null", num: true}
		}
		s := strconv.FormatFloat(f, 'f', -1, 64)
		return cell{text: s, json: s, num: true}
	}
	b, err := json.Marshal(v.Interface())
	if err != nil {
		s := fmt.Sprint(v.Interface())
		return cell{text: s, json: strconv.Quote(s)}
	}
	return cell{text: string(b), json: string(b)}
}

func renderCSV(w io.Writer, s *scanner) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(s.names); err != nil {
		return err
	}
	rec := make([]string, len(s.names))
	for {
		row, err := s.next()
		if err != nil || row == nil {
			cw.Flush()
			if err == nil {
				err = cw.Error()
			}
			return err
		}
		for i, c := range row {
			rec[i] = c.text
			if c.null {
				rec[i] = "" // what spreadsheets read as empty
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
}

// tsvEscape escapes like ClickHouse's TabSeparated, so the output loads
// back with FORMAT TSVWithNames.
var tsvEscape = strings.NewReplacer("\\", `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`)

func renderTSV(w io.Writer, s *scanner) error {
	bw := bufio.NewWriter(w)
	for i, n := range s.names {
		if i > 0 {
			bw.WriteByte('\t')
		}
		tsvEscape.WriteString(bw, n)
	}
	bw.WriteByte('\n')
	for {
		row, err := s.next()
		if err != nil || row == nil {
			if err != nil {
				return err
			}
			return bw.Flush()
		}
		for i, c := range row {
			if i > 0 {
				bw.WriteByte('\t')
			}
			if c.null {
				bw.WriteString(`\N`)
			} else {
				tsvEscape.WriteString(bw, c.text)
			}
		}
		bw.WriteByte('\n')
	}
}

// renderJSON writes an array of objects, one per line, keys in column
// order.
func renderJSON(w io.Writer, s *scanner) error {
	keys := make([]string, len(s.names))
	for i, n := range s.names {
		b, _ := json.Marshal(n)
		keys[i] = string(b)
	}
	bw := bufio.NewWriter(w)
	bw.WriteString("[")
	for n := 0; ; n++ {
		row, err := s.next()
		if err != nil {
			return err
		}
		if row == nil {
			if n > 0 {
				bw.WriteString("\n")
			}
			bw.WriteString("]\n")
			return bw.Flush()
		}
		if n > 0 {
			bw.WriteString(",")
		}
		bw.WriteString("\n  {")
		for i, c := range row {
			if i > 0 {
				bw.WriteString(", ")
			}
			bw.WriteString(keys[i])
			bw.WriteString(": ")
			bw.WriteString(c.json)
		}
		bw.WriteString("}")
	}
}

// renderTable aligns columns for a terminal: numbers right, text left.
func renderTable(w io.Writer, s *scanner) error {
	var body [][]cell
	for {
		row, err := s.next()
		if err != nil {
			return err
		}
		if row == nil {
			break
		}
		body = append(body, row)
	}
	width := make([]int, len(s.names))
	for i, n := range s.names {
		width[i] = utf8.RuneCountInString(n)
	}
	for _, row := range body {
		for i, c := range row {
			width[i] = max(width[i], utf8.RuneCountInString(c.text))
		}
	}
	bw := bufio.NewWriter(w)
	line := func(cells []string, right []bool) {
		for i, c := range cells {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i > 0 {
				bw.WriteString("  ")
			}
			switch {
			case right[i]:
				bw.WriteString(pad + c)
			case i == len(cells)-1:
				bw.WriteString(c) // no trailing blanks
			default:
				bw.WriteString(c + pad)
			}
		}
		bw.WriteString("\n")
	}
	right := make([]bool, len(s.names))
	for _, row := range body {
		for i, c := range row {
			right[i] = right[i] || c.num
		}
	}
	line(s.names, right)
	dashes := make([]string, len(width))
	for i, n := range width {
		dashes[i] = strings.Repeat("-", n)
	}
	line(dashes, right)
	texts := make([]string, len(s.names))
	for _, row := range body {
		for i, c := range row {
			texts[i] = c.text
		}
		line(texts, right)
	}
	if len(body) == 0 {
		bw.WriteString("(no rows)\n")
	}
	return bw.Flush()
}
