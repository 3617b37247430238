package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ethidx/ethidx/indexer"
)

// followMetrics turns follower events into Prometheus metrics and answers
// the health probes: /healthz while the process runs, /readyz while the
// indexed block is within maxLag of the horizon, the node answered
// recently, and the follower's last step did not fail (a node gone, or a
// block it keeps refusing).
type followMetrics struct {
	reg                               *prometheus.Registry
	head, indexed, lagBlocks          prometheus.Gauge
	blocksWritten, txsWritten, reorgs prometheus.Counter
	rpcErrors, stepErrors             prometheus.Counter
	reorgDepth, writeSeconds          prometheus.Histogram
	store                             storeGauges

	maxLag     uint64
	headN      atomic.Uint64
	indexedN   atomic.Uint64
	indexedAt  atomic.Int64 // block timestamp
	everLoaded atomic.Bool
	// staleAfter is how long without an answer from the node (a head read
	// or a block stored) the follower stays ready.
	staleAfter time.Duration
	contactAt  atomic.Int64 // unix nanoseconds of the last answer; 0: none
	// failure is the step failure the follower is retrying, until a step
	// makes progress again (nil: none).
	failure atomic.Pointer[stepFailure]
}

// stepFailure is a failed follower step that is being retried.
type stepFailure struct {
	since time.Time
	times int
	err   error
}

// defaultStaleAfter is how long the node may stay silent before /readyz
// fails, with the default --poll; longer polls stretch it (newFollowMetrics).
const defaultStaleAfter = 15 * time.Second

var _ indexer.Observer = (*followMetrics)(nil)

func newFollowMetrics(maxLag uint64, poll time.Duration) *followMetrics {
	m := &followMetrics{reg: prometheus.NewRegistry(), maxLag: maxLag, staleAfter: max(defaultStaleAfter, 5*poll)}
	g := func(name, help string) prometheus.Gauge {
		v := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "ethidx", Name: name, Help: help})
		m.reg.MustRegister(v)
		return v
	}
	c := func(name, help string) prometheus.Counter {
		v := prometheus.NewCounter(prometheus.CounterOpts{Namespace: "ethidx", Name: name, Help: help})
		m.reg.MustRegister(v)
		return v
	}
	m.head = g("head_block", "Newest block at the followed finality (the horizon).")
	m.indexed = g("indexed_block", "Newest block stored.")
	m.lagBlocks = g("lag_blocks", "Horizon minus newest stored block.")
	// Computed when scraped, so it keeps growing while nothing is stored
	// (the node gone, a block refused).
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "ethidx", Name: "lag_seconds",
		Help: "Now minus the newest stored block's timestamp."}, m.lagSecs))
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "ethidx", Name: "node_contact_age_seconds",
		Help: "Seconds since the node last answered the follower (-1: never)."}, func() float64 {
		if at := m.contactAt.Load(); at > 0 {
			return time.Since(time.Unix(0, at)).Seconds()
		}
		return -1
	}))
	m.blocksWritten = c("blocks_written_total", "Blocks written.")
	m.txsWritten = c("transactions_written_total", "Transactions written.")
	m.reorgs = c("reorgs_total", "Reorgs detected and repaired.")
	m.rpcErrors = c("rpc_errors_total", "Failed JSON-RPC call attempts (each is retried, on another node if several are given).")
	m.stepErrors = c("follow_errors_total", "Follower steps that failed after retries (node or storage); the follower backs off and resumes.")
	m.reorgDepth = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "ethidx", Name: "reorg_depth_blocks",
		Help: "Depth of each reorg.", Buckets: []float64{1, 2, 3, 5, 8, 16, 32, 64, 128}})
	m.writeSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "ethidx", Name: "write_seconds",
		Help: "Fetch-and-write latency of each follower step.", Buckets: prometheus.DefBuckets})
	m.reg.MustRegister(m.reorgDepth, m.writeSeconds, prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	m.store = newStoreGauges(m.reg)
	return m
}

