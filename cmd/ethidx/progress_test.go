package main

import (
	"bytes"
	"log/slog"
	"regexp"
	"testing"
	"time"
)

// Off a terminal (cron, CI, Kubernetes), progress is a log line at most
// every few seconds, with rates and an ETA.
func TestProgressLogLines(t *testing.T) {
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	defer slog.SetDefault(old)

	p := newProgress("backfill")
	p.start = time.Now().Add(-10 * time.Second)
	p.Start(100)
	p.Add(20, 600) // the first line waits for the interval
	if buf.Len() != 0 {
		t.Fatalf("logged before the interval: %s", buf.String())
	}
	p.lastLog = time.Now().Add(-6 * time.Second)
	p.Add(5, 150)
	line := buf.String()
	// About 10 s have passed: 2.5 blocks/s, 75 tx/s, 75 blocks to go.
	for _, want := range []string{`msg="backfill progress"`, "blocks=25 ", "txs=750 ", "total=100 ",
		`blocks_per_s=2\.\d `, `tx_per_s=[67]\d `, `eta=(29|3\d)s`} {
		if !regexp.MustCompile(want).MatchString(line) {
			t.Errorf("progress line lacks %q: %s", want, line)
		}
	}
	buf.Reset()
	p.Add(1, 1) // within the interval again
	if buf.Len() != 0 {
		t.Errorf("logged twice within the interval: %s", buf.String())
	}
	p.Finish()
}
