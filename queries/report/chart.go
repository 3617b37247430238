package report

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// The chart is three gonum/plot panels stacked on one canvas, their data
// areas aligned so a day sits at the same x in each, under a header drawn
// with the same library. gonum/plot brings its own fonts (Liberation,
// embedded in the binary), measures text with them and renders both the
// SVG and the PNG, so the two outputs are laid out identically and a
// report needs no font installed.

// The canvas is 12.5 x 10 inches: 1200 x 960 CSS pixels in the SVG, and
// the PNG is drawn at twice that density (2400 x 1920) to stay crisp on
// high-density screens.
const (
	chartW = 12.5 * vg.Inch
	chartH = 10 * vg.Inch
	pngDPI = 192
)

var (
	black     = color.RGBA{0x22, 0x22, 0x22, 0xff}
	grey      = color.RGBA{0x66, 0x66, 0x66, 0xff}
	gridColor = color.RGBA{0xe3, 0xe3, 0xe3, 0xff}
	white     = color.RGBA{0xff, 0xff, 0xff, 0xff}
	boundary  = color.RGBA{0x88, 0x88, 0x88, 0xff}
)

// series is one metric's panel.
type series struct {
	title string
	unit  string
	color color.RGBA
	value func(Day) float64
	mean  func(Month) float64
	g     func(Month) *float64
}

var metrics = []series{
	{"Active addresses", "addresses per day", color.RGBA{0x1f, 0x6f, 0xb4, 0xff},
		func(d Day) float64 { return float64(d.ActiveAddresses) },
		func(m Month) float64 { return m.ActiveMean }, func(m Month) *float64 { return m.ActiveGrowth }},
	{"New addresses", "addresses per day", color.RGBA{0x2c, 0x8c, 0x2c, 0xff},
		func(d Day) float64 { return float64(d.NewAddresses) },
		func(m Month) float64 { return m.NewPerDay }, func(m Month) *float64 { return m.NewPerDayGrowth }},
	{"Transactions", "transactions per day", color.RGBA{0xe0, 0x6c, 0x00, 0xff},
		func(d Day) float64 { return float64(d.TxCount) },
		func(m Month) float64 { return m.TxPerDay }, func(m Month) *float64 { return m.TxPerDayGrowth }},
}

// darker is the colour of a series' mean line and label: the series
// colour at half brightness, so it reads as the same metric yet stands
// out against the series line it crosses.
func darker(c color.RGBA) color.RGBA { return color.RGBA{c.R / 2, c.G / 2, c.B / 2, 0xff} }

// WriteChart draws the daily active addresses, new addresses and
// transactions of both months, one panel each, with month boundaries and
// monthly means marked. The file's extension picks the format: .svg or
// .png.
func (r *Report) WriteChart(path string) error {
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	if format != "svg" && format != "png" {
		return fmt.Errorf("chart %s: want a .svg or .png file name", path)
	}
	var buf bytes.Buffer
	if err := r.EncodeChart(&buf, format); err != nil {
		return err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing chart: %w", err)
	}
	return nil
}

// EncodeChart writes the chart WriteChart draws to w, as format "svg" or
// "png".
func (r *Report) EncodeChart(w io.Writer, format string) error {
	if len(r.Days) == 0 {
		return errors.New("no daily series to draw: LoadDays first")
	}
	switch format {
	case "svg":
		c := &measuredSVG{Canvas: vgsvg.New(chartW, chartH)}
		r.newChart().draw(draw.New(c))
		var buf bytes.Buffer
		if _, err := c.WriteTo(&buf); err != nil {
			return fmt.Errorf("encoding chart: %w", err)
		}
		out, err := c.fixTextWidths(buf.Bytes())
		if err != nil {
			return err
		}
		_, err = w.Write(out)
		return err
	case "png":
		c := vgimg.NewWith(vgimg.UseWH(chartW, chartH), vgimg.UseDPI(pngDPI))
		r.newChart().draw(draw.New(c))
		if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(w); err != nil {
			return fmt.Errorf("encoding chart: %w", err)
		}
		return nil
	}
	return fmt.Errorf("chart format %q: want svg or png", format)
}

