package report

import (
	"bytes"
	"encoding/xml"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// TestChartSVGGolden draws the fixture's chart, no engine involved, and
// compares the SVG with testdata/chart.svg (go test -update rewrites it;
// look at the result before committing it).
func TestChartSVGGolden(t *testing.T) {
	r := fixture()
	var svg bytes.Buffer
	if err := r.EncodeChart(&svg, "svg"); err != nil {
		t.Fatal(err)
	}
	checkSVG(t, svg.Bytes(), r)
	golden(t, "chart.svg", svg.Bytes())

	// The same chart to a file, by extension.
	dir := t.TempDir()
	if err := r.WriteChart(filepath.Join(dir, "chart.SVG")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "chart.SVG")); !bytes.Equal(b, svg.Bytes()) {
		t.Error("WriteChart(.SVG) wrote other bytes than EncodeChart(svg)")
	}
	if err := r.WriteChart(filepath.Join(dir, "chart.gif")); err == nil || !strings.Contains(err.Error(), ".svg or .png") {
		t.Errorf("WriteChart(.gif) = %v, want an error naming the formats", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "chart.gif")); err == nil {
		t.Error("WriteChart(.gif) left a file behind")
	}
	if err := r.EncodeChart(io.Discard, "pdf"); err == nil {
		t.Error("EncodeChart(pdf) succeeded, want an error")
	}
	if err := (&Report{Month: r.Month, Prev: r.Prev}).EncodeChart(io.Discard, "svg"); err == nil {
		t.Error("EncodeChart without days succeeded, want an error asking for LoadDays")
	}
}

// checkSVG parses the SVG and looks for what a reader looks for: every
// title and label in text elements, each series stroked in its colour,
// and a fallback font.
func checkSVG(t *testing.T, b []byte, r *Report) {
	t.Helper()
	var texts []string
	strokes := map[string]int{}
	dec := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			for _, a := range se.Attr {
				if a.Name.Local == "style" {
					for _, s := range metrics {
						if strings.Contains(a.Value, "stroke:"+hexColor(s.color)) {
							strokes[s.title]++
						}
					}
				}
			}
			if se.Name.Local == "text" {
				var s string
				if err := dec.DecodeElement(&s, &se); err != nil {
					t.Fatal(err)
				}
				texts = append(texts, s)
			}
		}
	}
	all := strings.Join(texts, "\n")
	want := []string{
		"Daily activity, December 2025 - January 2026 (UTC days)",
		"Active addresses (addresses per day)", "New addresses (addresses per day)", "Transactions (transactions per day)",
		"December 2025", "January 2026", "Dec 1", "Dec 22", "Jan 1", "Jan 22", "monthly mean", "day not fully indexed",
		"Jan mean " + meanLabel(r.Month.ActiveMean) + " (" + pct(r.Month.ActiveGrowth) + ")",
		"Dec mean " + meanLabel(r.Prev.TxPerDay),
	}
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("the SVG has no text %q", w)
		}
	}
	for _, s := range metrics {
		// The legend's line, plus at least two runs broken by January 10.
		if strokes[s.title] < 3 {
			t.Errorf("%s: %d paths stroked in %s, want the legend and the broken series", s.title, strokes[s.title], hexColor(s.color))
		}
	}
	if n, fallback := bytes.Count(b, []byte("<text ")), bytes.Count(b, []byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif;")); fallback != n {
		t.Errorf("%d of %d text elements name a fallback for Liberation Sans", fallback, n)
	}
	if n, pinned := bytes.Count(b, []byte("<text ")), bytes.Count(b, []byte(`lengthAdjust="spacingAndGlyphs"`)); pinned != n || n != len(texts) {
		t.Errorf("%d of %d text elements have their measured width", pinned, n)
	}
}

func hexColor(c color.RGBA) string {
	const hex = "0123456789ABCDEF" // as gonum writes colours
	return string([]byte{'#', hex[c.R>>4], hex[c.R&15], hex[c.G>>4], hex[c.G&15], hex[c.B>>4], hex[c.B&15]})
}

// TestChartPNG decodes the PNG: its size, and each series' colour over
// enough pixels that its line was drawn, not just the frame.
// ETHIDX_CHART_DIR=dir keeps it there, to look at.
func TestChartPNG(t *testing.T) {
	r := fixture()
	path := filepath.Join(t.TempDir(), "chart.png")
	if dir := os.Getenv("ETHIDX_CHART_DIR"); dir != "" {
		path = filepath.Join(dir, "chart.png")
	}
	if err := r.WriteChart(path); err != nil {
		t.Fatal(err)
	}
	CheckPNG(t, path)
}

// CheckPNG is the PNG check, shared with the engine's test.
func CheckPNG(t *testing.T, path string) {
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
	count := map[color.RGBA]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			count[color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)]++
		}
	}
	for _, s := range metrics {
		if n := count[s.color]; n < 1000 {
			t.Errorf("%s: its colour covers %d pixels: its line is missing", s.title, n)
		}
	}
	if n := count[white]; n < b.Dx()*b.Dy()/2 {
		t.Errorf("only %d pixels are white: no background", n)
	}
	if dark := countDark(img); dark < 20000 {
		t.Errorf("%d dark pixels: the text is missing", dark)
	}
}

// countDark counts near-black pixels: the titles and labels.
func countDark(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0x5000 && g < 0x5000 && bl < 0x5000 {
				n++
			}
		}
	}
	return n
}

