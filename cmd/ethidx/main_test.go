package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// The tests in this package run ethidx as a process: this test binary
// itself, started under the name "ethidx" (a symlink to it), runs main()
// instead of the tests, as go-ethereum's cmd/geth tests re-execute
// theirs. So no test waits for a build, and one test starts in about a
// second.
var ethidxBin string

// inProcessEngine is held while a test opens a data dir in this process:
// the embedded engine serves one data directory per process, and the
// tests that run ethidx processes run in parallel.
var inProcessEngine sync.Mutex

func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == "ethidx" {
		main() // exits
	}
	exe, err := os.Executable()
	if err != nil {
		panic(err)
	}
	dir, err := os.MkdirTemp("", "ethidx-e2e-")
	if err != nil {
		panic(err)
	}
	ethidxBin = filepath.Join(dir, "ethidx")
	if err := os.Symlink(exe, ethidxBin); err != nil {
		fmt.Fprintln(os.Stderr, "linking ethidx to the test binary:", err)
		os.Exit(1)
	}
	// The tests mostly wait on the processes they start (a whole run used
	// about a quarter of one core), so more of them run at once than
	// go test's default of one per core; -parallel N still decides.
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given && runtime.GOMAXPROCS(0) < 4 {
		flag.Set("test.parallel", "4")
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// run runs ethidx with args and returns its combined output and exit code.
func run(t *testing.T, timeout time.Duration, args ...string) (string, int) {
	t.Helper()
	return runEnv(t, timeout, nil, args...)
}

// runEnv is run with the environment env (nil: this process's).
func runEnv(t *testing.T, timeout time.Duration, env []string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, ethidxBin, args...)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &exit):
		return out.String(), exit.ExitCode()
	default:
		t.Fatalf("running ethidx %v: %v", args, err)
		return "", -1
	}
}

// loggedAddr waits until out holds the log line msg with addr=HOST:PORT,
// where a process told to listen on port 0 listens, and returns that
// address. A port found free and closed again can be taken by another
// program before the process binds it; port 0 cannot.
func loggedAddr(t *testing.T, out fmt.Stringer, msg string, exited func() bool) string {
	t.Helper()
	re := regexp.MustCompile(`msg="?` + regexp.QuoteMeta(msg) + `"?[^\n]*? addr=(\S+)`)
	for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
		if exited != nil && exited() || time.Now().After(deadline) {
			t.Fatalf("never logged %q with its address\n%s", msg, out.String())
		}
	}
}

// isClosed reports whether ch is closed, without waiting.
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// freeAddr is a loopback address nothing listens on: a node that is down.
// A process that must listen is given port 0 instead (loggedAddr).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestNamesLast(t *testing.T) {
	for in, want := range map[string]string{
		"ethidx query daily_activity --from 2026-01-01":         "ethidx query --from 2026-01-01 daily_activity",
		"ethidx --data-dir d query daily_activity --format csv": "ethidx --data-dir d query --format csv daily_activity",
		"ethidx query --list":                                   "ethidx query --list",
		"ethidx sql SELECT --format json":                       "ethidx sql --format json SELECT",
		"ethidx backfill --from 1 --to 2":                       "ethidx backfill --from 1 --to 2",
		"ethidx --http-addr=x query monthly_growth":             "ethidx --http-addr=x query monthly_growth",
	} {
		if got := strings.Join(namesLast(strings.Fields(in)), " "); got != want {
			t.Errorf("namesLast(%q) = %q, want %q", in, got, want)
		}
	}
}
