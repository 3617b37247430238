package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// leafCommands lists the paths of the commands that run something, e.g.
// ["schema" "migrate"], with the command itself.
func leafCommands(cmds []*cli.Command, parent []string) (paths [][]string, leaves []*cli.Command) {
	for _, cmd := range cmds {
		path := append(slices.Clone(parent), cmd.Name)
		if len(cmd.Subcommands) > 0 {
			p, l := leafCommands(cmd.Subcommands, path)
			paths, leaves = append(paths, p...), append(leaves, l...)
			continue
		}
		paths, leaves = append(paths, path), append(leaves, cmd)
	}
	return paths, leaves
}

// parseOnly runs the command line through the real app, flag resolution
// and checks included, with every command's action replaced by one that
// records the value each of its flags ended with. No engine, no network.
func parseOnly(t *testing.T, args ...string) (map[string]string, error) {
	t.Helper()
	app := newApp()
	app.Writer, app.ErrWriter = io.Discard, io.Discard
	got := map[string]string{}
	_, leaves := leafCommands(app.Commands, nil)
	for _, cmd := range leaves {
		cmd.Action = func(c *cli.Context) error {
			for _, f := range c.Command.Flags {
				got[f.Names()[0]] = flagValue(c, f)
			}
			got["(args)"] = strings.Join(c.Args().Slice(), " ")
			return nil
		}
	}
	defer slog.SetDefault(slog.Default())
	err := app.RunContext(context.Background(), namesLast(append([]string{"ethidx"}, args...)))
	return got, err
}

func flagValue(c *cli.Context, f cli.Flag) string {
	name := f.Names()[0]
	if _, ok := f.(*cli.StringSliceFlag); ok {
		return strings.Join(c.StringSlice(name), ",")
	}
	return fmt.Sprint(c.Value(name))
}

