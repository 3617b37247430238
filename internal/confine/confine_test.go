package confine_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ethidx/ethidx/indexer/chdb"
	"github.com/ethidx/ethidx/internal/confine"
)

// The confinement tests run the engine in a child process (this test
// binary again), so the test runner itself is never confined.
const childEnv = "ETHIDX_CONFINE_TEST_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		os.Exit(child(dir, os.Getenv("ETHIDX_CONFINE_TEST_SECRET")))
	}
	os.Exit(m.Run())
}

// result is one statement the child ran.
type result struct {
	Name string `json:"name"`
	SQL  string `json:"sql"`
	Out  string `json:"out"`
	Err  string `json:"err"`
}

// child confines itself as ethidx does, opens the engine on dir and runs
// an ordinary workload and then, as the process's own trusted statements
// (the host guard does not check them: this is the guard switched off),
// statements that read the host. It prints one JSON result per line.
func child(dir, secret string) int {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	e, err := chdb.Open(dir, chdb.Options{Logger: log, Confine: func(dataDir, lib string) error {
		return confine.Apply(confine.Rules{ReadWrite: []string{dataDir}, ReadOnly: []string{lib}}, log)
	}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		return 3
	}
	defer e.Close()
	ctx := context.Background()
	enc := json.NewEncoder(os.Stdout)
	if !confine.Applied() {
		fmt.Fprintln(os.Stderr, "not confined")
		return 4
	}
	run := func(name, sql string) {
		out, err := e.Query(ctx, sql, "TSV", nil)
		r := result{Name: name, SQL: sql, Out: string(out)}
		if err != nil {
			r.Err = err.Error()
		}
		_ = enc.Encode(r)
	}
	s := func(sql string) string { return strings.ReplaceAll(sql, "SECRET", secret) }
	// What ethidx does with its engine keeps working.
	run("workload", "CREATE TABLE t (a UInt64, s String) ENGINE = ReplacingMergeTree ORDER BY a")
	run("workload", "INSERT INTO t SELECT number, toString(number) FROM numbers(100000)")
	run("workload", "INSERT INTO t SELECT number, toString(number) FROM numbers(50000, 100000)")
	run("workload", "OPTIMIZE TABLE t FINAL")
	run("workload", "SELECT count() FROM t FINAL SETTINGS max_threads = 4")
	run("workload", "SELECT sum(a) FROM (SELECT a FROM t ORDER BY s LIMIT 100000) SETTINGS max_bytes_before_external_sort = 1000000")
	run("workload", "CREATE DATABASE d2")
	run("workload", "RENAME TABLE t TO d2.t")
	run("workload", "DROP TABLE d2.t SYNC")
	// The host, through functions the guard refuses.
	run("host", s("SELECT file('SECRET')"))
	run("host", "SELECT file('/etc/passwd')")
	run("host", "SELECT file('/proc/self/environ')")
	run("host", "SELECT file('/proc/self/cmdline')")
	run("host", s("SELECT * FROM file('SECRET', 'LineAsString')"))
	run("host", s("SELECT * FROM file('SECRET', 'LineAsString') SETTINGS max_threads = 8"))
	run("host", s("SELECT hasColumnInTable('default', 'SECRET', 'k')"))
	run("host", s("SELECT * FROM default.`SECRET`"))
	run("host", "SELECT * FROM file('/etc/hostname', 'LineAsString')")
	run("host", s("INSERT INTO FUNCTION file('SECRET.out', 'TSV', 'a String') SELECT 'x'"))
	// A glob lists the directory: nothing to list, nothing read.
	run("glob", "SELECT * FROM file('"+filepath.Dir(secret)+"/*', 'LineAsString')")
	run("host", "SELECT * FROM sqlite('"+secret+"', 't')")
	// A thread started after the restriction (here Go's; the engine's
	// ran the statements above) is confined too.
	done := make(chan result)
	go func() {
		runtime.LockOSThread() // a thread of its own, never unlocked: it exits with the goroutine
		_, err := os.ReadFile(secret)
		r := result{Name: "host", SQL: "os.ReadFile on a new thread"}
		if err != nil {
			r.Err = err.Error()
		}
		done <- r
	}()
	_ = enc.Encode(<-done)
	return 0
}

func TestConfinedEngineReadsNothingOutside(t *testing.T) {
	if !confine.Available() {
		t.Fatal("this kernel has no Landlock: the confinement cannot be tested here")
	}
	secretDir := t.TempDir()
	secret := filepath.Join(secretDir, "secret.json")
	marker := fmt.Sprintf("ETHIDX-CONFINE-%d", os.Getpid())
	if err := os.WriteFile(secret, []byte(`{"k": "`+marker+`"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A web server holding the secret: the network is not confined (the
	// guard refuses url()), so it only shows the child really ran.
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(ln)
	defer srv.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+t.TempDir(), "ETHIDX_CONFINE_TEST_SECRET="+secret)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if strings.Contains(stderr.String(), "not confined") {
		t.Fatalf("the child could not confine itself (a test binary built with CGO_ENABLED=0 cannot):\n%s", stderr.String())
	}
	if err != nil {
		t.Fatalf("child: %v\n%s", err, stderr.String())
	}
	hosts, workloads := 0, 0
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("child output %q: %v", sc.Text(), err)
		}
		switch r.Name {
		case "workload":
			workloads++
			if r.Err != "" {
				t.Errorf("confined engine failed ethidx's own work: %s: %s", r.SQL, r.Err)
			}
		case "glob":
			hosts++
			if r.Out != "" {
				t.Errorf("confined process listed the host: %s -> %q", r.SQL, r.Out)
			}
		case "host":
			hosts++
			if r.Err == "" {
				t.Errorf("confined process reached the host: %s -> %q", r.SQL, r.Out)
			}
			if strings.Contains(r.Out+r.Err, marker) || strings.Contains(r.Out+r.Err, "root:x:0:0") {
				t.Errorf("%s leaked the host: %q %q", r.SQL, r.Out, r.Err)
			}
			t.Logf("%s: %.160s", r.SQL, r.Err)
		}
	}
	if workloads != 9 || hosts != 13 {
		t.Fatalf("child ran %d workload and %d host statements; stderr:\n%s", workloads, hosts, stderr.String())
	}
	if _, err := os.Stat(secret + ".out"); err == nil {
		t.Error("the confined engine wrote beside the secret")
	}
}
