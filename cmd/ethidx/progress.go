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
			progressbar.OptionSetItsString("blocks"),
			progressbar.OptionShowIts(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionClearOnFinish(),
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
		if p.rows != "" {
			p.bar.Describe(fmt.Sprintf("%s %.0f %s/s", p.name, float64(p.txs)/secs, p.rows))
		}
		_ = p.bar.Add(blocks)
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
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
