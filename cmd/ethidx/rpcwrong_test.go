package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// --rpc pointed at something that is not an Ethereum node: the error says
// what answered in a line, never a whole web page or a ClickHouse syntax
// error.
func TestRPCNotANode(t *testing.T) {
	t.Parallel()
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusMethodNotAllowed)
		fmt.Fprint(w, "<!DOCTYPE html>\n<html><head><title>My blog</title></head><body>"+strings.Repeat("<p>a long page</p>\n", 200)+"</body></html>")
	}))
	defer page.Close()

	// ethidx's own SQL endpoint, as a user mixing up the two addresses.
	serve := exec.Command(ethidxBin, "--data-dir", t.TempDir(), "serve", "--http-addr", "127.0.0.1:0")
	out, done := &lockedBuffer{}, make(chan struct{})
	serve.Stdout, serve.Stderr = out, out
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = serve.Wait(); close(done) }()
	defer func() { serve.Process.Signal(syscall.SIGTERM); <-done }()
	addr := loggedAddr(t, out, "serving SQL", func() bool { return isClosed(done) })

	for _, tc := range []struct{ url, want string }{
		{page.URL, "a web page answered, not an Ethereum node's JSON-RPC: My blog"},
		{"http://" + addr, "a ClickHouse SQL endpoint answered (ethidx serve's?), not an Ethereum node's JSON-RPC"},
	} {
		out, code := run(t, 2*time.Minute, "--data-dir", t.TempDir(), "--http-addr", "127.0.0.1:0",
			"backfill", "--rpc", tc.url, "--from", "1", "--to", "2")
		if code != 1 || !strings.Contains(out, tc.want) || strings.Contains(out, "a long page") || strings.Contains(out, "SYNTAX_ERROR") {
			t.Errorf("--rpc %s: exit %d, %q; want exit 1 saying %q", tc.url, code, out, tc.want)
		}
	}
}
