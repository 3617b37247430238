package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/ethidx/ethidx/indexer/replay"
)

// engineLine is the layout of the engine's own log lines
// ("2026.12.01 09:48:31.763241 [ 16159 ] {} <Fatal> ThreadStatus: ..."),
// colours stripped.
var engineLine = regexp.MustCompile(`\d{4}\.\d{2}\.\d{2} \d{2}:\d{2}:\d{2}\.\d+ \[ *\d+ *\] \{[^}]*\} <\w+>`)

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]")

// runTTY runs ethidx with stdout and stderr on a pseudo-terminal, as a
// user at a shell has it (the engine writes its log to the console only
// then), and returns what the terminal showed and the exit code.
func runTTY(t *testing.T, timeout time.Duration, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, ethidxBin, args...)
	f, err := pty.Start(cmd)
	if err != nil {
		t.Fatalf("starting ethidx on a pty: %v", err)
	}
	defer f.Close()
	var out bytes.Buffer
	copied := make(chan struct{})
	go func() {
		_, _ = io.Copy(&out, f) // ends with EIO once the child is gone
		close(copied)
	}()
	err = cmd.Wait()
	<-copied
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("running ethidx %v: %v", args, err)
	}
	return ansi.ReplaceAllString(out.String(), ""), code
}

// On a terminal, the engine's own diagnostics never reach the user: a
// backfill, a streaming query and the demo's steps (follow a dev chain,
// report) print ethidx's output only. The engine's lines go to the data
// dir's engine.log, which --verbose makes detailed.
func TestNoEngineDiagnosticsOnTerminal(t *testing.T) {
	t.Parallel()
	srv := replay.New(replay.Options{})
	if err := srv.Generate(replay.GenOptions{From: 1, Count: 400, TxPerBlock: 20, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	url, stop, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	dir := t.TempDir()
	base := []string{"--data-dir", dir, "--http-addr", "127.0.0.1:0"}
	chain, rpc := devChain(t, 30)
	month := time.Unix(int64(chain.Head().Time), 0).UTC().Format("2006-01")
	demoDir := t.TempDir()
	demo := []string{"--data-dir", demoDir, "--http-addr", "127.0.0.1:0"}
	for _, args := range [][]string{
		append(append([]string{}, base...), "backfill", "--rpc", url, "--from", "1", "--to", "400", "--batch", "20"),
		append(append([]string{}, base...), "sql", "SELECT number, toString(number) FROM numbers(300000)"),
		append(append([]string{}, base...), "query", "daily_activity", "--from-date", "2000-01-01", "--to-date", "2100-01-01"),
		append(append([]string{}, demo...), "follow", "--rpc", rpc, "--finality", "latest", "--start", "0", "--once"),
		append(append([]string{}, demo...), "report", "--month", month),
	} {
		out, code := runTTY(t, 3*time.Minute, args...)
		if code != 0 {
			t.Errorf("ethidx %s: exit %d\n%s", strings.Join(args, " "), code, out)
		}
		if m := engineLine.FindString(out); m != "" {
			t.Errorf("ethidx %s printed engine diagnostics on the terminal (%q):\n%s", strings.Join(args[len(base):], " "), m, out)
		}
		if strings.Contains(out, "ThreadStatus") {
			t.Errorf("ethidx %s printed the engine's ThreadStatus diagnostic:\n%s", strings.Join(args[len(base):], " "), out)
		}
	}
	// The lines are kept where --verbose users look for them.
	if fi, err := os.Stat(filepath.Join(dir, "engine.log")); err != nil || fi.Size() == 0 {
		t.Errorf("no engine.log in the data dir: %v", err)
	}
	if _, code := runTTY(t, time.Minute, append(append([]string{}, base...), "--verbose", "sql", "SELECT 1")...); code != 0 {
		t.Errorf("--verbose sql: exit %d", code)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "engine.log"))
	if !strings.Contains(string(log), "<Debug>") {
		t.Errorf("--verbose did not make engine.log detailed")
	}
}
