package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ethidx/ethidx/queries"
	"github.com/ethidx/ethidx/queries/export"
	"github.com/ethidx/ethidx/store/inspect"
)

func exportCommand() *cli.Command {
	return &cli.Command{
		Name:  "export",
		Usage: "write tables and saved views to Parquet, CSV or JSON-lines files",
		UsageText: "ethidx export --table blocks,transactions --from 19000000 --to 19999999 --output out/\n" +
			"ethidx export --table daily_activity --from-date 2026-01-01 --to-date 2026-01-31 --format csv --output out/",
		Description: "Writes one file per table and partition (the chain tables' million-block runs,\n" +
			"the daily views' calendar months, monthly_growth's years), named\n" +
			"TABLE__FIRST_to_LAST.EXT, as the engine itself writes them: readable by pyarrow,\n" +
			"polars, DuckDB and any CSV or JSON reader. Hashes, addresses and byte strings are\n" +
			"0x-hex strings, wei (UInt256) exact decimal strings. Only completely indexed\n" +
			"ranges are exported; each file appears whole (written to NAME.tmp, then renamed)\n" +
			"and an existing file of the same name is replaced.\n\n" +
			"Tables: " + strings.Join(export.Names(), ", ") + ".\n" +
			"Chain tables take --from/--to or --from-date/--to-date; the views take dates\n" +
			"(monthly_growth whole months).",
		Flags: append(own(
			&cli.StringSliceFlag{Name: "table", Usage: "table or view to export (repeat or comma-separate)"},
			fromFlag, toFlag, fromDateFlag, toDateFlag,
			&cli.StringFlag{Name: "format", Usage: "parquet, csv or jsonl", Value: "parquet"},
			&cli.StringFlag{Name: "output", Usage: "directory to write the files to (created if missing)"},
		), groups(catStorage, catLogging)...),
		Action: runExport,
	}
}

func runExport(c *cli.Context) error {
	req, err := exportRequest(c)
	if err != nil {
		return err
	}
	st, err := openQueryStore(c)
	if err != nil {
		return err
	}
	defer st.Close()
	if st.Raw == nil {
		return badInput("export streams the server's own file output over HTTP; give --clickhouse as http://host:8123/db (the native protocol has no such stream)")
	}
	done, err := inspect.Done(c.Context, st.Conn)
	if err != nil {
		return fmt.Errorf("reading the completed ranges: %w", err)
	}
	files, err := export.Plan(c.Context, st.Conn, done, req)
	if errors.Is(err, queries.ErrInput) {
		return usageError{err}
	}
	if err != nil {
		return err
	}
	prog := newProgress("export")
	prog.rows = ""
	start := time.Now()
	written, err := export.Write(c.Context, st.Conn, st.Raw, files, req.Format, req.Dir, prog)
	prog.Finish()
	if err != nil {
		return requestError(err)
	}
	var bytes int64
	for _, w := range written {
		bytes += w.Bytes
		fmt.Println(w.Path)
	}
	slog.Info("export finished", "files", len(written), "bytes", bytes, "dir", req.Dir,
		"seconds", fmt.Sprintf("%.1f", time.Since(start).Seconds()))
	return nil
}

// exportRequest checks export's flags before any work: exit 2 for a bad one.
func exportRequest(c *cli.Context) (export.Request, error) {
	req := export.Request{Format: c.String("format"), Dir: c.String("output")}
	for _, v := range c.StringSlice("table") {
		for _, name := range strings.Split(v, ",") {
			if name = strings.TrimSpace(name); name == "" {
				continue
			}
			req.Tables = append(req.Tables, name)
		}
	}
	if req.Dir == "" {
		return req, badInput("give --output DIR, the directory to write the files to")
	}
	if fi, err := os.Stat(req.Dir); err == nil && !fi.IsDir() {
		return req, badInput("--output %s is a file: give a directory (it is created if missing)", req.Dir)
	}
	rf, err := parseRange(c)
	if err != nil {
		return req, err
	}
	req.Blocks, req.From, req.To = rf.blocks, rf.from, rf.to
	if err := export.Check(req); err != nil {
		return req, usageError{err}
	}
	// Before the engine starts: the process is then confined to the
	// directories that exist (see confinement).
	if err := os.MkdirAll(req.Dir, 0o755); err != nil {
		return req, badInput("--output %s: %v", req.Dir, err)
	}
	return req, nil
}
