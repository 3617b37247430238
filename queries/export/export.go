// Package export writes ethidx's tables and saved views to files, as cryo
// and ethereum-etl users expect them: one file per table and partition, in
// Parquet, CSV or JSON lines, each written by the engine itself (the
// statement's FORMAT output streamed to the file), so the files hold
// exactly what the tables hold.
//
// Every exportable table is a file in tables/: its statement over a block
// range ({from:UInt64}, {to:UInt64}) or a day range ({from:Date},
// {to:Date}), and its partitioning in the header — the table's own
// (million-block runs, as schema/0001_core_tables.sql partitions the chain
// tables), or calendar months and years for the saved views. A table added
// later (token transfers) is one more file.
//
// Column forms, chosen so that pyarrow, polars and DuckDB read every file
// with no extension (see columnForm): hashes, addresses and byte strings as
// 0x-prefixed lowercase hex (the *_hex views' and JSON-RPC's form), 128-
// and 256-bit integers (wei) as exact decimal strings, everything else in
// its natural type (UInt64, DateTime as a UTC timestamp, Date, arrays as
// lists, Nullable as null).
//
// Only completed data is exported: a block range must lie within the
// ranges recorded as complete, a day range must consist of complete days.
// Each file is written to NAME.tmp beside it, synced and then renamed, so
// a file that exists is whole.
package export

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/queries"
)

//go:embed tables/*.sql sql/*.sql
var files embed.FS

// Table is one exportable table or view.
type Table struct {
	Name        string
	Description string
	// Partition is how its files are cut: "blocks" (runs of Size blocks),
	// "month" or "year".
	Partition string
	Size      uint64
	// Bytes are the String columns holding bytes (input, data), written
	// as hex like the hashes.
	Bytes []string
	// SQL is the statement, with {from:...} and {to:...}.
	SQL string
}

// ByBlock reports whether t is exported by block range.
func (t Table) ByBlock() bool { return t.Partition == "blocks" }

var tables = map[string]Table{}

var header = regexp.MustCompile(`^--\s*([a-z]+):\s*(.*)$`)

func init() {
	names, _ := files.ReadDir("tables")
	for _, e := range names {
		body, err := files.ReadFile("tables/" + e.Name())
		if err != nil {
			panic(err)
		}
		t, err := parse(string(body))
		if err != nil || t.Name+".sql" != e.Name() {
			panic(fmt.Sprintf("queries/export/tables/%s: %v (name %q)", e.Name(), err, t.Name))
		}
		tables[t.Name] = t
	}
}

func parse(text string) (Table, error) {
	var t Table
	lines := strings.Split(text, "\n")
	i := 0
	for ; i < len(lines); i++ {
		m := header.FindStringSubmatch(strings.TrimSpace(lines[i]))
		if m == nil {
			break
		}
		switch m[1] {
		case "name":
			t.Name = m[2]
		case "description":
			t.Description = m[2]
		case "bytes":
			for _, c := range strings.Split(m[2], ",") {
				t.Bytes = append(t.Bytes, strings.TrimSpace(c))
			}
		case "partition":
			kind, size, _ := strings.Cut(m[2], " ")
			t.Partition = kind
			if kind == "blocks" {
				n, err := strconv.ParseUint(size, 10, 64)
				if err != nil || n == 0 {
					return t, fmt.Errorf("partition %q: want blocks N", m[2])
				}
				t.Size = n
			} else if kind != "month" && kind != "year" {
				return t, fmt.Errorf("partition %q: want blocks N, month or year", m[2])
			}
		default:
			return t, fmt.Errorf("unknown header key %q", m[1])
		}
	}
	for ; i < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i]), "--"); i++ {
	}
	t.SQL = strings.TrimSpace(strings.Join(lines[i:], "\n"))
	if t.Partition == "" || t.SQL == "" {
		return t, errors.New("needs a partition header and a statement")
	}
	return t, nil
}