// measuredSVG is gonum's SVG canvas, noting the width each string was
// measured at when drawn. The layout is computed with Liberation Sans,
// but a viewer without that font (or Arial, drawn to the same metrics)
// substitutes a wider or narrower one, and text would spill onto the
// series it was placed beside. fixTextWidths names Arial and Helvetica as
// fallbacks and pins every text element to its measured width
// (textLength), which browsers honour by fitting the glyphs they have to
// it; librsvg ignores textLength, and uses the fallbacks only. Embedding
// the fonts instead would add a megabyte to every chart, and librsvg
// ignores embedded fonts too.
type measuredSVG struct {
	*vgsvg.Canvas
	widths []vg.Length
}

func (c *measuredSVG) FillString(f font.Face, pt vg.Point, s string) {
	c.widths = append(c.widths, f.Width(s))
	c.Canvas.FillString(f, pt, s)
}

// fixTextWidths gives the i-th text element of svg, as written by the
// canvas, the i-th measured width, and the font a fallback family.
func (c *measuredSVG) fixTextWidths(svg []byte) ([]byte, error) {
	parts := bytes.Split(svg, []byte("<text "))
	if len(parts)-1 != len(c.widths) {
		return nil, fmt.Errorf("encoding chart: %d text elements for %d strings drawn", len(parts)-1, len(c.widths))
	}
	var out bytes.Buffer
	out.Write(parts[0])
	for i, p := range parts[1:] {
		fmt.Fprintf(&out, `<text textLength="%.2f" lengthAdjust="spacingAndGlyphs" `, c.widths[i].Points())
		out.Write(p)
	}
	return bytes.ReplaceAll(out.Bytes(), []byte("font-family:Liberation Sans;"),
		[]byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif;")), nil
}

// sans is the chart's text style: Liberation Sans of size points.
func sans(size float64, bold bool, c color.Color, xa text.XAlignment, ya text.YAlignment) text.Style {
	f := font.Font{Typeface: "Liberation", Variant: "Sans", Size: vg.Points(size)}
	if bold {
		f.Weight = xfont.WeightBold
	}
	return text.Style{Color: c, Font: f, XAlign: xa, YAlign: ya, Handler: plot.DefaultTextHandler}
}

// chart is the figure laid out from a report: one plot per metric, and
// after draw, where each plot's data area and mean labels ended up.
type chart struct {
	r           *Report
	first, last time.Time // the first and last day drawn
	ndays       int
	plots       []*plot.Plot
	labels      []*meanLabels
	dataAreas   []draw.Canvas
}

// x is day d's position on the x axis: its index from the first day, so
// a day is one unit wide and centred on a whole number.
func (ch *chart) x(d time.Time) float64 { return d.UTC().Sub(ch.first).Hours() / 24 }

func (r *Report) newChart() *chart {
	ch := &chart{r: r, first: r.Prev.Month, last: r.Month.Month.AddDate(0, 1, -1)}
	ch.ndays = int(math.Round(ch.x(ch.last))) + 1
	for i, s := range metrics {
		p, labels := ch.panel(s, i == len(metrics)-1)
		ch.plots = append(ch.plots, p)
		ch.labels = append(ch.labels, labels)
	}
	return ch
}

// panel builds one metric's plot; only the bottom one labels its days.
func (ch *chart) panel(s series, bottom bool) (*plot.Plot, *meanLabels) {
	r := ch.r
	p := plot.New()
	p.BackgroundColor = nil // the canvas is filled once, under everything
	p.Title.Text = s.title + " (" + s.unit + ")"
	if d := r.Definition; d != "" && d != Participants && s.title != "Transactions" {
		p.Title.Text = s.title + ", " + string(d) + " (" + s.unit + ")"
	}
	p.Title.TextStyle = sans(11, true, black, draw.XCenter, draw.YTop)
	p.Title.Padding = vg.Points(6)

	// The axis is scaled by the complete days and the means: a partial
	// day (a dev chain's busy last day, say) far above them would flatten
	// every complete day near 0, so it is drawn at the top edge instead.
	hi, hiPartial := 0.0, 0.0
	var runs []plotter.XYs // the daily series; a missing day breaks the line
	var partial plotter.XYs
	var prev time.Time
	for _, d := range r.Days {
		if d.Day.Before(ch.first) || d.Day.After(ch.last) {
			continue
		}
		pt := plotter.XY{X: ch.x(d.Day), Y: s.value(d)}
		if len(runs) == 0 || d.Day.Sub(prev) > 24*time.Hour {
			runs = append(runs, nil)
		}
		runs[len(runs)-1] = append(runs[len(runs)-1], pt)
		prev = d.Day
		if d.Complete == 0 {
			partial = append(partial, pt)
			hiPartial = math.Max(hiPartial, pt.Y)
		} else {
			hi = math.Max(hi, pt.Y)
		}
	}

	labels := &meanLabels{style: sans(9.5, true, darker(s.color), draw.XLeft, draw.YBottom), runs: runs, dots: partial}
	for _, m := range []Month{r.Prev, r.Month} {
		if m.DaysCovered == 0 {
			continue
		}
		v := s.mean(m)
		hi = math.Max(hi, v)
		label := fmt.Sprintf("%s mean %s", m.Month.Format("Jan"), meanLabel(v))
		if m.Month.Equal(r.Month.Month) && s.g(m) != nil {
			label += " (" + pct(s.g(m)) + ")"
		}
		x0 := ch.x(m.Month) - 0.5
		labels.marks = append(labels.marks, meanMark{x0: x0, x1: x0 + float64(m.DaysInMonth), y: v, label: label})
	}
	// The axis reaches a fifth above the highest value, so the top of each
	// month's span is always free for its mean label (see meanLabels).
	if hi == 0 {
		hi = hiPartial // no complete day to scale by
	}
	ticks := niceTicks(hi * 1.2)
	yMax := ticks[len(ticks)-1]
	for _, xys := range append(runs, partial) {
		for k := range xys {
			xys[k].Y = math.Min(xys[k].Y, yMax)
		}
	}

	grid := plotter.NewGrid()
	grid.Vertical.Color = nil
	grid.Horizontal = draw.LineStyle{Color: gridColor, Width: vg.Points(0.75)}
	p.Add(grid)

	monthX := float64(r.Prev.DaysInMonth) - 0.5
	p.Add(&plotter.Line{XYs: plotter.XYs{{X: monthX, Y: 0}, {X: monthX, Y: yMax}},
		LineStyle: draw.LineStyle{Color: boundary, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}})

	for _, run := range runs {
		if len(run) == 1 { // a lone day has no segment: mark it
			sc := &plotter.Scatter{XYs: run, GlyphStyle: draw.GlyphStyle{Color: s.color, Radius: vg.Points(1.6), Shape: draw.CircleGlyph{}}}
			p.Add(sc)
			continue
		}
		p.Add(&plotter.Line{XYs: run, LineStyle: draw.LineStyle{Color: s.color, Width: vg.Points(1.5)}})
	}
	if len(partial) > 0 {
		p.Add(&plotter.Scatter{XYs: partial, GlyphStyle: draw.GlyphStyle{Color: s.color, Radius: vg.Points(3), Shape: hollowGlyph{}}})
	}
	for _, m := range labels.marks {
		p.Add(&plotter.Line{XYs: plotter.XYs{{X: m.x0, Y: m.y}, {X: m.x1, Y: m.y}},
			LineStyle: draw.LineStyle{Color: darker(s.color), Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(4.5), vg.Points(3)}}})
	}
	p.Add(labels)

	// Set after Add, which widens the axes to the data.
	p.X.Min, p.X.Max = -0.5, float64(ch.ndays)-0.5
	p.Y.Min, p.Y.Max = 0, yMax
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Color, a.Width = grey, vg.Points(0.75)
		a.Tick.Color, a.Tick.Width, a.Tick.Length = grey, vg.Points(0.75), vg.Points(4)
		a.Padding = 0
	}
	p.Y.Tick.Label = sans(9, false, grey, draw.XRight, draw.YCenter)
	p.Y.Tick.Marker = fixedTicks(ticks)
	p.X.Tick.Label = sans(9, false, grey, draw.XCenter, draw.YTop)
	p.X.Tick.Marker = dayTicks{first: ch.first, ndays: ch.ndays, labels: bottom}
	if bottom {
		// Reserves a line under the day labels for the month names, which
		// draw writes centred under each month.
		p.X.Label.Text = " "
		p.X.Label.TextStyle = sans(11, true, black, draw.XCenter, draw.YBottom)
		p.X.Label.Padding = vg.Points(6)
	}
	return p, labels
}

