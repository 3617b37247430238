package queries

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// RunSQL runs an ad-hoc statement and writes its rows to w in format
// (table, csv, tsv or json), like Run does for a saved query. A statement
// that returns nothing (DDL, INSERT ... SELECT) writes nothing.
func RunSQL(ctx context.Context, db DB, sql, format string, w io.Writer) error {
	render, ok := renderers[format]
	if !ok {
		return inputErr("format %q: want one of %s", format, strings.Join(Formats, ", "))
	}
	if strings.TrimSpace(sql) == "" {
		return inputErr("empty SQL")
	}
	rows, err := db.Query(ctx, sql)
	if err != nil {
		return err
	}
	defer rows.Close()
	if len(rows.ColumnTypes()) == 0 {
		return rows.Err()
	}
	if err := render(w, newScanner(rows, nil)); err != nil {
		return fmt.Errorf("reading result: %w", err)
	}
	return nil
}