// storeGauges are `ethidx status`'s figures as gauges, set from the same
// statusReport, so a dashboard and the command never disagree.
type storeGauges struct {
	nodeBlock              *prometheus.GaugeVec // by tag
	tip, tipTime           prometheus.Gauge
	headLag, headLagSecs   prometheus.Gauge
	doneBlocks, gapBlocks  prometheus.Gauge
	gaps, detached         prometheus.Gauge
	tableRows, tableBytes  *prometheus.GaugeVec // by table
	cacheDays              prometheus.Gauge
	verifyTime, verifyLost prometheus.Gauge
	updated                prometheus.Gauge
}

func newStoreGauges(reg *prometheus.Registry) storeGauges {
	g := func(name, help string) prometheus.Gauge {
		v := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "ethidx", Name: name, Help: help})
		reg.MustRegister(v)
		return v
	}
	vec := func(name, help, label string) *prometheus.GaugeVec {
		v := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "ethidx", Name: name, Help: help}, []string{label})
		reg.MustRegister(v)
		return v
	}
	return storeGauges{
		nodeBlock:   vec("node_block", "The node's newest block at each tag (latest, safe, finalized).", "tag"),
		tip:         g("stored_tip_block", "Last block of the newest completed range."),
		tipTime:     g("stored_tip_timestamp_seconds", "Timestamp of the stored tip block."),
		headLag:     g("head_lag_blocks", "The node's latest block minus the stored tip."),
		headLagSecs: g("head_lag_seconds", "The node's latest block's timestamp minus the stored tip's."),
		doneBlocks:  g("done_blocks", "Blocks in completed ranges."),
		gapBlocks:   g("gap_blocks", "Blocks missing between completed ranges."),
		gaps:        g("gaps", "Holes between completed ranges."),
		detached:    g("detached_parts", "Parts the engine took out of service (broken, unexpected): their rows are lost until repaired."),
		tableRows:   vec("table_rows", "Rows in each table's active parts (unmerged duplicates included).", "table"),
		tableBytes:  vec("table_bytes", "Compressed bytes of each table's active parts.", "table"),
		cacheDays:   g("cache_days", "Days held in the day cache."),
		verifyTime:  g("verify_last_timestamp_seconds", "When the last ethidx verify finished (0: never)."),
		verifyLost:  g("verify_last_problems", "Problems the last ethidx verify found."),
		updated:     g("status_timestamp_seconds", "When these store gauges were last read."),
	}
}

// observeStatus sets the store gauges from a status report. A figure the
// report lacks (no node tag, no tip) keeps its last value rather than
// dropping to a misleading 0.
func (m *followMetrics) observeStatus(r statusReport, detached int) {
	g := m.store
	if n := r.Node; n != nil {
		for tag, v := range map[string]*uint64{"latest": n.Latest, "safe": n.Safe, "finalized": n.Finalized} {
			if v != nil {
				g.nodeBlock.WithLabelValues(tag).Set(float64(*v))
			}
		}
	}
	if s := r.Stored; s.Tip != nil {
		g.tip.Set(float64(*s.Tip))
		if s.TipTime != nil {
			g.tipTime.Set(float64(s.TipTime.Unix()))
		}
	}
	if l := r.Lag; l != nil {
		g.headLag.Set(float64(l.Blocks))
		if l.Seconds != nil {
			g.headLagSecs.Set(float64(*l.Seconds))
		}
	}
	g.doneBlocks.Set(float64(r.Stored.Blocks))
	g.gapBlocks.Set(float64(r.Stored.GapBlocks))
	g.gaps.Set(float64(len(r.Stored.Gaps)))
	g.detached.Set(float64(detached))
	// A table that went away must not linger.
	g.tableRows.Reset()
	g.tableBytes.Reset()
	for _, t := range r.Tables {
		g.tableRows.WithLabelValues(t.Table).Set(float64(t.Rows))
		g.tableBytes.WithLabelValues(t.Table).Set(float64(t.CompressedBytes))
	}
	g.cacheDays.Set(float64(r.DayCache.CachedDays))
	if v := r.LastVerify; v != nil {
		g.verifyTime.Set(float64(v.Finished.Unix()))
		g.verifyLost.Set(float64(v.Problems))
	}
	g.updated.SetToCurrentTime()
}

