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
	"syscall"

	"github.com/urfave/cli/v2"
)

func main() {
	// Both see the signal: ctx stops the work, got says which it was.
	got := make(chan os.Signal, 1)
	signal.Notify(got, os.Interrupt, syscall.SIGTERM)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newApp().RunContext(ctx, namesLast(os.Args))
	stop()
	if err != nil {
		select {
		case sig := <-got:
			err = interrupted{sig: sig.(syscall.Signal), err: err}
		default:
		}
	}
	os.Exit(exitCode(err))
}

// interrupted is the failure of a command stopped by a signal: what it was
// doing when stopped (often a request to the engine, whose URL is no
// business of the user) is not the news, the signal is. Exit 128+signal,
// as shells expect (130 for Ctrl-C).
type interrupted struct {
	sig syscall.Signal
	err error
}

func (e interrupted) Error() string { return "interrupted (" + e.sig.String() + ")" }

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
	code := 1
	var u usageError
	var ec cli.ExitCoder // urfave/cli's own refusals, e.g. a help topic that does not exist
	var sig interrupted
	switch {
	case errors.As(err, &sig):
		slog.Debug("stopped by a signal", "signal", sig.sig.String(), "err", sig.err)
		code = 128 + int(sig.sig)
	case errors.As(err, &u), errors.As(err, &ec):
		code = 2
	}
	if logJSON {
		// The last line is JSON too, for whatever reads the others.
		slog.Error("ethidx failed", "err", err.Error(), "exit_code", code)
	} else {
		fmt.Fprintln(os.Stderr, "ethidx:", err)
	}
	return code
}

// logJSON is set when --log-format json was given: main's last line
// follows it.
var logJSON bool

func newApp() *cli.App {
	app := &cli.App{
		Name:  "ethidx",
		Usage: "index Ethereum into ClickHouse and report activity",
		Description: "ethidx pulls blocks, transactions, receipts and logs from any Ethereum node into\n" +
			"ClickHouse (a server via --clickhouse, or the embedded engine by default) and turns\n" +
			"them into daily active addresses, new addresses and transaction counts with\n" +
			"month-over-month growth.",
		// The app carries every group, so each flag also works before the
		// command; resolveFlags copies it down.
		Flags:                groups(catStorage, catNode, catLoading, catLogging),
		EnableBashCompletion: true,
		// A Version makes urfave/cli offer --version, which prints
		// versionInfo (version.go).
		Version:  shortVersion(),
		Metadata: map[string]any{},
		Action:   unknownAppCommand,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError{err}
		},
		// Exit codes are main's: urfave/cli never exits by itself.
		ExitErrHandler: func(*cli.Context, error) {},
		Commands: []*cli.Command{
			engineCommand(),
			serveCommand(),
			schemaCommand(),
			backfillCommand(),
			followCommand(),
			queryCommand(),
			reportCommand(),
			sqlCommand(),
			exportCommand(),
			verifyCommand(),
			statusCommand(),
			rebuildCommand(),
			devnetCommand(),
			versionCommand(),
			completionCommand(),
		},
	}
	prepareCommands(app.Commands)
	return app
}

// commandUsageError makes every subcommand's flag errors exit 2.
func commandUsageError(_ *cli.Context, err error, _ bool) error { return usageError{err} }

// setupLogging configures slog from the running command's --log-format
// and --verbose.
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
		// Durations as Go writes them (1.5s), not nanoseconds.
		opts.ReplaceAttr = func(_ []string, a slog.Attr) slog.Attr {
			if a.Value.Kind() == slog.KindDuration {
				a.Value = slog.StringValue(a.Value.Duration().String())
			}
			return a
		}
		h = slog.NewJSONHandler(os.Stderr, opts)
		logJSON = true
	default:
		return badInput("--log-format %q: want text or json", c.String("log-format"))
	}
	slog.SetDefault(slog.New(h))
	return nil
}
