package main

import (
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows how a long load goes: a bar with blocks/s, tx/s and ETA on
// a terminal, a log line every few seconds otherwise (cron, CI, Kubernetes).
type progress struct {
	name string
	rows string // what the second count of Add is ("tx"); "" for none

	mu      sync.Mutex
	bar     *progressbar.ProgressBar
	total   uint64
	blocks  uint64
	txs     uint64
	start   time.Time
	lastLog time.Time
}

func newProgress(name string) *progress {
	return &progress{name: name, rows: "tx", start: time.Now(), lastLog: time.Now()}
}

func (p *progress) Start(blocks uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total += blocks
	if p.bar == nil && term.IsTerminal(int(os.Stderr.Fd())) && blocks > 0 {
		p.bar = progressbar.NewOptions64(int64(blocks),
			progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionSetDescription(p.name),
			progressbar.OptionShowCount(),
			// The rates are in the description, from the first Add on:
			// the bar's own starts at "0 blocks/hr".
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(200*time.Millisecond),
			// The last frame stays, at 100% when the whole range loaded.
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(os.Stderr) }),
		)
	} else if p.bar != nil {
		p.bar.ChangeMax64(int64(p.total))
	}
}

func (p *progress) Add(blocks, txs int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blocks += uint64(blocks)
	p.txs += uint64(txs)
	secs := time.Since(p.start).Seconds()
	if p.bar != nil {
		d := fmt.Sprintf("%s %.1f blocks/s", p.name, float64(p.blocks)/secs)
		if p.rows != "" {
			d += fmt.Sprintf(" %.0f %s/s", float64(p.txs)/secs, p.rows)
		}
		_ = p.bar.Add(blocks)
		p.bar.Describe(d)
		return
	}
	if time.Since(p.lastLog) < 5*time.Second {
		return
	}
	p.lastLog = time.Now()
	attrs := []any{"blocks", p.blocks, "blocks_per_s", fmt.Sprintf("%.1f", float64(p.blocks)/secs)}
	if p.rows != "" {
		attrs = append(attrs, p.rows+"s", p.txs, p.rows+"_per_s", fmt.Sprintf("%.0f", float64(p.txs)/secs))
	}
	if p.total > p.blocks && p.blocks > 0 {
		eta := time.Duration(float64(p.total-p.blocks) / (float64(p.blocks) / secs) * float64(time.Second))
		attrs = append(attrs, "total", p.total, "eta", eta.Round(time.Second).String())
	}
	slog.Info(p.name+" progress", attrs...)
}

func (p *progress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar == nil {
		return
	}
	if p.blocks >= p.total {
		_ = p.bar.Finish() // drawn at 100%, then a new line
		return
	}
	// Stopped short (an error, Ctrl-C): the bar stays where it was.
	_ = p.bar.Exit()
}

// step shows that a step of unknown length is under way (the day cache
// after a backfill): a line, and on a terminal a spinner with the time
// spent until done is called.
func step(what string) (done func()) {
	slog.Info(what)
	if !term.IsTerminal(int(os.Stderr.Fd())) {
		return func() {}
	}
	bar := progressbar.NewOptions(-1,
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionSetDescription(what),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionClearOnFinish(),
	)
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			_ = bar.Add(1)
			select {
			case <-stop:
				_ = bar.Finish()
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(stop); <-stopped }
}
