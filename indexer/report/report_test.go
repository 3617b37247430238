package report_test

import (
	"bytes"
	"context"
	"flag"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethidx/ethidx/indexer/chsink"
	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
	"github.com/ethidx/ethidx/indexer/report"
	"github.com/ethidx/ethidx/queries"
	"github.com/ethidx/ethidx/queries/querytest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", name, got)
	}
}

func TestMonthly(t *testing.T) {
	ctx := context.Background()
	conn, _ := chsinktest.Conn(t)
	if err := queries.Install(ctx, conn); err != nil {
		t.Fatal(err)
	}
	chain := querytest.Chain(0, 330, 1)
	if err := chsink.New(conn).Write(ctx, chain); err != nil {
		t.Fatal(err)
	}

	// The latest complete month is January: February's last day is at the
	// head of the index.
	r, err := report.Monthly(ctx, conn, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Month.Month.Format("2006-01"); got != "2026-01" {
		t.Fatalf("latest complete month = %s, want 2026-01", got)
	}
	want := querytest.ExpectMonthly(querytest.ExpectDaily(chain))
	if r.Month.Transactions != want[2].Transactions || r.Month.NewAddresses != want[2].NewAddresses || r.Prev.ActiveMean != want[1].ActiveMean {
		t.Errorf("report disagrees with the recomputation: %+v vs %+v", r.Month, want[2])
	}
	var text bytes.Buffer
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	golden(t, "2026-01.txt", text.Bytes())

	dir := t.TempDir()
	svg := filepath.Join(dir, "chart.svg")
	if err := r.WriteChart(svg); err == nil {
		t.Error("WriteChart before LoadDays succeeded, want an error")
	}
	if err := r.LoadDays(ctx, conn); err != nil {
		t.Fatal(err)
	}
	if len(r.Days) != 31+31 {
		t.Errorf("LoadDays read %d days, want 62 (December and January)", len(r.Days))
	}
	if err := r.WriteChart(svg); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(svg)
	golden(t, "2026-01.svg", b)
	pngPath := filepath.Join(dir, "chart.png")
	if os.Getenv("ETHIDX_CHART_DIR") != "" { // to look at it
		pngPath = filepath.Join(os.Getenv("ETHIDX_CHART_DIR"), "2026-01.png")
	}
	if err := r.WriteChart(pngPath); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, pngPath)
	if err := r.WriteChart(filepath.Join(dir, "chart.gif")); err == nil {
		t.Error("WriteChart(.gif) succeeded, want an error naming the formats")
	}

	// A partial month says so.
	r, err = report.Monthly(ctx, conn, "2026-02")
	if err != nil {
		t.Fatal(err)
	}
	text.Reset()
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	golden(t, "2026-02.txt", text.Bytes())
}

// checkPNG decodes the chart and looks for each series' colour: the lines
// were drawn, not just the frame.
func checkPNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 2400 || b.Dy() != 1920 {
		t.Errorf("PNG is %dx%d, want 2400x1920", b.Dx(), b.Dy())
	}
	want := map[color.RGBA]int{{0x1f, 0x6f, 0xb4, 0xff}: 0, {0x2c, 0x8c, 0x2c, 0xff}: 0, {0xe0, 0x6c, 0x00, 0xff}: 0}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			if _, ok := want[c]; ok {
				want[c]++
			}
		}
	}
	for c, n := range want {
		if n < 1000 {
			t.Errorf("series colour %v covers %d pixels: its line is missing", c, n)
		}
	}
}
