package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethidx/ethidx/indexer/chsink"
	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
	"github.com/ethidx/ethidx/queries"
	"github.com/ethidx/ethidx/queries/querytest"
	"github.com/ethidx/ethidx/queries/report"
)

func TestMonthly(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the embedded engine; the text and chart tests need none")
	}
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
	report.Golden(t, "2026-01.txt", text.Bytes())

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
	if b, err := os.ReadFile(svg); err != nil || !bytes.Contains(b, []byte("<svg")) {
		t.Errorf("WriteChart(.svg) wrote no SVG: %v", err)
	}
	pngPath := filepath.Join(dir, "chart.png")
	if os.Getenv("ETHIDX_CHART_DIR") != "" { // to look at it
		pngPath = filepath.Join(os.Getenv("ETHIDX_CHART_DIR"), "2026-01.png")
	}
	if err := r.WriteChart(pngPath); err != nil {
		t.Fatal(err)
	}
	report.CheckPNG(t, pngPath)
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
	report.Golden(t, "2026-02.txt", text.Bytes())

	// Each definition reports its own figures, from the same views, and
	// the JSON says for every figure where it comes from.
	for _, tc := range []struct {
		def          report.Definition
		active       float64
		newAddresses uint64
	}{
		{report.Participants, want[2].ActiveMean, want[2].NewAddresses},
		{report.Senders, want[2].SendersMean, want[2].NewSenders},
		{report.AllParties, want[2].AllPartiesMean, want[2].NewAllParties},
	} {
		r, err := report.Monthly(ctx, conn, "2026-01")
		if err != nil {
			t.Fatal(err)
		}
		r.Use(tc.def)
		if r.Month.ActiveMean != tc.active || r.Month.NewAddresses != tc.newAddresses {
			t.Errorf("%s: active %v new %d, want %v %d", tc.def, r.Month.ActiveMean, r.Month.NewAddresses, tc.active, tc.newAddresses)
		}
		if err := r.LoadSource(ctx, conn); err != nil {
			t.Fatal(err)
		}
		if r.Source.FirstBlock == 0 && r.Source.LastBlock == 0 {
			t.Errorf("%s: no block range", tc.def)
		}
		var js bytes.Buffer
		if err := r.WriteJSON(&js); err != nil {
			t.Fatal(err)
		}
		var out struct {
			Definition string
			Figures    []struct {
				Definition, Verification string
				FirstBlock               uint64 `json:"first_block"`
				LastBlock                uint64 `json:"last_block"`
				Complete                 *bool
			}
		}
		if err := json.Unmarshal(js.Bytes(), &out); err != nil {
			t.Fatal(err)
		}
		if out.Definition != string(tc.def) || len(out.Figures) != 5 {
			t.Fatalf("%s: json %s", tc.def, js.String())
		}
		for _, f := range out.Figures {
			if f.Definition == "" || f.Verification == "" || f.LastBlock != r.Source.LastBlock || f.Complete == nil {
				t.Errorf("%s: figure without its source: %+v", tc.def, f)
			}
		}
		if tc.def == report.Senders {
			text.Reset()
			if err := r.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			report.Golden(t, "2026-01-senders.txt", text.Bytes())
		}
	}
}
