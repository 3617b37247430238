package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ethidx/ethidx/indexer/chdb"
	"github.com/ethidx/ethidx/indexer/sqlhttp"
)

// ask sends one statement to an endpoint as user (none: no credentials).
func ask(t *testing.T, addr, user, password, sql string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", "http://"+addr+"/", strings.NewReader(sql))
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// A ClickHouse server on its default port (127.0.0.1:8123, which serve
// takes by default too) does not stop ethidx's other commands: their
// endpoint is private, on a free port.
func TestCommandsBesideClickHouseOnDefaultPort(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", sqlhttp.DefaultAddr)
	if errors.Is(err, syscall.EADDRINUSE) {
		t.Skipf("%s is already taken by another program on this machine, which is the case this test makes; nothing to add", sqlhttp.DefaultAddr)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // a stand-in server: accepts and answers nothing useful
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, rpc := devChain(t, 12)
	dir := t.TempDir()
	for _, args := range [][]string{
		{"backfill", "--rpc", rpc, "--from", "0", "--to", "12"},
		{"status"},
		{"query", "daily_activity"},
		{"sql", "SELECT count() FROM blocks"},
	} {
		out, code := run(t, 3*time.Minute, append([]string{"--data-dir", dir}, args...)...)
		if code != 0 {
			t.Errorf("%s with %s held: exit %d\n%s", args[0], sqlhttp.DefaultAddr, code, out)
		}
	}
	// report has no complete month here: exit 1 saying so, not 2.
	if out, code := run(t, 3*time.Minute, "--data-dir", dir, "report"); code != 1 || strings.Contains(out, "in use") {
		t.Errorf("report with %s held: exit %d\n%s", sqlhttp.DefaultAddr, code, out)
	}
}

// The setup the Grafana guide documents: a follower keeps the store
// current while `ethidx serve --readonly-user` beside it, on the same data
// dir, answers Grafana's read-only user with the follower's rows as they
// come; the follower's own endpoint admits nobody without its account.
func TestServeBesideFollow(t *testing.T) {
	t.Parallel()
	chain, rpc := devChain(t, 20)
	dir := t.TempDir()
	follow := startProc(t, nil, "--data-dir", dir, "follow", "--rpc", rpc, "--finality", "latest", "--start", "0", "--poll", "200ms")
	var owner chdb.Endpoint
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
		if owner = chdb.ReadEndpoint(dir); owner.Addr != "" && strings.Contains(follow.out.String(), "follow: ") {
			break
		}
		if follow.exited() || time.Now().After(deadline) {
			t.Fatalf("the follower never advertised its endpoint: %v\n%s", follow.err, follow.out.String())
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, chdb.EndpointFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("endpoint file: %v %v, want mode 0600", err, fi)
	}
	if strings.HasSuffix(owner.Addr, ":8123") || !strings.HasPrefix(owner.Addr, "127.0.0.1:") {
		t.Errorf("the follower listens on %s, want a free loopback port", owner.Addr)
	}

	serve := startProc(t, append(os.Environ(), "ETHIDX_READONLY_USERS=grafana:pw"), "--data-dir", dir, "--http-addr", "127.0.0.1:0", "serve")
	addr := loggedAddr(t, serve.out, "serving SQL", serve.exited)

	tip := func() int {
		code, body := ask(t, addr, "grafana", "pw", "SELECT max(number) FROM eth.blocks")
		n, err := strconv.Atoi(body)
		if code != 200 || err != nil {
			t.Fatalf("grafana through serve: %d %q", code, body)
		}
		return n
	}
	first := tip()
	for range 5 {
		if _, err := chain.Mine(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(3 * time.Minute); tip() < first+5; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the follower's new blocks never reached grafana through serve: tip %d, was %d\n%s", tip(), first, follow.out.String())
		}
	}
	if code, body := ask(t, addr, "grafana", "pw", "INSERT INTO eth.chain (chain_id) VALUES (5)"); code == 200 {
		t.Errorf("grafana's insert through serve: 200 %q, want a refusal", body)
	}
	if code, body := ask(t, addr, "grafana", "pw", "SELECT * FROM file('/etc/passwd', 'LineAsString')"); code != 403 {
		t.Errorf("grafana reading a host file through serve: %d %q, want 403", code, body)
	}
	if code, _ := ask(t, addr, "", "", "SELECT 1"); code == 200 {
		t.Error("serve with a user admitted an anonymous request")
	}

	// The follower's endpoint: only its own account.
	for _, c := range [][2]string{{"", ""}, {"default", ""}, {"grafana", "pw"}, {owner.User, "wrong"}} {
		if code, body := ask(t, owner.Addr, c[0], c[1], "SELECT 1"); code == 200 {
			t.Errorf("the follower's endpoint as %q/%q: 200 %q, want a refusal", c[0], c[1], body)
		}
	}
	v := url.Values{"query": {"SELECT 1"}}
	if resp, err := http.Get("http://" + owner.Addr + "/?" + v.Encode()); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("the follower's endpoint answered a GET without credentials")
		}
	}

	stop := func(p *proc) {
		t.Helper()
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
			if p.err != nil {
				t.Errorf("%s: exit %v after SIGTERM\n%s", p.cmd.Args[3], p.err, p.out.String())
			}
		case <-time.After(time.Minute):
			t.Fatalf("%s still running a minute after SIGTERM", p.cmd.Args[3])
		}
	}
	// The follower restarts (a new port, new credentials): serve finds it
	// again in the data dir.
	stop(follow)
	if _, err := os.Stat(filepath.Join(dir, chdb.EndpointFile)); !os.IsNotExist(err) {
		t.Errorf("the endpoint file outlived the follower: %v", err)
	}
	if code, body := ask(t, addr, "grafana", "pw", "SELECT 1"); code == 200 {
		t.Errorf("serve answered with no owner running: %q", body)
	}
	follow = startProc(t, nil, "--data-dir", dir, "follow", "--rpc", rpc, "--finality", "latest", "--poll", "200ms")
	for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
		if ep := chdb.ReadEndpoint(dir); ep.Addr != "" && ep.Password != owner.Password && strings.Contains(follow.out.String(), "follow: ") {
			break
		}
		if follow.exited() || time.Now().After(deadline) {
			t.Fatalf("the restarted follower never advertised its endpoint: %v\n%s", follow.err, follow.out.String())
		}
	}
	if n := tip(); n < first+5 {
		t.Errorf("through serve after the follower restarted: tip %d, want at least %d\n%s", n, first+5, follow.out.String())
	}
	stop(serve)
	stop(follow)
}