// TestMeanLabelsClearOfSeries checks, for every panel of several
// reports, that each mean label's box lies in its panel's data area,
// within its month's days, apart from the other labels, and that no
// point of a series line (sampled every half point along each segment,
// from the report's own days) nor any hollow marker falls in it.
func TestMeanLabelsClearOfSeries(t *testing.T) {
	flat := fixture()
	for i := range flat.Days { // every day at its month's mean: the line runs through the label spots
		m := flat.Month
		if flat.Days[i].Day.Before(m.Month) {
			m = flat.Prev
		}
		flat.Days[i].ActiveAddresses, flat.Days[i].NewAddresses, flat.Days[i].TxCount =
			uint64(m.ActiveMean), uint64(m.NewPerDay), uint64(m.TxPerDay)
	}
	noPrev := fixture()
	noPrev.Days = noPrev.Days[31:]
	noPrev.Prev = Month{Month: noPrev.Prev.Month, DaysInMonth: 31}
	for name, r := range map[string]*Report{"fixture": fixture(), "flat": flat, "no December": noPrev} {
		ch := r.newChart()
		ch.draw(draw.New(vgsvg.New(chartW, chartH)))
		defaultSpotTaken := false
		for i, s := range metrics {
			l, p, area := ch.labels[i], ch.plots[i], ch.dataAreas[i]
			if len(l.placed) != len(l.marks) {
				t.Fatalf("%s %s: %d labels placed for %d means", name, s.title, len(l.placed), len(l.marks))
			}
			trX, trY := p.Transforms(&area)
			var prevX, prevY vg.Length
			for j, d := range r.Days {
				x, y := trX(ch.x(d.Day)), trY(s.value(d))
				for _, box := range l.placed {
					if d.Complete == 0 && overlaps(grow(box, 3.6), vg.Rectangle{Min: vg.Point{X: x, Y: y}, Max: vg.Point{X: x, Y: y}}) {
						t.Errorf("%s %s: a label covers the hollow marker of %s", name, s.title, d.Day.Format("Jan 2"))
					}
					if j == 0 || d.Day.Sub(r.Days[j-1].Day) > 24*time.Hour {
						continue
					}
					n := int(max(abs(x-prevX), abs(y-prevY))/0.5) + 1
					for k := 0; k <= n; k++ {
						f := vg.Length(k) / vg.Length(n)
						px, py := prevX+(x-prevX)*f, prevY+(y-prevY)*f
						if px > box.Min.X-0.75 && px < box.Max.X+0.75 && py > box.Min.Y-0.75 && py < box.Max.Y+0.75 {
							t.Errorf("%s %s: label box %v covers the series between %s and %s", name, s.title, box,
								r.Days[j-1].Day.Format("Jan 2"), d.Day.Format("Jan 2"))
							k = n
						}
					}
				}
				prevX, prevY = x, y
			}
			for j, box := range l.placed {
				m := l.marks[j]
				if box.Min.X < max(trX(m.x0), area.Min.X) || box.Max.X > trX(m.x1) || box.Min.Y < area.Min.Y || box.Max.Y > area.Max.Y {
					t.Errorf("%s %s: label %q at %v leaves its month's part of the data area", name, s.title, m.label, box)
				}
				for _, other := range l.placed[:j] {
					if overlaps(box, other) {
						t.Errorf("%s %s: labels overlap", name, s.title)
					}
				}
				// Where the label goes first: above the line at the
				// month's right end.
				if box.Min.Y != trY(m.y)+labelPad || box.Max.X != trX(m.x1)-labelPad {
					defaultSpotTaken = true
				}
			}
		}
		if name == "fixture" && !defaultSpotTaken {
			t.Error("every label sat at its first spot: the fixture's January burst no longer tests the placement")
		}
	}
}

func abs(v vg.Length) vg.Length {
	if v < 0 {
		return -v
	}
	return v
}

// TestSegmentHits checks the clipping against cases worked by hand.
func TestSegmentHits(t *testing.T) {
	box := vg.Rectangle{Min: vg.Point{X: 0, Y: 0}, Max: vg.Point{X: 10, Y: 5}}
	p := func(x, y vg.Length) vg.Point { return vg.Point{X: x, Y: y} }
	for _, c := range []struct {
		s    segment
		want bool
	}{
		{segment{p(-5, 2), p(15, 2)}, true},   // straight through
		{segment{p(2, 1), p(3, 2)}, true},     // inside
		{segment{p(-5, -1), p(-1, 8)}, false}, // beside
		{segment{p(-5, 7), p(15, 6)}, false},  // above
		{segment{p(-2, 3), p(3, 8)}, true},    // cuts the top-left corner
		{segment{p(-4, 3), p(1, 8)}, false},   // passes the corner
		{segment{p(4, 4), p(4, 4)}, true},     // a point inside
		{segment{p(4, 6), p(4, 6)}, false},    // a point outside
		{segment{p(12, -3), p(12, 9)}, false}, // vertical, right of it
	} {
		if got := c.s.hits(box); got != c.want {
			t.Errorf("%v hits %v = %v, want %v", c.s, box, got, c.want)
		}
	}
}

// A partial day far above the rest (a dev chain's busy last day) does not
// set the scale: the complete days keep the plot's height and the partial
// day is drawn at its top edge.
func TestPartialDayDoesNotScaleTheChart(t *testing.T) {
	r := fixture()
	last := &r.Days[len(r.Days)-1]
	last.Complete = 0
	last.ActiveAddresses, last.NewAddresses, last.TxCount = 1e9, 1e9, 1e10
	ch := r.newChart()
	normal := fixture().newChart()
	for i, s := range metrics {
		if got, want := ch.plots[i].Y.Max, normal.plots[i].Y.Max; got != want {
			t.Errorf("%s: axis up to %v with a huge partial day, want %v as without it", s.title, got, want)
		}
		dots := ch.labels[i].dots
		if len(dots) == 0 || dots[len(dots)-1].Y != ch.plots[i].Y.Max {
			t.Errorf("%s: the partial day is not drawn at the top edge: %v", s.title, dots)
		}
	}
}
