package export

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/ethidx/ethidx/sqltext"
)

// selectList is the export's column list for t: each column of t's
// statement (DESCRIBE) in its file form, under its own name.
func selectList(ctx context.Context, db DB, t Table, params map[string]string) (string, error) {
	ps := clickhouse.Parameters{}
	for k, v := range params {
		ps[k] = v
	}
	ctx = clickhouse.Context(ctx, clickhouse.WithParameters(ps))
	rows, err := db.Query(ctx, "DESCRIBE TABLE ("+t.SQL+")")
	if err != nil {
		return "", fmt.Errorf("reading the columns of %s: %w", t.Name, err)
	}
	defer rows.Close()
	// DESCRIBE's columns are all strings, the first two the name and type.
	vals := make([]string, len(rows.Columns()))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var out []string
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return "", fmt.Errorf("reading the columns of %s: %w", t.Name, err)
		}
		name := sqltext.QuoteIdent(vals[0])
		out = append(out, columnForm(name, vals[1], slices.Contains(t.Bytes, vals[0]), 0)+" AS "+name)
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("reading the columns of %s: %w", t.Name, err)
	}
	if len(out) == 0 || len(vals) < 2 {
		return "", fmt.Errorf("reading the columns of %s: none", t.Name)
	}
	return strings.Join(out, ", "), nil
}

// columnForm is the expression that writes expr, of ClickHouse type typ,
// in a form pyarrow, polars and DuckDB all read without loss:
//
//   - FixedString (hashes, addresses) and byte strings: '0x' + lowercase
//     hex. The engine would write FixedString as fixed-size binary (which
//     the readers take, but nobody can paste into a block explorer) and a
//     String holding bytes as a UTF-8 string column (which pyarrow refuses
//     to decode). On random data, as hashes are, compressed hex is close
//     to the bytes: 38.5 against 35.4 bytes a hash in Parquet.
//   - UInt256, Int256, UInt128, Int128 (wei, chain ids): the exact decimal
//     string. The engine writes them as 32 raw little-endian bytes with no
//     logical type; a Parquet decimal of 76 digits is read by pyarrow but
//     turned into a float by DuckDB and refused by polars. DuckDB casts
//     the string with ::HUGEINT or ::DECIMAL(38,0), which holds any real
//     wei amount; pyarrow to decimal256.
//   - Nullable stays nullable (the functions above keep NULL); arrays map
//     their elements; everything else (UInt64, Date, DateTime as a UTC
//     timestamp) is left as the engine writes it.
//
// bytes says a String column holds bytes, not text.
func columnForm(expr, typ string, bytes bool, depth int) string {
	t := typ
	for _, wrapper := range []string{"Nullable(", "LowCardinality("} {
		if strings.HasPrefix(t, wrapper) && strings.HasSuffix(t, ")") {
			t = t[len(wrapper) : len(t)-1]
		}
	}
	switch {
	case strings.HasPrefix(t, "Array(") && strings.HasSuffix(t, ")"):
		v := fmt.Sprintf("x%d", depth)
		inner := columnForm(v, t[len("Array("):len(t)-1], bytes, depth+1)
		if inner == v {
			return expr
		}
		return fmt.Sprintf("arrayMap(%s -> %s, %s)", v, inner, expr)
	case strings.HasPrefix(t, "FixedString("), bytes && t == "String":
		return "concat('0x', lower(hex(" + expr + ")))"
	case t == "UInt256" || t == "Int256" || t == "UInt128" || t == "Int128":
		return "toString(" + expr + ")"
	}
	return expr
}
