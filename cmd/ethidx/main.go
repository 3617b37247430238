// Command ethidx indexes Ethereum blocks, transactions, receipts and logs
// into ClickHouse and answers activity questions (daily active addresses,
// new addresses, transactions, month-over-month growth) with saved SQL.
//
// Exit codes: 0 success, 1 runtime failure, 2 bad input.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newApp().RunContext(ctx, namesLast(os.Args))
	stop()
	os.Exit(exitCode(err))
}

// namesLast lets `ethidx query NAME --from D` and `ethidx sql "SQL"
// --format csv` work as documented: urfave/cli stops reading flags at the
// first argument, so the argument right after those commands moves to the
// end.
func namesLast(args []string) []string {
	out := append([]string(nil), args...)
	for i := 1; i < len(out); i++ {
		a := out[i]
		if strings.HasPrefix(a, "-") {
			if !strings.Contains(a, "=") && globalValueFlags[strings.TrimLeft(a, "-")] {
				i++ // skip the flag's value
			}
			continue
		}
		if (a == "query" || a == "sql") && i+1 < len(out) && !strings.HasPrefix(out[i+1], "-") {
			name := out[i+1]
			out = append(append(out[:i+1], out[i+2:]...), name)
		}
		break // the first non-flag is the command
	}
	return out
}

var globalValueFlags = map[string]bool{"clickhouse": true, "data-dir": true, "database": true, "http-addr": true, "log-format": true}

// usageError marks bad input (a malformed flag, DSN, date or range): exit 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func badInput(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	fmt.Fprintln(os.Stderr, "ethidx:", err)
	var u usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}

func newApp() *cli.App {
	return &cli.App{
		Name:  "ethidx",
		Usage: "index Ethereum into ClickHouse and report activity",
		Description: "ethidx pulls blocks, transactions, receipts and logs from any Ethereum node into\n" +
			"ClickHouse (a server via --clickhouse, or the embedded engine by default) and turns\n" +
			"them into daily active addresses, new addresses and transaction counts with\n" +
			"month-over-month growth.",
		Flags:                globalFlags,
		EnableBashCompletion: true,
		Before: func(c *cli.Context) error {
			if err := setupLogging(c); err != nil {
				return err
			}
			// Bad storage flags fail before any work, with exit code 2.
			if dsn := c.String("clickhouse"); dsn != "" {
				if _, err := parseDSN(dsn); err != nil {
					return err
				}
			}
			if !validIdent(c.String("database")) {
				return badInput("--database %q: want letters, digits and underscores", c.String("database"))
			}
			return nil
		},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError{err}
		},
		Commands: []*cli.Command{
			engineCommand(),
			serveCommand(),
			schemaCommand(),
			backfillCommand(),
			followCommand(),
			queryCommand(),
			reportCommand(),
			sqlCommand(),
			verifyCommand(),
			rebuildCommand(),
			devnetCommand(),
		},
	}
}

// commandUsageError makes every subcommand's flag errors exit 2.
func commandUsageError(_ *cli.Context, err error, _ bool) error { return usageError{err} }

func setupLogging(c *cli.Context) error {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if c.Bool("verbose") {
		opts.Level = slog.LevelDebug
	}
	var h slog.Handler
	switch c.String("log-format") {
	case "text":
		h = slog.NewTextHandler(os.Stderr, opts)
	case "json":
		h = slog.NewJSONHandler(os.Stderr, opts)
	default:
		return badInput("--log-format %q: want text or json", c.String("log-format"))
	}
	slog.SetDefault(slog.New(h))
	return nil
}