// Tables returns the exportable tables by name.
func Tables() []Table {
	out := make([]Table, 0, len(tables))
	for _, t := range tables {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Names lists the exportable tables' names.
func Names() []string {
	var out []string
	for _, t := range Tables() {
		out = append(out, t.Name)
	}
	return out
}

// Lookup returns the exportable table called name.
func Lookup(name string) (Table, bool) {
	t, ok := tables[name]
	return t, ok
}

// Format is a file format: its flag value, the engine's output format, the
// file extension and the settings that make the output readable by the
// usual readers.
type Format struct {
	Name, Engine, Ext string
	Settings          map[string]string
}

// Formats are the formats export writes.
var Formats = map[string]Format{
	"parquet": {Name: "parquet", Engine: "Parquet", Ext: "parquet"},
	// Timestamps in ISO 8601 with a Z, so DuckDB and polars read them as
	// timestamps; NULL as an empty field, which every CSV reader takes as
	// missing (the engine's default is \N).
	"csv": {Name: "csv", Engine: "CSVWithNames", Ext: "csv", Settings: map[string]string{
		"date_time_output_format": "iso", "format_csv_null_representation": "",
	}},
	// 64-bit integers as JSON numbers (the engine quotes them by default);
	// wei is a decimal string anyway.
	"jsonl": {Name: "jsonl", Engine: "JSONEachRow", Ext: "jsonl", Settings: map[string]string{
		"date_time_output_format": "iso", "output_format_json_quote_64bit_integers": "0",
	}},
}

// FormatNames lists the formats' names.
func FormatNames() []string { return []string{"parquet", "csv", "jsonl"} }

// ErrIncomplete says that part of what was asked for is not completely
// indexed.
var ErrIncomplete = errors.New("not completely indexed")

// Request is what to export.
type Request struct {
	Tables []string
	// Blocks is the block range, for --from/--to; or else the UTC days
	// From to To (inclusive).
	Blocks   *indexer.Range
	From, To time.Time
	Format   string
	Dir      string
}

// File is one file of an export: a table's rows in one partition (clipped
// to the requested range).
type File struct {
	Table  Table
	Name   string            // base name, e.g. blocks__0019000000_to_0019999999.parquet
	Params map[string]string // from, to
	Blocks uint64            // blocks the file covers, for progress
}

// DB is what export needs of a connection besides the raw stream.
type DB = queries.DB

// Plan checks req and resolves it into the files to write: it refuses
// unknown tables or formats and ranges a table is not exported by
// (queries.ErrInput), and ranges not completely indexed (ErrIncomplete);
// done are the ranges recorded as complete.
func Plan(ctx context.Context, db DB, done indexer.Ranges, req Request) ([]File, error) {
	if err := Check(req); err != nil {
		return nil, err
	}
	f := Formats[req.Format]
	blocks, days, err := resolve(ctx, db, done, req)
	if err != nil {
		return nil, err
	}
	var out []File
	for _, name := range req.Tables {
		t := tables[name]
		if t.ByBlock() {
			out = append(out, blockFiles(t, blocks, f.Ext)...)
		} else {
			out = append(out, dayFiles(t, req.From, req.To, days, f.Ext)...)
		}
	}
	return out, nil
}

// Check refuses, before any work, a request no store could answer: an
// unknown table or format, or a range a table is not exported by
// (queries.ErrInput).
func Check(req Request) error {
	if _, ok := Formats[req.Format]; !ok {
		return inputErr("--format %q: want one of %s", req.Format, strings.Join(FormatNames(), ", "))
	}
	if len(req.Tables) == 0 {
		return inputErr("give --table (one of %s)", strings.Join(Names(), ", "))
	}
	if req.Blocks == nil && req.To.Before(req.From) {
		return inputErr("--to-date %s is before --from-date %s", req.To.Format(time.DateOnly), req.From.Format(time.DateOnly))
	}
	for _, name := range req.Tables {
		t, ok := tables[name]
		if !ok {
			return inputErr("--table %q: want one of %s", name, strings.Join(Names(), ", "))
		}
		if req.Blocks != nil && !t.ByBlock() {
			return inputErr("%s is exported by day: give --from-date and --to-date", name)
		}
		if t.Partition == "year" && req.Blocks == nil &&
			(req.From.Day() != 1 || req.To.AddDate(0, 0, 1).Day() != 1) {
			return inputErr("%s is exported by whole months: --from-date must be the first day of a month and --to-date the last", name)
		}
	}
	return nil
}

func inputErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", queries.ErrInput, fmt.Sprintf(format, args...))
}

// day is one row of sql/coverage.sql.
type day struct {
	Day      time.Time `ch:"day"`
	First    uint64    `ch:"first_block"`
	Last     uint64    `ch:"last_block"`
	Complete uint8     `ch:"complete"`
}

//go:embed sql/coverage.sql
var coverageSQL string

// resolve finds the blocks of the request and checks that they are
// completely indexed: a block range must lie within done; every day of a
// day range must be complete (its blocks and both neighbours stored), and
// its blocks within done.
func resolve(ctx context.Context, db DB, done indexer.Ranges, req Request) (indexer.Range, map[time.Time]indexer.Range, error) {
	if req.Blocks != nil {
		if miss := done.Missing(*req.Blocks); len(miss) > 0 {
			return indexer.Range{}, nil, incomplete(miss)
		}
		return *req.Blocks, nil, nil
	}
	var rows []day
	ctx = clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{
		"from": req.From.Format(time.DateOnly), "to": req.To.Format(time.DateOnly)}))
	if err := db.Select(ctx, &rows, stripHeader(coverageSQL)); err != nil {
		return indexer.Range{}, nil, fmt.Errorf("reading the days' coverage: %w", err)
	}
	have := map[time.Time]day{}
	for _, r := range rows {
		have[r.Day.UTC()] = r
	}
	var bad []string
	var all indexer.Range
	days := map[time.Time]indexer.Range{}
	for d := req.From; !d.After(req.To); d = d.AddDate(0, 0, 1) {
		r, ok := have[d]
		if !ok || r.Complete != 1 {
			bad = append(bad, d.Format(time.DateOnly))
			continue
		}
		days[d] = indexer.Range{From: r.First, To: r.Last}
		if len(days) == 1 {
			all = days[d]
		}
		all.To = r.Last
	}
	if len(bad) > 0 {
		return indexer.Range{}, nil, fmt.Errorf("%w: %d of the days %s to %s (%s); load them with `ethidx backfill --from-date %s --to-date %s`",
			ErrIncomplete, len(bad), req.From.Format(time.DateOnly), req.To.Format(time.DateOnly),
			abbreviate(bad), bad[0], bad[len(bad)-1])
	}
	if miss := done.Missing(all); len(miss) > 0 {
		return indexer.Range{}, nil, incomplete(miss)
	}
	return all, days, nil
}

