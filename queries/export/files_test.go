package export

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethidx/ethidx/indexer"
)

// Files are cut at the partitions' edges and clipped to the range.
func TestFilesFollowPartitions(t *testing.T) {
	blocks := blockFiles(Table{Name: "logs", Partition: "blocks", Size: 1_000_000}, indexer.Range{From: 999_990, To: 2_000_005}, "csv")
	var names []string
	for _, f := range blocks {
		names = append(names, f.Name)
	}
	want := []string{"logs__0000999990_to_0000999999.csv", "logs__0001000000_to_0001999999.csv", "logs__0002000000_to_0002000005.csv"}
	if len(names) != 3 || names[0] != want[0] || names[1] != want[1] || names[2] != want[2] || blocks[1].Blocks != 1_000_000 {
		t.Errorf("block files %v, want %v", names, want)
	}
	d := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	months := dayFiles(Table{Name: "daily_fees", Partition: "month"}, d(2025, 12, 20), d(2026, 2, 3), nil, "jsonl")
	years := dayFiles(Table{Name: "monthly_growth", Partition: "year"}, d(2025, 11, 1), d(2026, 2, 28), nil, "jsonl")
	if len(months) != 3 || months[0].Name != "daily_fees__2025-12-20_to_2025-12-31.jsonl" || months[2].Params["to"] != "2026-02-03" ||
		len(years) != 2 || years[1].Name != "monthly_growth__2026-01-01_to_2026-02-28.jsonl" {
		t.Errorf("month files %v, year files %v", months, years)
	}
}

type failingStream struct{}

func (failingStream) RawQueryWith(_ context.Context, _ string, _, _ map[string]string, w io.Writer) error {
	w.Write([]byte("PAR1 half a file"))
	return errors.New("the engine failed mid-stream")
}

// A failed file leaves nothing behind: no partial file, no temporary.
func TestWriteFileIsAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "blocks__0000000000_to_0000000009.parquet")
	if _, err := writeFile(context.Background(), failingStream{}, path, "SELECT 1", nil, nil); err == nil {
		t.Fatal("writeFile succeeded over a failing stream")
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}
