package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ethidx/ethidx/indexer/devchain"
)

// example is one ethidx command line from the README or a command's help.
type example struct {
	where  string   // README.md:LINE or "ethidx CMD --help"
	env    []string // VAR=value assignments before the command
	args   []string // after "ethidx"
	server bool     // needs a ClickHouse server: checked for parsing only
}

// shellWords splits a command line as sh would for the forms the examples
// use: quotes, backslash escapes, trailing comments and VAR=value prefixes.
func shellWords(line string) ([]string, error) {
	var (
		words []string
		cur   strings.Builder
		in    bool // inside a word
		quote rune
	)
	for i := 0; i < len(line); i++ {
		ch := rune(line[i])
		switch {
		case quote == '\'':
			if ch == '\'' {
				quote = 0
			} else {
				cur.WriteRune(ch)
			}
		case quote == '"':
			switch {
			case ch == '"':
				quote = 0
			case ch == '\\' && i+1 < len(line) && strings.ContainsRune(`"\$`, rune(line[i+1])):
				i++
				cur.WriteByte(line[i])
			default:
				cur.WriteRune(ch)
			}
		case ch == '\'' || ch == '"':
			quote, in = ch, true
		case ch == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			in = true
		case ch == ' ' || ch == '\t':
			if in {
				words, in = append(words, cur.String()), false
				cur.Reset()
			}
		case ch == '#' && !in:
			return words, nil
		default:
			cur.WriteRune(ch)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote", quote)
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}

var (
	assignment    = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*=`)
	inlineCommand = regexp.MustCompile("`((?:bin/)?ethidx [^`]+)`")
	placeholder   = regexp.MustCompile(`^[A-Z]+$`)
)

// parseExample reads an ethidx command line, or reports it is not one.
func parseExample(where, line string) (example, bool, error) {
	words, err := shellWords(line)
	if err != nil {
		return example{}, false, fmt.Errorf("%s: %v", where, err)
	}
	ex := example{where: where}
	for len(words) > 0 && assignment.MatchString(words[0]) {
		ex.env, words = append(ex.env, words[0]), words[1:]
	}
	if len(words) == 0 || (words[0] != "ethidx" && words[0] != "bin/ethidx") {
		return example{}, false, nil
	}
	ex.args = words[1:]
	return ex, true, nil
}

// readmeExamples are the ethidx lines of the README's sh blocks and the
// complete ethidx command lines quoted in its text. A block that exports
// ETHIDX_CLICKHOUSE, or a line with --clickhouse, addresses a server.
func readmeExamples(t *testing.T) []example {
	f, err := os.Open("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		exs     []example
		inBlock bool
		export  string // the block's ETHIDX_CLICKHOUSE=..., if any
	)
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "```sh"):
			inBlock, export = true, ""
			continue
		case strings.HasPrefix(line, "```"):
			inBlock = false
			continue
		case !inBlock:
			// Command lines quoted in the text count too, unless they hold
			// placeholders (ethidx CMD --help).
			for _, m := range inlineCommand.FindAllStringSubmatch(line, -1) {
				ex, ok, err := parseExample(fmt.Sprintf("README.md:%d", n), m[1])
				if err != nil {
					t.Fatal(err)
				}
				if ok && !slices.ContainsFunc(ex.args, placeholder.MatchString) {
					exs = append(exs, ex)
				}
			}
			continue
		case strings.HasPrefix(line, "export ETHIDX_CLICKHOUSE="):
			words, err := shellWords(line)
			if err != nil || len(words) != 2 {
				t.Fatalf("README.md:%d: %q: %v", n, line, err)
			}
			export = words[1]
			continue
		}
		ex, ok, err := parseExample(fmt.Sprintf("README.md:%d", n), line)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			if export != "" {
				ex.server, ex.env = true, append(ex.env, export)
			}
			exs = append(exs, ex)
		}
	}
	return exs
}