func (m *followMetrics) Head(h indexer.Header) {
	m.contact()
	if h.Number <= m.indexedN.Load() && m.everLoaded.Load() {
		m.failure.Store(nil) // caught up and answering: nothing is failing
	}
	m.headN.Store(h.Number)
	m.head.Set(float64(h.Number))
	m.updateLag()
}

func (m *followMetrics) Indexed(h indexer.Header) {
	m.contact()
	m.failure.Store(nil)
	m.indexedN.Store(h.Number)
	m.indexedAt.Store(int64(h.Timestamp))
	m.everLoaded.Store(true)
	m.indexed.Set(float64(h.Number))
	m.updateLag()
}

func (m *followMetrics) updateLag() {
	head, idx := m.headN.Load(), m.indexedN.Load()
	if m.everLoaded.Load() && head >= idx {
		m.lagBlocks.Set(float64(head - idx))
	}
}

// lagSecs is now minus the stored tip's timestamp (0 before any).
func (m *followMetrics) lagSecs() float64 {
	if ts := m.indexedAt.Load(); ts > 0 {
		return time.Since(time.Unix(ts, 0)).Seconds()
	}
	return 0
}

func (m *followMetrics) contact() { m.contactAt.Store(time.Now().UnixNano()) }

// stepFailed records a failed follower step, which the follower retries.
func (m *followMetrics) stepFailed(err error) *stepFailure {
	m.stepErrors.Inc()
	f := &stepFailure{since: time.Now(), times: 1, err: err}
	if old := m.failure.Load(); old != nil {
		f.since, f.times = old.since, old.times+1
	}
	m.failure.Store(f)
	return f
}

func (m *followMetrics) Wrote(blocks, txs int, d time.Duration) {
	m.blocksWritten.Add(float64(blocks))
	m.txsWritten.Add(float64(txs))
	if d > 0 {
		m.writeSeconds.Observe(d.Seconds())
	}
}

func (m *followMetrics) Reorg(depth uint64, _, _ common.Hash) {
	m.reorgs.Inc()
	m.reorgDepth.Observe(float64(depth))
}

// ready reports whether the follower is within maxLag blocks of the
// horizon, heard from the node within staleAfter, and is not retrying a
// failed step.
func (m *followMetrics) ready() (bool, string) {
	if f := m.failure.Load(); f != nil {
		return false, fmt.Sprintf("failing since %s (%d attempts): %v", f.since.UTC().Format(time.RFC3339), f.times, f.err)
	}
	if at := m.contactAt.Load(); at == 0 || time.Since(time.Unix(0, at)) > m.staleAfter {
		if at == 0 {
			return false, "the node has not answered yet"
		}
		return false, fmt.Sprintf("no answer from the node for %s", time.Since(time.Unix(0, at)).Round(time.Second))
	}
	if !m.everLoaded.Load() {
		return false, "no block indexed yet"
	}
	head, idx := m.headN.Load(), m.indexedN.Load()
	if head > idx && head-idx > m.maxLag {
		return false, fmt.Sprintf("lag %d blocks > %d", head-idx, m.maxLag)
	}
	return true, fmt.Sprintf("indexed %d, horizon %d", idx, head)
}

// serve answers /metrics, /healthz and /readyz on addr until ctx ends. An
// address without a host (":9100") is loopback's, as every endpoint of
// ethidx binds by default: exposing the metrics to the network is asked
// for by naming the interface, e.g. 0.0.0.0:9100 in a container.
func (m *followMetrics) serve(ctx context.Context, addr string) (string, error) {
	if host, port, err := net.SplitHostPort(addr); err == nil && host == "" {
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		ok, why := m.ready()
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		fmt.Fprintln(w, why)
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", badInput("--metrics-addr %s: %v", addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error("metrics server", "err", err)
		}
	}()
	return ln.Addr().String(), nil
}