// flagSamples holds a valid value, unlike the default, for every flag of
// every command ("" for a boolean flag); "command flag" keys override.
func flagSamples(t *testing.T) map[string]string {
	dir := t.TempDir()
	users := filepath.Join(dir, "users")
	if err := os.WriteFile(users, []byte("admin:pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"clickhouse": "http://127.0.0.1:8124/eth2",
		"data-dir":   filepath.Join(dir, "data"),
		"database":   "eth2",
		"http-addr":  "127.0.0.1:18123",
		"rpc":        "http://127.0.0.1:18545",
		"rps":        "2.5",
		"chain-id":   "7",
		"verify":     "structure",
		"batch":      "50",
		"workers":    "3",
		"log-format": "json",
		"verbose":    "",

		"from": "5", "to": "9", "from-date": "2026-01-01", "to-date": "2026-01-31",
		"query from": "2026-02-01", "query to": "2026-02-28",
		"worker": "1/2", "format": "csv", "list": "", "param": "a=b",
		"user-file": users, "user": "u:p", "readonly-user": "r:p",
		"max-execution-time": "5s", "max-memory-usage": "1000",
		"max-concurrent-queries-per-user": "3", "queue-timeout": "7s",
		"cluster": "c1", "month": "2026-01", "chart": "x.svg", "status format": "json",
		"table": "blocks", "output": "out",
		"definition": "senders", "report format": "json",
		"metrics-addr": "127.0.0.1:9100", "start": "3", "finality": "latest",
		"confirmations": "2", "once": "", "repair": "", "traces": "", "poll": "2s", "refresh": "2m0s", "ready-lag": "10",
		"rpc-addr": "127.0.0.1:18546", "block-time": "2s", "history": "1d",
		"history-interval": "1h0m0s", "accounts": "5", "seed": "9", "max-blocks": "3",
		"max-response-size": "16777216", "max-server-memory-usage": "8589934592", "reserved-memory": "1073741824",
		"max-memory-usage-for-user": strconv.FormatUint(defMemory.PerUser-1, 10),
	}
}

// companions are the flags a flag is only valid with: --cluster names
// the cluster of a --clickhouse server.
var companions = map[string][]string{"cluster": {"--clickhouse", "clickhouse://127.0.0.1:9000/eth"}}

func flagArgs(f cli.Flag, v string) []string {
	if _, ok := f.(*cli.BoolFlag); ok {
		return []string{"--" + f.Names()[0]}
	}
	return []string{"--" + f.Names()[0], v}
}

func want(f cli.Flag, v string) string {
	if _, ok := f.(*cli.BoolFlag); ok {
		return "true"
	}
	return v
}

// Every flag of every command takes effect after the command, and every
// grouped flag also before it (issue 10: 54 of 54 such combinations used
// to fail). Each sample differs from the default, so a flag that is
// dropped or reset fails the test.
func TestFlagPositions(t *testing.T) {
	samples := flagSamples(t)
	paths, leaves := leafCommands(newApp().Commands, nil)
	for i, cmd := range leaves {
		path := paths[i]
		cmdName := strings.Join(path, " ")
		defaults, err := parseOnly(t, path...)
		if err != nil {
			t.Fatalf("ethidx %s: %v", cmdName, err)
		}
		for _, f := range cmd.Flags {
			name := f.Names()[0]
			v, ok := samples[path[len(path)-1]+" "+name]
			if !ok {
				v, ok = samples[name]
			}
			if !ok {
				t.Errorf("ethidx %s --%s: the test has no sample value for this flag; add one", cmdName, name)
				continue
			}
			w := want(f, v)
			if defaults[name] == w {
				t.Errorf("ethidx %s --%s: sample %q is the default, so the test could not tell", cmdName, name, w)
			}
			positions := map[string][]string{"after": append(slices.Clone(path), flagArgs(f, v)...)}
			if sharedOf(f) != nil {
				positions["before"] = append(flagArgs(f, v), path...)
			}
			// A flag that needs another is given with it (at the end).
			for pos := range positions {
				positions[pos] = append(positions[pos], companions[name]...)
			}
			for pos, args := range positions {
				got, err := parseOnly(t, args...)
				if err != nil {
					t.Errorf("ethidx %s (flag %s the command): %v", strings.Join(args, " "), pos, err)
					continue
				}
				if got[name] != w {
					t.Errorf("ethidx %s (flag %s the command): --%s = %q, want %q", strings.Join(args, " "), pos, name, got[name], w)
				}
			}
		}
	}
}

// Every command's --help lists the flags that apply to it, under their
// groups' headings.
func TestCommandHelpListsItsFlags(t *testing.T) {
	paths, leaves := leafCommands(newApp().Commands, nil)
	for i, cmd := range leaves {
		app := newApp()
		var out bytes.Buffer
		app.Writer = &out
		args := append(append([]string{"ethidx"}, paths[i]...), "--help")
		if err := app.Run(args); err != nil {
			t.Fatalf("%s: %v", strings.Join(args, " "), err)
		}
		help := out.String()
		for _, f := range cmd.Flags {
			if vf, ok := f.(cli.VisibleFlag); ok && !vf.IsVisible() {
				if strings.Contains(help, "--"+f.Names()[0]+" ") {
					t.Errorf("%s shows hidden flag --%s", strings.Join(args, " "), f.Names()[0])
				}
				continue
			}
			if !strings.Contains(help, "--"+f.Names()[0]) {
				t.Errorf("%s does not list --%s", strings.Join(args, " "), f.Names()[0])
			}
			if cat := category(f); cat != "" && !strings.Contains(help, "\n   "+cat+"\n") {
				t.Errorf("%s has no %s heading for --%s", strings.Join(args, " "), cat, f.Names()[0])
			}
		}
	}
	// A storage command carries all of its group; the environment is named.
	app := newApp()
	var out bytes.Buffer
	app.Writer = &out
	if err := app.Run([]string{"ethidx", "follow", "--help"}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"--clickhouse", "--data-dir", "--database", "--http-addr", "--log-format", "--verbose", "--rpc", "ETH_RPC_URL", "ETHIDX_DATA_DIR"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("follow --help lacks %s", s)
		}
	}
}

// The command line beats the environment, in either position; the
// environment beats the default; --rpc also reads ETH_RPC_URL, after
// ETHIDX_RPC.
func TestFlagsFromEnvironment(t *testing.T) {
	envDir, argDir := t.TempDir(), t.TempDir()
	t.Setenv("ETHIDX_DATA_DIR", envDir)
	t.Setenv("ETHIDX_VERBOSE", "true")
	t.Setenv("ETH_RPC_URL", "http://127.0.0.1:1111")
	for _, tc := range []struct {
		args       []string
		name, want string
	}{
		{[]string{"serve"}, "data-dir", envDir},
		{[]string{"--data-dir", argDir, "serve"}, "data-dir", argDir},
		{[]string{"serve", "--data-dir", argDir}, "data-dir", argDir},
		{[]string{"--data-dir", envDir, "serve", "--data-dir", argDir}, "data-dir", argDir}, // the nearer wins
		{[]string{"schema", "migrate"}, "data-dir", envDir},
		{[]string{"--data-dir", argDir, "schema", "migrate"}, "data-dir", argDir},
		{[]string{"follow"}, "verbose", "true"},
		{[]string{"follow"}, "rpc", "http://127.0.0.1:1111"},
		{[]string{"--rpc", "http://127.0.0.1:2222", "follow"}, "rpc", "http://127.0.0.1:2222"},
		{[]string{"follow", "--rpc", "http://127.0.0.1:2222"}, "rpc", "http://127.0.0.1:2222"},
	} {
		got, err := parseOnly(t, tc.args...)
		if err != nil || got[tc.name] != tc.want {
			t.Errorf("ethidx %s: --%s = %q (err %v), want %q", strings.Join(tc.args, " "), tc.name, got[tc.name], err, tc.want)
		}
	}
	t.Setenv("ETHIDX_RPC", "http://127.0.0.1:3333")
	if got, err := parseOnly(t, "backfill"); err != nil || got["rpc"] != "http://127.0.0.1:3333" {
		t.Errorf("with ETHIDX_RPC and ETH_RPC_URL: --rpc = %q (err %v), want ETHIDX_RPC's", got["rpc"], err)
	}
	t.Setenv("ETHIDX_RPC", "http://127.0.0.1:99999")
	if _, err := parseOnly(t, "backfill"); exitCode(err) != 2 || !strings.Contains(fmt.Sprint(err), "port") {
		t.Errorf("ETHIDX_RPC with a bad port: %v, want exit 2 naming the port", err)
	}
}

