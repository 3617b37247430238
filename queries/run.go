package queries

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// DB is what this package needs from a ClickHouse connection;
// clickhouse-go's driver.Conn satisfies it.
type DB interface {
	Query(ctx context.Context, query string, args ...any) (driver.Rows, error)
	Select(ctx context.Context, dest any, query string, args ...any) error
	Exec(ctx context.Context, query string, args ...any) error
	PrepareBatch(ctx context.Context, query string, opts ...driver.PrepareBatchOption) (driver.Batch, error)
}

// ErrInput marks errors caused by what the caller asked for (an unknown
// query, parameter or format, a malformed value), as opposed to a failure
// while running it.
var ErrInput = errors.New("bad input")

func inputErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInput, fmt.Sprintf(format, args...))
}

// Formats are the output formats Run accepts.
var Formats = []string{"table", "csv", "tsv", "json"}

// Run executes the saved query name with params (missing ones take their
// defaults) and writes its rows to w as format: table, csv, tsv or json.
// Parameters are bound server-side, never spliced into the SQL.
func Run(ctx context.Context, db DB, name string, params map[string]string, format string, w io.Writer) error {
	q, ok := Get(name)
	if !ok {
		return inputErr("no saved query %q (known: %s)", name, strings.Join(names(), ", "))
	}
	render, ok := renderers[format]
	if !ok {
		return inputErr("format %q: want one of %s", format, strings.Join(Formats, ", "))
	}
	bound, err := q.Bind(params)
	if err != nil {
		return err
	}
	ctx = clickhouse.Context(ctx, clickhouse.WithParameters(bound))
	rows, err := db.Query(ctx, q.SQL)
	if err != nil {
		return fmt.Errorf("running %s: %w", name, err)
	}
	defer rows.Close()
	var names []string
	if len(rows.ColumnTypes()) == 0 {
		// Over HTTP an empty result carries no columns; ask for them, so
		// even an empty CSV has its header.
		if names, err = describe(ctx, db, q.SQL); err != nil {
			return fmt.Errorf("running %s: %w", name, err)
		}
	}
	if err := render(w, newScanner(rows, names)); err != nil {
		return fmt.Errorf("running %s: %w", name, err)
	}
	return nil
}

// describe returns the column names of sql's result.
func describe(ctx context.Context, db DB, sql string) ([]string, error) {
	rows, err := db.Query(ctx, "DESCRIBE TABLE ("+sql+")")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	s := newScanner(rows, nil)
	var names []string
	for {
		row, err := s.next()
		if err != nil || row == nil {
			return names, err
		}
		names = append(names, row[0].text) // DESCRIBE's first column is the name
	}
}

// Bind checks params against q's parameters and returns the full set, with
// defaults for the missing ones, ready for clickhouse.WithParameters.
func (q Query) Bind(params map[string]string) (clickhouse.Parameters, error) {
	known := map[string]Param{}
	for _, p := range q.Params {
		known[p.Name] = p
	}
	for k := range params {
		if _, ok := known[k]; !ok {
			var want []string
			for _, p := range q.Params {
				want = append(want, p.Name)
			}
			if len(want) == 0 {
				return nil, inputErr("%s takes no parameters, got %q", q.Name, k)
			}
			return nil, inputErr("%s has no parameter %q (it takes %s)", q.Name, k, strings.Join(want, ", "))
		}
	}
	out := clickhouse.Parameters{}
	for _, p := range q.Params {
		v, ok := params[p.Name]
		if !ok || v == "" {
			v = p.Default
		}
		if err := checkValue(p.Type, v); err != nil {
			return nil, inputErr("%s: parameter %s: %v", q.Name, p.Name, err)
		}
		out[p.Name] = v
	}
	return out, nil
}

var intType = regexp.MustCompile(`^U?Int(8|16|32|64)$`)

// checkValue catches malformed values before ClickHouse does, to say
// precisely what was expected.
func checkValue(typ, v string) error {
	switch {
	case typ == "Date":
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return fmt.Errorf("%q is not a date: want YYYY-MM-DD", v)
		}
		if d.Year() < 1970 || d.Year() > 2105 {
			return fmt.Errorf("%s is out of range: want a date from 1970 to 2105", v)
		}
	case intType.MatchString(typ):
		bits, _ := strconv.Atoi(intType.FindStringSubmatch(typ)[1])
		var err error
		if strings.HasPrefix(typ, "U") {
			_, err = strconv.ParseUint(v, 10, bits)
		} else {
			_, err = strconv.ParseInt(v, 10, bits)
		}
		if err != nil {
			return fmt.Errorf("%q is not a %s", v, typ)
		}
	}
	return nil
}

func names() []string {
	var out []string
	for _, q := range all {
		out = append(out, q.Name)
	}
	sort.Strings(out)
	return out
}
