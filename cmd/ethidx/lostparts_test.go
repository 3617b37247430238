package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ethidx/ethidx/indexer/replay"
)

// A part directory of a derived table deleted while the data dir is
// closed leaves the engine no trace: it reads the other parts as all there
// is. The parts inventory recorded at the last close tells: every figure
// is refused, status names the part and the repair, and the named rebuild
// makes the figures equal the ones before.
func TestLostDerivedPartsAreRefusedThenRebuilt(t *testing.T) {
	t.Parallel()
	srv := replay.New(replay.Options{})
	if err := srv.Generate(replay.GenOptions{From: 1, Count: 200, TxPerBlock: 12, Seed: 12}); err != nil {
		t.Fatal(err)
	}
	url, stop, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	for _, table := range []string{"address_activity", "address_first_seen"} {
		t.Run(table, func(t *testing.T) {
			dir := t.TempDir()
			base := []string{"--data-dir", dir, "--http-addr", "127.0.0.1:0"}
			if out, code := run(t, 3*time.Minute, append(base, "backfill", "--rpc", url, "--from", "1", "--to", "200", "--batch", "50")...); code != 0 {
				t.Fatalf("backfill: exit %d\n%s", code, out)
			}
			query := append(base, "query", "daily_activity", "--format", "csv")
			want, code := run(t, time.Minute, query...)
			if code != 0 {
				t.Fatalf("query: exit %d\n%s", code, want)
			}
			paths, names := activeParts(t, dir, table)
			removeOlderCopies(t, paths[0])
			if err := os.RemoveAll(paths[0]); err != nil {
				t.Fatal(err)
			}
			out, code := run(t, time.Minute, query...)
			if code != 1 || !strings.Contains(out, table) || !strings.Contains(out, names[0]) || !strings.Contains(out, "ethidx rebuild --from") {
				t.Fatalf("query with a part of %s gone: exit %d, want 1 naming the part and the rebuild\n%s", table, code, out)
			}
			out, code = run(t, time.Minute, append(base, "status")...)
			if !strings.Contains(out, names[0]) || !strings.Contains(out, "rebuild") {
				t.Fatalf("status with a part of %s gone (exit %d) does not name it:\n%s", table, code, out)
			}
			if out, code := run(t, 2*time.Minute, append(base, "rebuild", "--from", "0")...); code != 0 {
				t.Fatalf("rebuild: exit %d\n%s", code, out)
			}
			got, code := run(t, time.Minute, query...)
			if code != 0 || got != want {
				t.Fatalf("after the rebuild: exit %d\n%s\nwant\n%s", code, got, want)
			}
		})
	}
}
