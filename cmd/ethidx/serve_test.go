package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ethidx/ethidx/indexer/chdb"
	"github.com/ethidx/ethidx/indexer/sqlhttp"
)

// serveUsers runs `ethidx serve ARGS` in process up to the point where it
// has its users, and returns them with what it logged.
func serveUsers(t *testing.T, args ...string) ([]sqlhttp.User, string, error) {
	t.Helper()
	app := newApp()
	app.Writer, app.ErrWriter = io.Discard, io.Discard
	var users []sqlhttp.User
	var logged bytes.Buffer
	app.Command("serve").Action = func(c *cli.Context) error {
		slog.SetDefault(slog.New(slog.NewTextHandler(&logged, nil)))
		var err error
		users, err = endpointUsers(c)
		return err
	}
	defer slog.SetDefault(slog.Default())
	err := app.Run(append([]string{"ethidx", "serve"}, args...))
	return users, logged.String(), err
}

func userList(us []sqlhttp.User) string {
	var s []string
	for _, u := range us {
		ro := ""
		if u.ReadOnly {
			ro = "readonly "
		}
		s = append(s, ro+u.Name+":"+u.Password)
	}
	slices.Sort(s)
	return strings.Join(s, ", ")
}

// Users come from a file and the environment without a warning; a
// password on the command line still works, with a warning.
func TestServeUsers(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "users")
	if err := os.WriteFile(file, []byte("# ethidx endpoint users\n\nadmin:s3:cr et\r\n  readonly grafana:pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(dir, "open-users")
	if err := os.WriteFile(open, []byte("admin:pw\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad-users")
	if err := os.WriteFile(bad, []byte("admin:pw\nreadonly nopassword\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const warning = "visible to every local user in the process list"
	for _, tc := range []struct {
		env      map[string]string
		args     []string
		want     string
		warn     string // "" = no warning at all
		errorHas string
	}{
		{args: []string{"--user-file", file}, want: "admin:s3:cr et, readonly grafana:pw"},
		{env: map[string]string{"ETHIDX_USER_FILE": file}, want: "admin:s3:cr et, readonly grafana:pw"},
		{env: map[string]string{"ETHIDX_USERS": "ops:a,readonly bi:b"}, want: "ops:a, readonly bi:b"},
		{env: map[string]string{"ETHIDX_USERS": "ops:a,b\nreadonly bi:c"}, want: "ops:a,b, readonly bi:c"},
		{env: map[string]string{"ETHIDX_READONLY_USERS": "bi:b"}, want: "readonly bi:b"},
		{args: []string{"--user", "admin:pw", "--readonly-user", "bi:pw"}, want: "admin:pw, readonly bi:pw", warn: warning},
		{args: []string{"--user-file", open}, want: "admin:pw", warn: "chmod 600"},
		{args: []string{"--user-file", bad}, errorHas: "line 2"},
		{args: []string{"--user-file", file, "--user", "admin:x"}, errorHas: `user "admin" is given more than once`},
		{args: []string{"--user", "bad name:pw"}, errorHas: "user name"},
		{args: []string{"--user", "nopass"}, errorHas: "want name:password"},
		{args: []string{"--user-file", filepath.Join(dir, "missing")}, errorHas: "--user-file"},
	} {
		for k, v := range tc.env {
			t.Setenv(k, v)
		}
		users, logged, err := serveUsers(t, tc.args...)
		for k := range tc.env {
			os.Unsetenv(k)
		}
		name := fmt.Sprintf("serve %s (env %v)", strings.Join(tc.args, " "), tc.env)
		if tc.errorHas != "" {
			if exitCode(err) != 2 || !strings.Contains(fmt.Sprint(err), tc.errorHas) {
				t.Errorf("%s: %v, want exit 2 mentioning %q", name, err, tc.errorHas)
			}
			if strings.Contains(fmt.Sprint(err), "pw") {
				t.Errorf("%s: the error shows a password: %v", name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := userList(users); got != tc.want {
			t.Errorf("%s: users %q, want %q", name, got, tc.want)
		}
		if tc.warn == "" && strings.Contains(logged, "WARN") || tc.warn != "" && !strings.Contains(logged, tc.warn) {
			t.Errorf("%s: logged %q, want warning %q", name, logged, tc.warn)
		}
	}
}

// Through the binary: users given by file and environment can log in with
// their rights, and no password is in the process's argument list.
func TestServeUsersNotInArgv(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(t.TempDir(), "users")
	if err := os.WriteFile(file, []byte("admin:file-admin-pw\nreadonly bi:file-bi-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	serve := exec.Command(ethidxBin, "serve", "--data-dir", dir, "--http-addr", "127.0.0.1:0", "--user-file", file)
	serve.Env = append(os.Environ(), "ETHIDX_USERS=ops:env-ops-pw")
	out := &lockedBuffer{}
	serve.Stdout, serve.Stderr = out, out
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { serve.Process.Kill(); serve.Wait() }()
	// Port 0 and the address serve logs: no other program can hold it.
	addrRe := regexp.MustCompile(`"serving SQL" addr=(\S+)`)
	var addr string
	for deadline := time.Now().Add(60 * time.Second); addr == ""; time.Sleep(100 * time.Millisecond) {
		if m := addrRe.FindStringSubmatch(out.String()); m != nil {
			addr = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve never said where it serves\n%s", out.String())
		}
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", serve.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(cmdline, []byte("-pw")) {
		t.Errorf("a password is in the argument list: %q", cmdline)
	}
	query := func(user, pass, sql string) int {
		req, _ := http.NewRequestWithContext(context.Background(), "POST", "http://"+addr+"/", strings.NewReader(sql))
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct {
		user, pass, sql string
		ok              bool
	}{
		{"admin", "file-admin-pw", "CREATE TABLE IF NOT EXISTS eth.t (x UInt8) ENGINE = Memory", true},
		{"ops", "env-ops-pw", "INSERT INTO eth.t VALUES (1)", true},
		{"bi", "file-bi-pw", "SELECT count() FROM eth.t", true},
		{"bi", "file-bi-pw", "INSERT INTO eth.t VALUES (2)", false},
		{"admin", "wrong", "SELECT 1", false},
		{"", "", "SELECT 1", false},
	} {
		if code := query(tc.user, tc.pass, tc.sql); (code == http.StatusOK) != tc.ok {
			t.Errorf("%s %q: HTTP %d, want success %v", tc.user, tc.sql, code, tc.ok)
		}
	}
	if strings.Contains(out.String(), "visible to every local user") {
		t.Errorf("serve warned about command-line passwords it was not given:\n%s", out.String())
	}
}

// lockedBuffer collects a child's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Issue 10's judgement, through the binary: `ethidx serve --http-addr A
// --data-dir D` and `ethidx --data-dir D --http-addr A serve` both serve D
// on A (port 0 here: any port but the default's shows A was taken), and
// neither touches the default data dir.
func TestServeFlagsEitherSide(t *testing.T) {
	t.Parallel()
	for _, order := range []string{"after", "before"} {
		cwd, dir, addr := t.TempDir(), filepath.Join(t.TempDir(), "d"), "127.0.0.1:0"
		args := []string{"serve", "--http-addr", addr, "--data-dir", dir}
		if order == "before" {
			args = []string{"--data-dir", dir, "--http-addr", addr, "serve"}
		}
		serve := exec.Command(ethidxBin, args...)
		serve.Dir = cwd
		out := &lockedBuffer{}
		serve.Stdout, serve.Stderr = out, out
		if err := serve.Start(); err != nil {
			t.Fatal(err)
		}
		exited, done := make(chan error, 1), make(chan struct{})
		go func() { exited <- serve.Wait(); close(done) }()
		t.Cleanup(func() { _ = serve.Process.Kill(); <-done })
		addr = loggedAddr(t, out, "serving SQL", func() bool { return isClosed(done) })
		if strings.HasSuffix(addr, ":8123") || !strings.HasPrefix(addr, "127.0.0.1:") {
			t.Errorf("flags %s serve: serving on %s, want the port 0 of --http-addr 127.0.0.1:0", order, addr)
		}
		if ep := chdb.ReadEndpoint(dir); ep.Addr != addr {
			t.Errorf("flags %s serve: %s advertises %+v, want %s", order, dir, ep, addr)
		}
		resp, err := http.Get("http://" + addr + "/?query=SELECT+count()+FROM+system.tables+WHERE+database%3D'eth'")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || strings.TrimSpace(string(body)) == "0" {
			t.Errorf("flags %s serve: %s answered %d %q, want ethidx's tables", order, addr, resp.StatusCode, body)
		}
		serve.Process.Signal(syscall.SIGTERM)
		if err := <-exited; err != nil {
			t.Errorf("flags %s serve: exit %v after SIGTERM\n%s", order, err, out.String())
		}
		if _, err := os.Stat(filepath.Join(cwd, "ethidx-data")); err == nil {
			t.Errorf("flags %s serve: the default data dir was created as well", order)
		}
	}
}