func incomplete(miss []indexer.Range) error {
	var s []string
	for _, r := range miss {
		s = append(s, r.String())
	}
	return fmt.Errorf("%w: blocks %s; load them with `ethidx backfill --from %d --to %d`",
		ErrIncomplete, abbreviate(s), miss[0].From, miss[len(miss)-1].To)
}

func abbreviate(s []string) string {
	if len(s) > 5 {
		return strings.Join(s[:5], ", ") + fmt.Sprintf(", ... (%d in all)", len(s))
	}
	return strings.Join(s, ", ")
}

// blockFiles cuts r at t's partition boundaries.
func blockFiles(t Table, r indexer.Range, ext string) []File {
	var out []File
	for from := r.From; ; {
		to := (from/t.Size+1)*t.Size - 1
		if to > r.To || to < from {
			to = r.To
		}
		out = append(out, File{
			Table:  t,
			Name:   fmt.Sprintf("%s__%010d_to_%010d.%s", t.Name, from, to, ext),
			Params: map[string]string{"from": strconv.FormatUint(from, 10), "to": strconv.FormatUint(to, 10)},
			Blocks: to - from + 1,
		})
		if to == r.To {
			return out
		}
		from = to + 1
	}
}

// dayFiles cuts the days from..to at t's partition boundaries (months or
// years).
func dayFiles(t Table, from, to time.Time, days map[time.Time]indexer.Range, ext string) []File {
	var out []File
	for start := from; !start.After(to); {
		var next time.Time
		if t.Partition == "year" {
			next = time.Date(start.Year()+1, 1, 1, 0, 0, 0, 0, time.UTC)
		} else {
			next = time.Date(start.Year(), start.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		}
		end := next.AddDate(0, 0, -1)
		if end.After(to) {
			end = to
		}
		var blocks uint64
		for d := start; !d.After(end); d = d.AddDate(0, 0, 1) {
			blocks += days[d].Len()
		}
		out = append(out, File{
			Table:  t,
			Name:   fmt.Sprintf("%s__%s_to_%s.%s", t.Name, start.Format(time.DateOnly), end.Format(time.DateOnly), ext),
			Params: map[string]string{"from": start.Format(time.DateOnly), "to": end.Format(time.DateOnly)},
			Blocks: blocks,
		})
		start = next
	}
	return out
}

// RawQuerier streams a statement's output as the engine writes it (package
// store's RawQuerier).
type RawQuerier interface {
	RawQueryWith(ctx context.Context, sql string, params, settings map[string]string, w io.Writer) error
}

// Progress is told the blocks to export, then each file's as it is
// written.
type Progress interface {
	Start(blocks uint64)
	Add(blocks, rows int)
}

// Written is a file written.
type Written struct {
	Path  string
	Bytes int64
}

// Write writes files into dir in format, each through NAME.tmp renamed
// into place; a failure leaves no partial file. The column forms come
// from each table's columns (DESCRIBE), read once per table.
func Write(ctx context.Context, db DB, raw RawQuerier, files []File, format, dir string, p Progress) ([]Written, error) {
	f, ok := Formats[format]
	if !ok {
		return nil, inputErr("--format %q: want one of %s", format, strings.Join(FormatNames(), ", "))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	var total uint64
	for _, file := range files {
		total += file.Blocks
	}
	if p != nil {
		p.Start(total)
	}
	selects := map[string]string{}
	var out []Written
	for _, file := range files {
		sel, ok := selects[file.Table.Name]
		if !ok {
			var err error
			if sel, err = selectList(ctx, db, file.Table, file.Params); err != nil {
				return out, err
			}
			selects[file.Table.Name] = sel
		}
		query := "SELECT " + sel + " FROM (" + file.Table.SQL + ") FORMAT " + f.Engine
		path := filepath.Join(dir, file.Name)
		n, err := writeFile(ctx, raw, path, query, file.Params, f.Settings)
		if err != nil {
			return out, fmt.Errorf("exporting %s: %w", file.Name, err)
		}
		out = append(out, Written{Path: path, Bytes: n})
		if p != nil {
			p.Add(int(file.Blocks), 0)
		}
	}
	return out, nil
}

// writeFile streams query's output to path.tmp, syncs it and renames it
// to path.
func writeFile(ctx context.Context, raw RawQuerier, path, query string, params, settings map[string]string) (int64, error) {
	tmp := path + ".tmp"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return 0, err
	}
	cw := &countWriter{w: out}
	err = raw.RawQueryWith(ctx, query, params, settings, cw)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return 0, err
	}
	return cw.n, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func stripHeader(sql string) string {
	lines := strings.Split(sql, "\n")
	i := 0
	for i < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i]), "--") {
		i++
	}
	return strings.TrimSpace(strings.Join(lines[i:], "\n"))
}
