package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ethidx/ethidx/queries"
	"github.com/ethidx/ethidx/queries/report"
)

func reportCommand() *cli.Command {
	return &cli.Command{
		Name:  "report",
		Usage: "month-over-month summary: daily active addresses, new addresses, transactions",
		UsageText: "ethidx report                       # the latest complete month\n" +
			"ethidx report --month 2026-01 --chart jan.svg",
		Description: "Prints the month against the one before, in the form the press quotes, with\n" +
			"coverage (days indexed) and whether new-address counts are exact (history from\n" +
			"genesis). --chart draws the daily series of the three metrics with the month\n" +
			"boundaries, as SVG or PNG by the file's extension.",
		Flags: append(own(
			&cli.StringFlag{Name: "month", Usage: "YYYY-MM, from 1970-01 to 2105-12 (default: the latest complete month)"},
			&cli.StringFlag{Name: "chart", Usage: "also draw the daily series to FILE.svg or FILE.png"},
			&cli.StringFlag{Name: "definition", Value: "participants", Usage: "what counts as an address: participants, senders or all_parties (README: Metric definitions)"},
			&cli.StringFlag{Name: "format", Value: "text", Usage: "text or json (each figure with its definition, block range, verification and completeness)"},
		), groups(catStorage, catLogging)...),
		Action: runReport,
	}
}

// Months a report can cover: those of ClickHouse's Date type.
const firstMonth, lastMonth = "1970-01", "2105-12"

func checkMonth(month string) error {
	if month == "" {
		return nil
	}
	if _, err := time.Parse("2006-01", month); err != nil {
		return badInput("--month %q: want a month as YYYY-MM, e.g. 2026-01", month)
	}
	if month < firstMonth || month > lastMonth {
		return badInput("--month %s is out of range: want a month from %s to %s", month, firstMonth, lastMonth)
	}
	return nil
}

func runReport(c *cli.Context) error {
	month := c.String("month")
	if err := checkMonth(month); err != nil {
		return err
	}
	def, err := report.ParseDefinition(c.String("definition"))
	if err != nil {
		return badInput("--definition %q: want participants, senders or all_parties", c.String("definition"))
	}
	format := c.String("format")
	if format != "text" && format != "json" {
		return badInput("--format %q: want text or json", format)
	}
	chart := c.String("chart")
	if chart != "" && !strings.HasSuffix(chart, ".svg") && !strings.HasSuffix(chart, ".png") {
		return badInput("--chart %q: want a .svg or .png file", chart)
	}
	if chart != "" {
		// Checked before the report is printed, not after.
		if fi, err := os.Stat(filepath.Dir(chart)); err != nil || !fi.IsDir() {
			return badInput("--chart %s: directory %s does not exist", chart, filepath.Dir(chart))
		}
	}
	st, err := openQueryStore(c)
	if err != nil {
		return err
	}
	defer st.Close()
	r, err := report.Monthly(c.Context, st.Conn, month)
	if errors.Is(err, report.ErrNotIndexed) {
		return fmt.Errorf("%w; load it first: %s", err, backfillHint(month, time.Now()))
	}
	if errors.Is(err, queries.ErrInput) {
		return usageError{err}
	}
	if err != nil {
		return err
	}
	r.Load = func(from, to time.Time) string { return loadCommand(c, from, to) }
	r.Use(def)
	if err := r.LoadSource(c.Context, st.Conn); err != nil {
		return err
	}
	if format == "json" {
		err = r.WriteJSON(os.Stdout)
	} else {
		err = r.WriteText(os.Stdout)
	}
	if err != nil {
		return err
	}
	if chart != "" {
		if err := r.LoadDays(c.Context, st.Conn); err != nil {
			return err
		}
		if err := r.WriteChart(chart); err != nil {
			return err
		}
		slog.Info("chart written", "file", chart)
	}
	return nil
}

// backfillHint is the command that loads month "YYYY-MM" (or, with "", the
// last complete month before now).
func backfillHint(month string, now time.Time) string {
	m, err := time.Parse("2006-01", month)
	if err != nil {
		y, mo, _ := now.UTC().Date()
		m = time.Date(y, mo-1, 1, 0, 0, 0, 0, time.UTC)
	}
	return fmt.Sprintf("ethidx backfill --rpc URL --from-date %s --to-date %s",
		m.Format(time.DateOnly), m.AddDate(0, 1, -1).Format(time.DateOnly))
}

// loadCommand is the backfill command line that loads the UTC days
// from..to into this store.
func loadCommand(c *cli.Context, from, to time.Time) string {
	cmd := commandLine(c, "backfill", "--rpc", "URL", "--from-date", from.Format(time.DateOnly), "--to-date", to.Format(time.DateOnly))
	if today := time.Now().UTC(); !to.Before(time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)) {
		cmd += " (once " + to.Format(time.DateOnly) + " is over)"
	}
	return cmd
}

// commandLine is an ethidx command line on this command's store (its
// storage flags as given; a DSN, which may hold a password, as DSN).
func commandLine(c *cli.Context, args ...string) string {
	out := []string{"ethidx"}
	for _, f := range []string{"clickhouse", "data-dir", "database"} {
		switch {
		case !c.IsSet(f):
		case f == "clickhouse":
			out = append(out, "--clickhouse", "DSN")
		default:
			out = append(out, "--"+f, c.String(f))
		}
	}
	return strings.Join(append(out, args...), " ")
}