// Header and footer heights, in points.
const (
	headerH = 84
	footerH = 14
)

// draw paints the chart onto dc: header, legend, the three aligned panels,
// the month names and the footer.
func (ch *chart) draw(dc draw.Canvas) {
	r := ch.r
	dc.SetColor(white)
	dc.Fill(dc.Rectangle.Path())

	left := dc.Min.X + vg.Points(24)
	top := dc.Max.Y
	dc.FillText(sans(16, true, black, draw.XLeft, draw.YTop), vg.Point{X: left, Y: top - vg.Points(16)},
		fmt.Sprintf("Daily activity, %s - %s (UTC days)", ch.first.Format("January 2006"), r.Month.Month.Format("January 2006")))
	dc.FillText(sans(10, false, grey, draw.XLeft, draw.YTop), vg.Point{X: left, Y: top - vg.Points(38)},
		"Dashed: monthly mean per day, over fully indexed days. Hollow points: days not fully indexed, left out of the means.")
	ch.legend(dc, left, top-vg.Points(64))

	tiles := draw.Tiles{Rows: len(ch.plots), Cols: 1, PadTop: headerH, PadBottom: footerH,
		PadLeft: vg.Points(12), PadRight: vg.Points(24), PadY: vg.Points(16)}
	column := make([][]*plot.Plot, len(ch.plots))
	for i, p := range ch.plots {
		column[i] = []*plot.Plot{p}
	}
	ch.dataAreas = ch.dataAreas[:0]
	for i, row := range plot.Align(column, tiles, dc) {
		ch.plots[i].Draw(row[0])
		ch.dataAreas = append(ch.dataAreas, ch.plots[i].DataCanvas(row[0]))
		if i == len(ch.plots)-1 {
			ch.monthNames(row[0], ch.plots[i], ch.dataAreas[i])
		}
	}
	dc.FillText(sans(8, false, grey, draw.XRight, draw.YBottom), vg.Point{X: dc.Max.X - vg.Points(8), Y: dc.Min.Y + vg.Points(3)}, "ethidx")
}