// helpExamples are the command lines of every command's usage text.
func helpExamples(t *testing.T) []example {
	var exs []example
	paths, leaves := leafCommands(newApp().Commands, nil)
	for i, cmd := range leaves {
		for _, line := range strings.Split(cmd.UsageText, "\n") {
			ex, ok, err := parseExample("ethidx "+strings.Join(paths[i], " ")+" --help", strings.TrimSpace(line))
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				t.Errorf("ethidx %s --help: usage line %q is not an ethidx command line", strings.Join(paths[i], " "), line)
				continue
			}
			exs = append(exs, ex)
		}
	}
	return exs
}

// substitute points an example at the test's node, ports and blocks:
// --rpc at the dev chain, every listen address at a free port, block
// numbers the chain does not have (and the placeholders N, M) into its
// range, a user file at one the test wrote.
func substitute(ex example, rpcAddr string, head uint64, users string) example {
	args := append([]string(nil), ex.args...)
	hasHTTPAddr, hasRPCAddr := false, false
	for i := 0; i+1 < len(args); i++ {
		flag, v := strings.TrimLeft(args[i], "-"), args[i+1]
		if !strings.HasPrefix(args[i], "-") || strings.Contains(flag, "=") {
			continue
		}
		switch flag {
		case "rpc":
			if strings.HasPrefix(v, "ws") {
				args[i+1] = "ws://" + rpcAddr
			} else {
				args[i+1] = "http://" + rpcAddr
			}
		case "http-addr", "metrics-addr", "rpc-addr":
			args[i+1] = "127.0.0.1:0"
			hasHTTPAddr = hasHTTPAddr || flag == "http-addr"
			hasRPCAddr = hasRPCAddr || flag == "rpc-addr"
		case "from", "to", "start":
			n, err := strconv.ParseUint(v, 10, 64)
			switch {
			case v == "N" || (err == nil && n > head && flag != "to"):
				args[i+1] = "1"
			case v == "M" || (err == nil && n > head):
				args[i+1] = strconv.FormatUint(head, 10)
			}
		case "user-file":
			args[i+1] = users
		}
	}
	// Default ports may be taken on a shared machine.
	if !hasHTTPAddr {
		args = append([]string{"--http-addr", "127.0.0.1:0"}, args...)
	}
	if !hasRPCAddr && slices.Contains(args, "devnet") {
		args = append(args, "--rpc-addr", "127.0.0.1:0")
	}
	ex.args = args
	return ex
}

// daemon reports whether the example runs until stopped, and the line it
// logs once it is up.
func daemon(args []string) (string, bool) {
	switch {
	case slices.Contains(args, "serve"):
		return "serving SQL", true
	case slices.Contains(args, "follow") && !slices.Contains(args, "--once"):
		return "follow: ", true
	case slices.Contains(args, "devnet") && !slices.Contains(args, "--max-blocks"):
		return "devnet ready", true
	}
	return "", false
}