// Bad values of the grouped flags and unknown commands exit 2 before any
// work, with a message naming the problem.
func TestBadFlagValues(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"engine", "bogus"}, `ethidx engine: unknown command "bogus"`},
		{[]string{"schema", "bogus"}, `ethidx schema: unknown command "bogus"`},
		{[]string{"serve", "--http-addr", "127.0.0.1:99999"}, `port "99999"`},
		{[]string{"--http-addr", "nonsense", "serve"}, "want host:port"},
		{[]string{"serve", "--http-addr", "127.0.0.1:-1"}, "port"},
		{[]string{"sql", "--clickhouse", "http://127.0.0.1:70000/eth", "SELECT 1"}, "want a port from 1 to 65535"},
		{[]string{"--clickhouse", "clickhouse://a:9000,b:99999/eth", "schema", "migrate"}, "host b:99999"},
		{[]string{"serve", "--data-dir", file}, "is a file, not a directory"},
		{[]string{"--data-dir", file, "backfill"}, "is a file, not a directory"},
		{[]string{"backfill", "--rpc", "http://127.0.0.1:99999"}, "port 99999"},
		{[]string{"follow", "--rpc", "ws://node:0"}, "port 0"},
		{[]string{"backfill", "--rps", "NaN"}, "--rps NaN"},
		{[]string{"backfill", "--rps", "Inf"}, "--rps +Inf"},
		{[]string{"--rps", "-Inf", "follow"}, "--rps -Inf"},
		{[]string{"backfill", "--rps", "-1"}, "--rps -1"},
		{[]string{"backfill", "--workers", "100000000"}, fmt.Sprintf("want 1 to %d", maxWorkers)},
		{[]string{"--workers", "0", "follow"}, "--workers 0"},
		{[]string{"backfill", "--batch", "0"}, "--batch 0"},
		{[]string{"verify", "--batch", "1000000000"}, fmt.Sprintf("want 1 to %d blocks", maxBatch)},
		{[]string{"query", "--log-format", "xml", "daily_activity"}, "--log-format"},
		{[]string{"report", "--database", "eth;drop"}, "--database"},
		{[]string{"report", "--database", "9eth"}, "--database"},
		{[]string{"--cluster", "9c", "schema", "print"}, "--cluster"},
	} {
		_, err := parseOnly(t, tc.args...)
		if code := exitCode(err); code != 2 || !strings.Contains(fmt.Sprint(err), tc.want) {
			t.Errorf("ethidx %s: exit %d, %v; want exit 2 mentioning %q", strings.Join(tc.args, " "), code, err, tc.want)
		}
	}
}

// namesLast puts the arguments of query and sql after their flags, so
// flags on either side of NAME or "SQL" count.
func TestNamesLastKeepsFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		name string
		want string
	}{
		{[]string{"query", "daily_activity", "--from-date", "2026-01-01"}, "from-date", "2026-01-01"},
		{[]string{"query", "--format", "csv", "daily_activity", "--to-date", "2026-01-31"}, "to-date", "2026-01-31"},
		{[]string{"query", "daily_activity", "--from", "2026-01-01"}, "from", "2026-01-01"},
		{[]string{"--data-dir", "d", "query", "daily_activity", "--database", "x"}, "database", "x"},
		{[]string{"sql", "SELECT 1", "--format", "json"}, "format", "json"},
		{[]string{"--verbose", "sql", "--format", "tsv", "SELECT 1"}, "format", "tsv"},
	} {
		got, err := parseOnly(t, tc.args...)
		if err != nil || got[tc.name] != tc.want {
			t.Errorf("ethidx %s: --%s = %q (err %v), want %q", strings.Join(tc.args, " "), tc.name, got[tc.name], err, tc.want)
		}
		if a := got["(args)"]; a != "daily_activity" && a != "SELECT 1" {
			t.Errorf("ethidx %s: arguments %q, want the name or the SQL alone", strings.Join(tc.args, " "), a)
		}
	}
}