// legend draws one entry per series, then the mean line and the hollow
// point, in a row starting at (x, y), y being the row's centre.
func (ch *chart) legend(dc draw.Canvas, x, y vg.Length) {
	sty := sans(10, false, black, draw.XLeft, draw.YCenter)
	thumb, gap, space := vg.Points(22), vg.Points(6), vg.Points(22)
	entry := func(label string, mark func(x vg.Length)) {
		mark(x)
		dc.FillText(sty, vg.Point{X: x + thumb + gap, Y: y}, label)
		x += thumb + gap + sty.Width(label) + space
	}
	for _, s := range metrics {
		entry(s.title, func(x vg.Length) {
			dc.StrokeLine2(draw.LineStyle{Color: s.color, Width: vg.Points(2)}, x, y, x+thumb, y)
		})
	}
	entry("monthly mean", func(x vg.Length) {
		dc.StrokeLine2(draw.LineStyle{Color: grey, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(4.5), vg.Points(3)}}, x, y, x+thumb, y)
	})
	entry("day not fully indexed", func(x vg.Length) {
		dc.DrawGlyph(draw.GlyphStyle{Color: grey, Radius: vg.Points(3), Shape: hollowGlyph{}}, vg.Point{X: x + thumb/2, Y: y})
	})
}

// monthNames writes each month's name, and its coverage when partial,
// centred under its days in the line the bottom axis reserved.
func (ch *chart) monthNames(tile draw.Canvas, p *plot.Plot, data draw.Canvas) {
	trX, _ := p.Transforms(&data)
	for _, m := range []Month{ch.r.Prev, ch.r.Month} {
		label := m.Month.Format("January 2006")
		if m.Partial == 1 {
			label += fmt.Sprintf(" (partial: %d/%d days)", m.DaysCovered, m.DaysInMonth)
		}
		mid := ch.x(m.Month) - 0.5 + float64(m.DaysInMonth)/2
		tile.FillText(p.X.Label.TextStyle, vg.Point{X: trX(mid), Y: tile.Min.Y}, label)
	}
}

