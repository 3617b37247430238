package sqlhttp_test

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/ethidx/ethidx/indexer/chdb"
	"github.com/ethidx/ethidx/indexer/chdb/chdbtest"
	"github.com/ethidx/ethidx/indexer/sqlhttp"
)

const (
	crashEnv   = "ETHIDX_CRASH_CHILD_DIR"
	crashBatch = 5000
)

// TestCrashSafety SIGKILLs a process in the middle of inserting through the
// endpoint, reopens its data directory and checks that every batch the
// child saw acknowledged is there, whole, and that no batch is partial.
func TestCrashSafety(t *testing.T) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(t, dir)
		return
	}
	dir := t.TempDir()
	acked := map[int]bool{}
	for round := range 3 {
		killed := runAndKill(t, dir, round, acked)
		e := chdbtest.OpenAt(t, dir, chdb.Options{})
		out, err := e.Query(context.Background(), "SELECT batch, count() FROM "+chdb.SandboxDatabase+".crash GROUP BY batch ORDER BY batch", "TSV", nil)
		if err != nil {
			t.Fatal(err)
		}
		present := map[int]bool{}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			var b, n int
			if _, err := fmt.Sscanf(line, "%d\t%d", &b, &n); err != nil {
				t.Fatalf("bad line %q", line)
			}
			if n != crashBatch {
				t.Errorf("batch %d has %d rows, want %d (partial insert)", b, n, crashBatch)
			}
			present[b] = true
		}
		for b := range acked {
			if !present[b] {
				t.Errorf("acknowledged batch %d lost", b)
			}
		}
		t.Logf("round %d: killed after %v, %d batches acknowledged, %d present", round, killed, len(acked), len(present))
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// runAndKill starts the child, collects its acknowledgements and kills it
// at a random moment once it is inserting.
func runAndKill(t *testing.T, dir string, round int, acked map[int]bool) time.Duration {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashSafety$", "-test.v")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir, "ETHIDX_CRASH_ROUND="+strconv.Itoa(round))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	delay := time.Duration(1000+rand.IntN(1500)) * time.Millisecond
	killAt := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() }) // backstop
	defer killAt.Stop()
	sc := bufio.NewScanner(out)
	var killed time.Duration
	first := true
	for sc.Scan() {
		var b int
		if _, err := fmt.Sscanf(sc.Text(), "ACK %d", &b); err != nil {
			continue
		}
		acked[b] = true
		if first {
			first = false
			time.AfterFunc(delay, func() { cmd.Process.Kill() })
			killed = time.Since(start) + delay
		}
	}
	_ = cmd.Wait()
	if first {
		t.Fatal("child acknowledged no batch")
	}
	return killed
}

// crashChild inserts batches forever, printing each acknowledged id.
func crashChild(t *testing.T, dir string) {
	e, err := chdb.Open(dir, chdb.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go sqlhttp.New(e, sqlhttp.Config{Logger: slog.New(slog.DiscardHandler)}).Serve(context.Background(), ln)
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{ln.Addr().String()}, Protocol: clickhouse.HTTP})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := conn.Exec(ctx, "CREATE TABLE IF NOT EXISTS crash (batch UInt32, i UInt32, payload String) ENGINE = MergeTree ORDER BY (batch, i)"); err != nil {
		t.Fatal(err)
	}
	round, _ := strconv.Atoi(os.Getenv("ETHIDX_CRASH_ROUND"))
	for b := round * 1_000_000; ; b++ {
		batch, err := conn.PrepareBatch(ctx, "INSERT INTO crash")
		if err != nil {
			t.Fatal(err)
		}
		for i := range crashBatch {
			if err := batch.Append(uint32(b), uint32(i), strings.Repeat("x", i%200)); err != nil {
				t.Fatal(err)
			}
		}
		if err := batch.Send(); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("ACK %d\n", b)
	}
}
