package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"gopkg.in/yaml.v2"

	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
	"github.com/ethidx/ethidx/indexer/replay"
)

// Four `backfill --worker i/4` processes share one range and one store, an
// `ethidx serve` standing in for the ClickHouse server. Two of them are
// SIGKILLed after writing some of their batches and before finishing, and
// are then run again. The store ends up holding exactly what one clean
// process writes (every table read with FINAL, every column, and the saved
// views), and its completed ranges cover the range with no gap.
func TestWorkersShareOneServer(t *testing.T) {
	t.Parallel()
	const (
		first, last = 1, 480
		batch       = 10
		shards      = 4
		perShard    = (last - first + 1) / batch / shards // batches per worker
	)
	// One block every two hours from 2024-01-01: January whole (372
	// blocks) and the first days of February, so monthly_growth has two
	// months to compare; each worker has 12 batches, enough for the kills
	// below. The node's head is past the range, as a real one's is (and
	// asking for the head never touches a stalled block, below).
	srv := replay.New(replay.Options{})
	if err := srv.Generate(replay.GenOptions{From: first, Count: last - first + 21, TxPerBlock: 30, TxPerBlockEnd: 40, Seed: 5, BlockTime: 7200}); err != nil {
		t.Fatal(err)
	}
	// The two workers to kill are held up by the node, so each is still
	// running, with part of its share written, when it is killed: worker 2
	// stalls on every batch from its 11th on (killed with exactly 10 done,
	// its fetches waiting), worker 4 only on its last (killed as soon as 5
	// are done, the rest of its share still flowing, writes in flight). A
	// stalled request waits until its client goes away.
	batchOf := func(k int) (uint64, uint64) { return first + uint64(k)*batch, first + uint64(k)*batch + batch - 1 }
	var stalled []uint64
	for k := 0; k < perShard*shards; k++ {
		if s := k % shards; s == 1 && k/shards >= 10 || s == 3 && k/shards == perShard-1 {
			lo, hi := batchOf(k)
			for n := lo; n <= hi; n++ {
				stalled = append(stalled, n)
			}
		}
	}
	srv.AddFault(replay.Fault{Kind: replay.FaultLatency, Blocks: stalled, Delay: 10 * time.Minute})
	rpc, stopRPC, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stopRPC()

	shared := t.TempDir()
	serve, addr := startServe(t, shared, "admin:s3cret")
	dsn := "http://admin:s3cret@" + addr + "/eth"
	// The DSN holds a password: from the environment, as users are told.
	env := append(os.Environ(), "ETHIDX_CLICKHOUSE="+dsn)
	conn := serverConn(t, addr, "admin", "s3cret")
	// The polls share the admin's statement slots with the workers' loads:
	// one that fails (refused as busy, 503) is asked again, as a BI tool
	// would, for 20 s before the test gives up.
	doneBatches := func(shard int) uint64 {
		t.Helper()
		var n uint64
		var err error
		for range 20 {
			err = conn.QueryRow(context.Background(), "SELECT count() FROM ranges_done FINAL WHERE intDiv(from_block - ?, ?) % ? = ?",
				uint64(first), uint64(batch), uint64(shards), uint64(shard)).Scan(&n)
			if err == nil {
				return n
			}
			time.Sleep(time.Second)
		}
		t.Fatalf("batches done of shard %d: %v", shard, err)
		return 0
	}
	worker := func(i int) []string {
		return []string{"backfill", "--rpc", rpc, "--from", fmt.Sprint(first), "--to", fmt.Sprint(last),
			"--batch", fmt.Sprint(batch), "--workers", "2", "--worker", fmt.Sprintf("%d/%d", i, shards)}
	}

	procs := map[int]*proc{}
	for i := 1; i <= shards; i++ {
		procs[i] = startProc(t, env, worker(i)...)
	}
	killAt := map[int]uint64{2: 10, 4: 5} // worker -> batches done when it is killed
	killed := map[int]uint64{}
	// Each poll is a query of the server the workers load through; a
	// worker cannot finish its share before the kill (its stalled batches
	// wait for it), so polling a few times a second is soon enough.
	for _, i := range []int{2, 4} {
		p := procs[i]
		for deadline := time.Now().Add(2 * time.Minute); doneBatches(i-1) < killAt[i]; time.Sleep(250 * time.Millisecond) {
			if p.exited() {
				t.Fatalf("worker %d/%d exited before it was killed: %v\n%s", i, shards, p.err, p.out.String())
			}
			if time.Now().After(deadline) {
				t.Fatalf("worker %d/%d: %d batches done after 2 minutes, want %d\n%s", i, shards, doneBatches(i-1), killAt[i], p.out.String())
			}
		}
		if !p.kill() {
			t.Fatalf("worker %d/%d had exited when the kill came: %v\n%s", i, shards, p.err, p.out.String())
		}
		killed[i] = doneBatches(i - 1)
		if killed[i] < killAt[i] || killed[i] >= perShard {
			t.Fatalf("worker %d/%d killed with %d of its %d batches done, want at least %d and not all", i, shards, killed[i], perShard, killAt[i])
		}
		t.Logf("worker %d/%d SIGKILLed with %d of its %d batches done", i, shards, killed[i], perShard)
	}
	if killed[2] != 10 {
		t.Errorf("worker 2/%d: %d batches done when killed, want exactly the 10 before its stall", shards, killed[2])
	}
	// A killed worker is rerun at once, as the Job retries its index, while
	// the others go on writing: it skips the batches of its share recorded
	// as complete and loads the rest.
	srv.ClearFaults()
	for _, i := range []int{2, 4} {
		procs[i] = startProc(t, env, worker(i)...)
	}
	t.Logf("reruns started with workers 1 and 3 still running: %v, %v", !procs[1].exited(), !procs[3].exited())
	for i := 1; i <= shards; i++ {
		if err := procs[i].wait(); err != nil {
			t.Fatalf("worker %d/%d: %v\n%s", i, shards, err, procs[i].out.String())
		}
	}
	for _, i := range []int{2, 4} {
		// At least what was recorded when it was killed (worker 4's last
		// write may land after that count), never the whole share.
		out := procs[i].out.String()
		m := regexp.MustCompile(`msg="backfill finished" .*skipped_blocks=(\d+)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("rerun of worker %d/%d logged no skipped_blocks:\n%s", i, shards, out)
		}
		skipped, _ := strconv.ParseUint(m[1], 10, 64)
		if skipped < killed[i]*batch || skipped >= perShard*batch {
			t.Errorf("rerun of worker %d/%d skipped %d blocks, want from the %d done when it was killed to less than its share of %d:\n%s",
				i, shards, skipped, killed[i]*batch, perShard*batch, out)
		}
		if strings.Contains(out, "lost rows") {
			t.Errorf("rerun of worker %d/%d took the other workers' writes for lost rows:\n%s", i, shards, out)
		}
	}

	rep := statusJSONEnv(t, env)
	if got := fmt.Sprint(rep.Stored.Ranges); got != fmt.Sprintf("[{%d %d %d}]", first, last, last-first+1) || len(rep.Stored.Gaps) != 0 {
		t.Errorf("status: completed ranges %s, gaps %v; want the one range %d-%d and no gap", got, rep.Stored.Gaps, first, last)
	}
	if len(rep.Problems) != 0 {
		t.Errorf("status: problems %q", rep.Problems)
	}
	// The README's last check: every block stored, canonical, complete.
	if out, code := runEnv(t, 3*time.Minute, env, "verify", "--rpc", rpc, "--from", fmt.Sprint(first), "--to", fmt.Sprint(last)); code != 0 ||
		!strings.Contains(out, "all present, canonical and complete") {
		t.Errorf("verify: exit %d\n%s", code, out)
	}
	stopServe(t, serve)

	clean := t.TempDir()
	if out, code := run(t, 5*time.Minute, "--data-dir", clean, "--http-addr", "127.0.0.1:0",
		"backfill", "--rpc", rpc, "--from", fmt.Sprint(first), "--to", fmt.Sprint(last)); code != 0 {
		t.Fatalf("clean run: exit %d\n%s", code, out)
	}
	want := snapshotDir(t, clean)
	for _, name := range []string{"view daily_activity", "view monthly_growth"} {
		if _, ok := want[name]; !ok {
			t.Fatalf("the clean run's store has no %s to compare", name)
		}
	}
	if !strings.HasPrefix(want["blocks"], fmt.Sprintf("%d rows,", last-first+1)) {
		t.Fatalf("the clean run's store holds %s blocks, want %d", want["blocks"], last-first+1)
	}
	chsinktest.Same(t, "four workers (two killed and rerun) vs one clean process", snapshotDir(t, shared), want)
}

// The Job manifest runs as its pods would: each index's shell line gives
// ethidx the 1-based --worker of the same N as the Job's completions (the
// real binary takes it, and refuses the index past N), every environment
// variable it sets is one ethidx reads (or the pod's script does), and a
// failed pod is retried on its own index except on bad input.
func TestWorkersJobManifest(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../deploy/kubernetes/backfill-job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var job struct {
		Kind string `yaml:"kind"`
		Spec struct {
			CompletionMode       string `yaml:"completionMode"`
			Completions          int    `yaml:"completions"`
			Parallelism          int    `yaml:"parallelism"`
			BackoffLimit         *int   `yaml:"backoffLimit"`
			BackoffLimitPerIndex int    `yaml:"backoffLimitPerIndex"`
			PodFailurePolicy     struct {
				Rules []struct {
					Action      string `yaml:"action"`
					OnExitCodes *struct {
						Operator string `yaml:"operator"`
						Values   []int  `yaml:"values"`
					} `yaml:"onExitCodes"`
				} `yaml:"rules"`
			} `yaml:"podFailurePolicy"`
			Template struct {
				Spec struct {
					RestartPolicy string `yaml:"restartPolicy"`
					Containers    []struct {
						Command []string `yaml:"command"`
						Args    []string `yaml:"args"`
						Env     []struct {
							Name  string `yaml:"name"`
							Value string `yaml:"value"`
						} `yaml:"env"`
					} `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(raw, &job); err != nil {
		t.Fatalf("backfill-job.yaml: %v", err)
	}
	s := job.Spec
	if job.Kind != "Job" || s.CompletionMode != "Indexed" || s.Completions < 2 || s.Parallelism != s.Completions {
		t.Fatalf("want an Indexed Job with completions = parallelism > 1; got kind %q, mode %q, completions %d, parallelism %d",
			job.Kind, s.CompletionMode, s.Completions, s.Parallelism)
	}
	if s.BackoffLimitPerIndex < 1 || s.BackoffLimit != nil {
		t.Errorf("backoffLimitPerIndex %d, backoffLimit %v: want retries per index only", s.BackoffLimitPerIndex, s.BackoffLimit)
	}
	action := map[int]string{}
	for _, r := range s.PodFailurePolicy.Rules {
		if r.OnExitCodes != nil && r.OnExitCodes.Operator == "In" {
			for _, v := range r.OnExitCodes.Values {
				action[v] = r.Action
			}
		}
	}
	if action[2] != "FailIndex" || action[1] == "FailIndex" || action[1] == "FailJob" {
		t.Errorf("podFailurePolicy: exit 2 -> %q, exit 1 -> %q; want bad input not retried and runtime failures retried", action[2], action[1])
	}
	pod := s.Template.Spec
	if pod.RestartPolicy != "Never" || len(pod.Containers) != 1 {
		t.Fatalf("restartPolicy %q with %d containers; want Never and one", pod.RestartPolicy, len(pod.Containers))
	}
	c := pod.Containers[0]
	if len(c.Command) != 2 || c.Command[1] != "-c" || len(c.Args) != 1 {
		t.Fatalf("want a shell line: command [sh -c], one arg; got %q %q", c.Command, c.Args)
	}

	envs := map[string]string{}
	for _, e := range c.Env {
		envs[e.Name] = e.Value
	}
	if envs["WORKERS"] != fmt.Sprint(s.Completions) {
		t.Errorf("WORKERS %q, want the Job's completions %d", envs["WORKERS"], s.Completions)
	}
	read := map[string]bool{}
	for _, sf := range sharedFlags {
		for _, e := range sf.env {
			read[e] = true
		}
	}
	for name := range envs {
		switch {
		case read[name] || strings.Contains(c.Args[0], "$"+name):
		default:
			t.Errorf("the Job sets %s, which neither ethidx nor the pod's script reads", name)
		}
	}
	for _, need := range []string{"ETHIDX_RPC", "ETHIDX_CLICKHOUSE"} {
		if _, ok := envs[need]; !ok {
			t.Errorf("the Job does not set %s", need)
		}
	}

	// The pod's line with the real ethidx on PATH, for every index and the
	// one past the last. A range ending before it starts is refused after
	// --worker is read and before any network use, so each run says which
	// of the two it got to.
	bin := t.TempDir()
	if err := os.Symlink(ethidxBin, filepath.Join(bin, "ethidx")); err != nil {
		t.Fatal(err)
	}
	for k := 0; k <= s.Completions; k++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, c.Command[0], "-c", c.Args[0])
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
			fmt.Sprintf("JOB_COMPLETION_INDEX=%d", k), "WORKERS="+envs["WORKERS"], "FROM_BLOCK=10", "TO_BLOCK=5",
			"ETHIDX_RPC=http://127.0.0.1:1", "ETHIDX_CLICKHOUSE=http://127.0.0.1:1/eth")
		out, err := cmd.CombinedOutput()
		cancel()
		code := -1
		if cmd.ProcessState != nil {
			code = cmd.ProcessState.ExitCode()
		}
		want := "--to 5 is before --from 10"
		if k == s.Completions {
			want = fmt.Sprintf(`--worker "%d/%d"`, k+1, s.Completions)
		}
		// The manifest logs JSON, the error line too: its quotes escaped.
		if code != 2 || !strings.Contains(strings.ReplaceAll(string(out), `\"`, `"`), want) {
			t.Errorf("index %d: exit %d (%v), output %q; want exit 2 saying %q", k, code, err, out, want)
		}
	}
}

