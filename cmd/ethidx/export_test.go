package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// export refuses bad flags with exit 2 before it opens any storage.
func TestExportBadFlags(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	for _, args := range [][]string{
		{"--table", "nope", "--from", "0", "--to", "9", "--output", out},
		{"--from", "0", "--to", "9", "--output", out},
		{"--table", "blocks", "--from", "0", "--to", "9"},
		{"--table", "blocks", "--from", "0", "--to", "9", "--output", file},
		{"--table", "blocks", "--from", "9", "--to", "0", "--output", out},
		{"--table", "blocks", "--from", "x", "--to", "9", "--output", out},
		{"--table", "blocks", "--output", out},
		{"--table", "blocks", "--from", "0", "--to", "9", "--from-date", "2026-01-01", "--to-date", "2026-01-02", "--output", out},
		{"--table", "blocks", "--from", "0", "--to", "9", "--format", "xml", "--output", out},
		{"--table", "daily_activity", "--from", "0", "--to", "9", "--output", out},
		{"--table", "monthly_growth", "--from-date", "2026-01-02", "--to-date", "2026-01-31", "--output", out},
		{"--table", "blocks", "--from-date", "2026-01-31", "--to-date", "2026-01-01", "--output", out},
	} {
		app := newApp()
		app.Writer, app.ErrWriter = io.Discard, io.Discard
		err := app.RunContext(context.Background(), append([]string{"ethidx", "--data-dir", data, "export"}, args...))
		if code := exitCode(err); code != 2 {
			t.Errorf("export %v: exit %d (%v), want 2", args, code, err)
		}
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("a refused export opened the data dir: %v", err)
	}
}
