package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Ctrl-C exits 130 and says so, not what the command was sending when
// stopped; with --log-format json every line, the last one too, is JSON
// and durations read as 1.5s, not nanoseconds.
func TestInterruptExits130JSON(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(ethidxBin, "--log-format", "json", "--data-dir", t.TempDir(), "--http-addr", "127.0.0.1:0",
		"backfill", "--rpc", "http://127.0.0.1:1", "--from", "1", "--to", "2")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var all bytes.Buffer
	sc := bufio.NewScanner(stderr)
	deadline := time.AfterFunc(time.Minute, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	sent := false
	for sc.Scan() {
		all.Write(sc.Bytes())
		all.WriteByte('\n')
		if !sent && strings.Contains(sc.Text(), "retrying") {
			cmd.Process.Signal(syscall.SIGINT)
			sent = true
		}
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Fatalf("exit %v after SIGINT, want 130\n%s", err, all.String())
	}
	lines := strings.Split(strings.TrimSpace(all.String()), "\n")
	for _, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Errorf("not a JSON line: %q", l)
			continue
		}
		if w, ok := rec["wait"]; ok {
			if _, err := time.ParseDuration(w.(string)); err != nil {
				t.Errorf("wait %v: want a duration such as 1.5s", w)
			}
		}
	}
	last := lines[len(lines)-1]
	if !strings.Contains(last, `"err":"interrupted (interrupt)"`) || !strings.Contains(last, `"exit_code":130`) {
		t.Errorf("last line %q: want the interruption and exit code 130", last)
	}
	if strings.Contains(all.String(), "ethidx_internal") {
		t.Errorf("the internal endpoint's user is shown:\n%s", all.String())
	}
}
