// Command ethidx-bench measures ethidx against its targets (README, Benchmarks) and
// prints the figures (`make bench`). It never fails on a timing: it reports.
//
//	backfill  end to end into the embedded engine, and the same pipeline
//	          with a null sink, over a local replay RPC serving
//	          mainnet-shaped blocks (~300 tx/block, logs, all tx types)
//	latency   follower: a block reaching the horizon -> queryable
//
// With -serve it only serves blocks (fixtures or generated) for another
// process to load: scripts/size.sh measures the tables' sizes that way.
//
// Each phase runs in a child process so its peak RSS is its own.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/rpcsource"
)

func main() {
	phase := flag.String("phase", "", "run one phase in this process: null, engine, latency, traces")
	rpc := flag.String("rpc", "", "replay server URL for a backfill phase (set by the parent)")
	blocks := flag.Uint64("blocks", 1500, "blocks to backfill")
	txs := flag.Int("tx-per-block", 300, "mean transactions per generated block")
	// The CLI's defaults: the bench measures what `ethidx backfill` does.
	workers := flag.Int("workers", indexer.DefaultWorkers, "backfill workers")
	batch := flag.Uint64("batch", indexer.DefaultBatchSize, "blocks per batch")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of each phase run to FILE.PHASE (FILE.null, FILE.engine, FILE.latency)")
	memProfile := flag.String("memprofile", "", "write a profile of what each phase run allocates to FILE.PHASE")
	phases := flag.String("phases", "null,engine,latency,traces", "the phases to run, in order, when -phase is not given")
	traceBlocks := flag.Uint64("trace-blocks", 300, "dev chain blocks the traces phase loads without and with --traces")
	verify := flag.String("verify", "roots", "what the source proves of each block: roots, structure or senders")
	serve := flag.String("serve", "", "only serve blocks until SIGTERM, printing the URL: \"generated\" (-blocks, -tx-per-block) or comma-separated fixture folders")
	flag.Parse()
	v, err := rpcsource.ParseProof(*verify)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ethidx-bench:", err)
		os.Exit(2)
	}
	// With every phase, each child profiles itself into its own file: the
	// parent only generates and serves blocks, and one shared file would
	// keep only the last phase's profile.
	if *cpuProfile != "" && *phase != "" {
		f, err := os.Create(*cpuProfile + "." + *phase)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "ethidx-bench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if *memProfile != "" && *phase != "" {
		runtime.MemProfileRate = 64 << 10 // coarser than the default: the load allocates gigabytes
		defer writeAllocs(*memProfile + "." + *phase)
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	ctx := context.Background()
	cfg := backfillConfig{blocks: *blocks, txPerBlock: *txs, workers: *workers, batch: *batch, rpc: *rpc, proof: v}
	switch {
	case *serve != "":
		err = serveOnly(cfg, *serve)
	case *phase == "":
		err = runAll(cfg, strings.Split(*phases, ","), os.Args[1:])
	case *phase == "null":
		err = benchBackfill(ctx, cfg, false)
	case *phase == "engine":
		err = benchBackfill(ctx, cfg, true)
	case *phase == "latency":
		err = benchLatency(ctx)
	case *phase == "traces":
		err = benchTraces(ctx, cfg, *traceBlocks)
	default:
		err = fmt.Errorf("unknown phase %q", *phase)
	}
	if err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "ethidx-bench:", err)
		os.Exit(1)
	}
}

// cryoTxPerS is cryo 0.3.2's rate on the reference 1,500-block replay,
// the fastest peer measured (README, Benchmarks).
const cryoTxPerS = 23600

// runAll serves the generated blocks from this process and runs every
// phase as a child process, so a phase's peak RSS is the pipeline's alone.
func runAll(cfg backfillConfig, phases, args []string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	url, stop, err := serveBlocks(cfg)
	if err != nil {
		return err
	}
	defer stop()
	results := map[string]map[string]string{}
	for _, phase := range phases {
		// Later flags win: the phase and server given here override any
		// the caller passed.
		cmd := exec.Command(self, append(append([]string{}, args...), "-phase", phase, "-rpc", url)...)
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("phase %s: %w", phase, err)
		}
		results[phase] = parseReport(string(out))
		fmt.Print(string(out))
	}
	null, eng := results["null"]["tx_per_s"], results["engine"]["tx_per_s"]
	var n, e float64
	fmt.Sscan(null, &n)
	fmt.Sscan(eng, &e)
	if e > 0 {
		// The targets (README, Benchmarks): 25,000 tx/s, and twice the
		// fastest peer's rate on the reference replay (cryo 0.3.2).
		line := fmt.Sprintf("summary (--verify %s): backfill end-to-end %.0f tx/s (targets >= 25000, and >= %d: twice cryo's %d), %.1fx cryo",
			cfg.proof, e, 2*cryoTxPerS, cryoTxPerS, e/cryoTxPerS)
		if n > 0 {
			line += fmt.Sprintf("; null sink %.0f tx/s (end to end is %.0f%% of it)", n, 100*e/n)
		}
		if p50 := results["latency"]["p50"]; p50 != "" {
			line += fmt.Sprintf("; follower latency p50 %s (target < 1s)", p50)
		}
		fmt.Println(line)
	}
	return nil
}

// report prints "phase key=value ..." on one line for runAll to collect.
func report(phase string, kv ...any) {
	var b strings.Builder
	b.WriteString(phase)
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, " %v=%v", kv[i], kv[i+1])
	}
	b.WriteString(fmt.Sprintf(" peak_rss_mb=%d", peakRSSMB()))
	fmt.Println(b.String())
}

func parseReport(out string) map[string]string {
	m := map[string]string{}
	for _, f := range strings.Fields(out) {
		if k, v, ok := strings.Cut(f, "="); ok {
			m[k] = v
		}
	}
	return m
}

// peakRSSMB reads this process's high-water resident set from /proc.
func peakRSSMB() int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var kb int
		if _, err := fmt.Sscanf(sc.Text(), "VmHWM: %d kB", &kb); err == nil {
			return kb / 1024
		}
	}
	return -1
}

// cpuSeconds is the user and system CPU time this process has used so
// far, its engine's threads included: with two cores shared by everything,
// what a change costs shows in the CPU a phase takes more steadily than in
// its wall time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func since(t time.Time) float64 { return time.Since(t).Seconds() }

// writeAllocs writes the allocation profile (go tool pprof -sample_index
// alloc_space) to path.
func writeAllocs(path string) {
	runtime.GC() // the profile covers what was allocated up to the last collection
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("allocs").WriteTo(f, 0)
		f.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ethidx-bench:", err)
	}
}