// proc is an ethidx process the test starts, watches and may kill.
type proc struct {
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
	err  error // Wait's, once done is closed
}

func startProc(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(ethidxBin, args...), out: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		if !p.exited() {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill SIGKILLs the process and reports whether that is what ended it (it
// was still running).
func (p *proc) kill() bool {
	if p.exited() {
		return false
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// wait waits for the process and returns nil if it exited 0.
func (p *proc) wait() error {
	<-p.done
	return p.err
}

// startServe runs `ethidx serve` on dir with the one admin user
// (name:password, given in a user file) and waits until it serves.
func startServe(t *testing.T, dir, user string) (*proc, string) {
	t.Helper()
	users := filepath.Join(t.TempDir(), "users")
	if err := os.WriteFile(users, []byte(user+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startProc(t, nil, "--data-dir", dir, "--http-addr", "127.0.0.1:0", "serve", "--user-file", users)
	// Its endpoint answers /ping while it is still migrating; it logs
	// "serving SQL" once the tables are there.
	return p, loggedAddr(t, p.out, "serving SQL", p.exited)
}

// stopServe stops serve with SIGTERM, as a service manager does, and
// checks that it exits 0.
func stopServe(t *testing.T, p *proc) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if p.err != nil {
			t.Fatalf("serve exited with %v after SIGTERM, want 0\n%s", p.err, p.out.String())
		}
	case <-time.After(time.Minute):
		t.Fatalf("serve still running a minute after SIGTERM\n%s", p.out.String())
	}
}

// serverConn is a clickhouse-go connection to database eth of an ethidx
// endpoint, as the given user.
func serverConn(t *testing.T, addr, user, password string) driver.Conn {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{
		Protocol:    clickhouse.HTTP,
		Addr:        []string{addr},
		Auth:        clickhouse.Auth{Database: "eth", Username: user, Password: password},
		DialTimeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}
