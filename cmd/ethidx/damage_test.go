package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethidx/ethidx/indexer/chdb"
	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
	"github.com/ethidx/ethidx/indexer/replay"
)

// activeParts returns the directories of table's active parts in a data
// dir no process holds, and their names.
func activeParts(t *testing.T, dir, table string) (paths, names []string) {
	t.Helper()
	inProcessEngine.Lock()
	defer inProcessEngine.Unlock()
	eng, err := chdb.Open(dir, chdb.Options{})
	if err != nil {
		t.Fatalf("opening %s: %v", dir, err)
	}
	defer eng.Close()
	out, err := eng.Query(context.Background(),
		"SELECT path, name FROM system.parts WHERE database = 'eth' AND table = {t:String} AND active ORDER BY name",
		"TSV", map[string]string{"t": table})
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Split(line, "\t"); len(f) == 2 {
			paths, names = append(paths, f[0]), append(names, f[1])
		}
	}
	if len(paths) == 0 {
		t.Fatalf("no active part of %s in %s", table, dir)
	}
	return paths, names
}

// removeOlderCopies deletes the parts a merge left behind for the part at
// path (the engine would bring them back if the merged part went), so the
// damage that follows loses the rows for good.
func removeOlderCopies(t *testing.T, path string) {
	t.Helper()
	path = filepath.Clean(path)
	name := filepath.Base(path)
	partition := name[:strings.IndexByte(name, '_')+1]
	siblings, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range siblings {
		if e.IsDir() && e.Name() != name && strings.HasPrefix(e.Name(), partition) {
			if err := os.RemoveAll(filepath.Join(filepath.Dir(path), e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// A part damaged on disk (truncated data, or its directory deleted) is
// never silently read as "no rows": every command that computes a figure
// or follows the chain refuses the store, naming the table, the part and
// the blocks; a backfill of those blocks repairs it, after which the
// tables and views equal a clean run's.
func TestDamagedPartsAreRefusedThenRepaired(t *testing.T) {
	t.Parallel()
	srv := replay.New(replay.Options{})
	if err := srv.Generate(replay.GenOptions{From: 1, Count: 300, TxPerBlock: 12, Seed: 11}); err != nil {
		t.Fatal(err)
	}
	url, stop, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	backfill := func(dir string, extra ...string) (string, int) {
		args := append([]string{"--data-dir", dir, "--http-addr", "127.0.0.1:0", "backfill", "--rpc", url,
			"--from", "1", "--to", "300", "--batch", "50"}, extra...)
		return run(t, 3*time.Minute, args...)
	}
	clean := t.TempDir()
	if out, code := backfill(clean); code != 0 {
		t.Fatalf("clean backfill: exit %d\n%s", code, out)
	}
	want := snapshotDir(t, clean)
	// The first case damages the clean store itself, its snapshot taken:
	// the same load, not made twice.
	loaded := clean

	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, part string)
		// what the refusal must name besides the table
		mentions []string
	}{
		{"truncated data.bin", func(t *testing.T, part string) {
			bins, _ := filepath.Glob(filepath.Join(part, "*.bin"))
			if len(bins) == 0 {
				t.Fatalf("no .bin file in %s", part)
			}
			fi, err := os.Stat(bins[0])
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(bins[0], fi.Size()/2); err != nil {
				t.Fatal(err)
			}
		}, []string{"detached", "broken"}},
		{"deleted part directory", func(t *testing.T, part string) {
			if err := os.RemoveAll(part); err != nil {
				t.Fatal(err)
			}
		}, []string{"rows"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := loaded
			if loaded = ""; dir == "" {
				dir = t.TempDir()
				if out, code := backfill(dir); code != 0 {
					t.Fatalf("backfill: exit %d\n%s", code, out)
				}
			}
			paths, names := activeParts(t, dir, "transactions")
			removeOlderCopies(t, paths[0])
			tc.damage(t, paths[0])

			base := []string{"--data-dir", dir, "--http-addr", "127.0.0.1:0"}
			for _, args := range [][]string{
				{"query", "daily_activity", "--from", "2000-01-01", "--to", "2100-01-01"},
				{"report"},
				{"follow", "--rpc", url, "--finality", "latest", "--once"},
				{"rebuild", "--from", "0"},
				{"serve"},
			} {
				out, code := run(t, 2*time.Minute, append(base, args...)...)
				if code == 0 {
					t.Errorf("%s on a damaged store: exit 0\n%s", args[0], out)
					continue
				}
				for _, m := range append([]string{"transactions", "lost data", "ethidx backfill --from 1 --to 300"}, tc.mentions...) {
					if !strings.Contains(out, m) {
						t.Errorf("%s: refusal does not mention %q:\n%s", args[0], m, out)
					}
				}
				if tc.name == "truncated data.bin" && !strings.Contains(out, names[0]) {
					t.Errorf("%s: refusal does not name the part %s:\n%s", args[0], names[0], out)
				}
			}
			// The repair: a backfill of the range the refusal named.
			out, code := backfill(dir)
			if code != 0 {
				t.Fatalf("repairing backfill: exit %d\n%s", code, out)
			}
			if !strings.Contains(out, "loading them again") {
				t.Errorf("repairing backfill did not say it reloads lost batches:\n%s", out)
			}
			chsinktest.Same(t, "repaired vs clean", snapshotDir(t, dir), want)
			// Whole again: the commands that refused now run.
			if out, code := run(t, 2*time.Minute, append(base, "query", "daily_activity", "--from", "2000-01-01", "--to", "2100-01-01")...); code != 0 {
				t.Errorf("query after repair: exit %d\n%s", code, out)
			}
		})
	}
}