// hollowGlyph is a white disc with a ring of the glyph's colour: a day
// that is marked, yet visibly not a data point like the others.
type hollowGlyph struct{}

func (hollowGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	var path vg.Path
	path.Move(vg.Point{X: pt.X + sty.Radius, Y: pt.Y})
	path.Arc(pt, sty.Radius, 0, 2*math.Pi)
	path.Close()
	c.SetColor(white)
	c.Fill(path)
	c.SetLineStyle(draw.LineStyle{Color: sty.Color, Width: vg.Points(1.2)})
	c.Stroke(path)
}

// fixedTicks labels the given values with short numbers: 0, 200k, 400k.
type fixedTicks []float64

func (t fixedTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for _, v := range t {
		if v >= lo && v <= hi {
			out = append(out, plot.Tick{Value: v, Label: short(v)})
		}
	}
	return out
}

// dayTicks marks the 1st, 8th, 15th and 22nd of each month, labelled
// "Jan 8" when labels is set (an empty label is a minor tick).
type dayTicks struct {
	first  time.Time
	ndays  int
	labels bool
}

func (t dayTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for i := 0; i < t.ndays; i++ {
		d := t.first.AddDate(0, 0, i)
		if d.Day() != 1 && (d.Day()%7 != 1 || d.Day() >= 29) {
			continue
		}
		tk := plot.Tick{Value: float64(i)}
		if t.labels {
			tk.Label = d.Format("Jan 2")
		}
		out = append(out, tk)
	}
	return out
}

// niceTicks returns 0 and round steps up to at least hi, three to five
// of them: 0, 250k, 500k...
func niceTicks(hi float64) []float64 {
	if hi <= 0 {
		return []float64{0, 1}
	}
	raw := hi / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, f := range []float64{1, 2, 2.5, 5, 10} {
		if f*mag >= raw {
			step = f * mag
			break
		}
	}
	var out []float64
	for i := 0; ; i++ {
		v := float64(i) * step // not a running sum, which drifts: 0.1+0.2
		out = append(out, v)
		if v >= hi {
			return out
		}
	}
}

// meanLabel gives a mean three significant digits or so: 2.9, 613.9k.
func meanLabel(v float64) string {
	if r := math.Round(v*10) / 10; math.Abs(r) < 1000 {
		return strconv.FormatFloat(r, 'f', -1, 64)
	}
	return short(v)
}

// shortUnits are short's units, each with the decimals it keeps.
var shortUnits = []struct {
	div, prec float64
	suffix    string
}{{1, 1, ""}, {1e3, 10, "k"}, {1e6, 100, "M"}, {1e9, 100, "B"}}

// short formats an axis value: 950, 12.5k, 1.5M. A value that rounds up
// to a thousand of its unit takes the next one: 1M, not 1000k.
func short(v float64) string {
	i := 0
	for i+1 < len(shortUnits) && math.Abs(v) >= shortUnits[i+1].div {
		i++
	}
	in := func(i int) float64 { return math.Round(v/shortUnits[i].div*shortUnits[i].prec) / shortUnits[i].prec }
	x := in(i)
	if math.Abs(x) >= 1000 && i+1 < len(shortUnits) {
		i++
		x = in(i)
	}
	return strconv.FormatFloat(x, 'f', -1, 64) + shortUnits[i].suffix
}
