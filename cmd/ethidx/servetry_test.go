package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// serve's "try" hint works as printed once users exist: it names the user
// (curl asks for the password), and never shows the password.
func TestServeTryHintWithUsers(t *testing.T) {
	t.Parallel()
	serve := exec.Command(ethidxBin, "--data-dir", t.TempDir(), "--log-format", "json",
		"serve", "--http-addr", "127.0.0.1:0", "--user", "alice:s3cret")
	stderr, err := serve.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { serve.Process.Signal(syscall.SIGTERM); serve.Wait() }()
	var rec struct{ Msg, Try string }
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "serving SQL" {
			break
		}
	}
	go io.Copy(io.Discard, stderr)
	const prefix = "curl -u alice 'http://"
	if !strings.HasPrefix(rec.Try, prefix) || strings.Contains(rec.Try, "s3cret") {
		t.Fatalf("try %q: want %s... without the password", rec.Try, prefix)
	}
	// What curl does with it, the password typed at its prompt.
	req, err := http.NewRequest("GET", strings.Trim(strings.TrimPrefix(rec.Try, "curl -u alice "), "'"), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("alice", "s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != "1" {
		t.Errorf("%s: %s %q; want 200 and 1", rec.Try, resp.Status, body)
	}
}