// The README's command lines and every command's --help examples run as
// written (pointed at a dev chain, free ports and a scratch directory) and
// exit 0; those for a ClickHouse server parse. A long-running command is
// stopped with SIGTERM once it is up, and must then exit 0.
func TestDocumentedExamples(t *testing.T) {
	t.Parallel()
	readme, help := readmeExamples(t), helpExamples(t)
	if len(readme) < 12 || len(help) < 20 {
		t.Fatalf("found %d README and %d help examples: the extraction is broken", len(readme), len(help))
	}
	// Two months of history around January 2026, the month the examples
	// report on, every 6 hours.
	chain, err := devchain.New(devchain.Config{Seed: 3, MinTxs: 10, MaxTxs: 14,
		GenesisTime: time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), BlockInterval: 6 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	// Closed once the subtests below, which run after this function
	// returns, are done.
	t.Cleanup(func() { chain.Close() })
	for chain.Head().Time < uint64(time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC).Unix()) {
		if _, err := chain.Mine(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	rpcAddr, err := chain.ServeRPC(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	head := chain.Head().Number.Uint64()
	dir := t.TempDir()
	users := filepath.Join(dir, "users")
	if err := os.WriteFile(users, []byte("admin:s3cret\nreadonly grafana:pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Lines that name no node (ethidx follow --once) use ETH_RPC_URL.
	env := []string{"ETH_RPC_URL=http://" + rpcAddr}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ETHIDX_") && !strings.HasPrefix(kv, "ETH_RPC_URL=") || strings.HasPrefix(kv, "ETHIDX_LIBCHDB=") {
			env = append(env, kv)
		}
	}
	// The examples that use the store run in order in one data dir (a
	// backfill, then its queries); the devnet ones touch no store, so they
	// run beside them instead of after them (about 40 s of mining).
	// A line shown in several places (the README and --help, or twice in
	// the README) runs once, where it first appears: each run of a
	// command starts the engine, about half a second of CPU.
	var store, devnet []example
	seen := map[string]string{}
	for _, ex := range append(readme, help...) {
		ex = substitute(ex, rpcAddr, head, users)
		key := fmt.Sprintf("%q %q", ex.env, ex.args)
		if first, ok := seen[key]; ok {
			t.Logf("%s: ethidx %s: run as at %s", ex.where, strings.Join(ex.args, " "), first)
			continue
		}
		seen[key] = ex.where
		switch {
		case ex.server || slices.Contains(ex.args, "--clickhouse"):
			continue // TestDocumentedServerExamplesParse
		case slices.Contains(ex.args, "devnet"):
			devnet = append(devnet, ex)
		default:
			store = append(store, ex)
		}
	}
	for name, exs := range map[string][]example{"store": store, "devnet": devnet} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, ex := range exs {
				runExample(t, ex, dir, append(append([]string(nil), env...), ex.env...))
			}
		})
	}
}

// The README's and --help's command lines for a ClickHouse server parse
// (with the environment their block sets) as ethidx reads them; running
// them needs a server. Apart from TestDocumentedExamples, which runs in
// parallel with other tests, as this one sets the environment.
func TestDocumentedServerExamplesParse(t *testing.T) {
	users := filepath.Join(t.TempDir(), "users")
	if err := os.WriteFile(users, []byte("admin:s3cret\nreadonly grafana:pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ex := range append(readmeExamples(t), helpExamples(t)...) {
		ex = substitute(ex, "127.0.0.1:8545", 252, users)
		if !ex.server && !slices.Contains(ex.args, "--clickhouse") {
			continue
		}
		n++
		for _, kv := range ex.env {
			k, v, _ := strings.Cut(kv, "=")
			t.Setenv(k, v)
		}
		if _, err := parseOnly(t, ex.args...); err != nil {
			t.Errorf("%s: ethidx %s does not parse: %v", ex.where, strings.Join(ex.args, " "), err)
		}
		for _, kv := range ex.env {
			k, _, _ := strings.Cut(kv, "=")
			os.Unsetenv(k)
		}
	}
	if n < 5 {
		t.Fatalf("found %d examples for a ClickHouse server: the extraction is broken", n)
	}
}

func runExample(t *testing.T, ex example, dir string, env []string) {
	t.Helper()
	line := "ethidx " + strings.Join(ex.args, " ")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, ethidxBin, ex.args...)
	cmd.Dir, cmd.Env = dir, env
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var err error
	if ready, ok := daemon(ex.args); ok {
		select {
		case err = <-exited:
			t.Errorf("%s: %s exited before it was stopped: %v\n%s", ex.where, line, err, out.String())
			return
		case <-waitFor(ctx, out, ready):
		}
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err = <-exited:
		case <-time.After(time.Minute):
			t.Errorf("%s: %s still running a minute after SIGTERM", ex.where, line)
			return
		}
	} else {
		err = <-exited
	}
	if err != nil {
		t.Errorf("%s: %s: %v\n%s", ex.where, line, err, out.String())
		return
	}
	t.Logf("%s: %s: ok in %s", ex.where, line, time.Since(start).Round(100*time.Millisecond))
}

// waitFor is closed once out holds s, or ctx ends.
func waitFor(ctx context.Context, out *lockedBuffer, s string) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		for !strings.Contains(out.String(), s) && ctx.Err() == nil {
			time.Sleep(50 * time.Millisecond)
		}
	}()
	return ch
}
