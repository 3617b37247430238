package report

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The chart is laid out once, against the small canvas interface below,
// and drawn by two backends: SVG text, and a rasterizer with a built-in
// bitmap font for PNG (the standard library has no font renderer, and a
// report should not need one installed).

type anchor int

const (
	start anchor = iota
	middle
	end
)

type canvas interface {
	// line strokes a polyline; dash > 0 draws dashes of that length.
	line(pts []point, c color.RGBA, width, dash float64)
	rect(x, y, w, h float64, fill color.RGBA)
	circle(x, y, r float64, fill, stroke color.RGBA)
	// text draws s with its baseline at y; size is the cap height in px.
	text(x, y float64, s string, size float64, c color.RGBA, a anchor, bold bool)
	// measure is the width text would take.
	measure(s string, size float64) float64
}

type point struct{ x, y float64 }

const (
	chartW, chartH = 1200.0, 960.0
	marginL        = 90.0
	marginR        = 30.0
	panelTop       = 150.0
	panelH         = 210.0
	panelGap       = 40.0
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

// WriteChart draws the daily active addresses, new addresses and
// transactions of both months, one panel each, with month boundaries and
// monthly means marked. The file's extension picks the format: .svg or
// .png.
func (r *Report) WriteChart(path string) error {
	if len(r.Days) == 0 {
		return errors.New("no daily series to draw: LoadDays first")
	}
	var data []byte
	switch strings.ToLower(filepath.Ext(path)) {
	case ".svg":
		s := newSVG(chartW, chartH)
		r.draw(s)
		data = s.bytes()
	case ".png":
		p := newRaster(int(chartW), int(chartH))
		r.draw(p)
		var err error
		if data, err = p.encode(); err != nil {
			return fmt.Errorf("encoding chart: %w", err)
		}
	default:
		return fmt.Errorf("chart %s: want a .svg or .png file name", path)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("writing chart: %w", err)
	}
	return nil
}

func (r *Report) draw(c canvas) {
	c.rect(0, 0, chartW, chartH, white)
	first := r.Prev.Month
	last := r.Month.Month.AddDate(0, 1, -1)
	ndays := int(last.Sub(first).Hours()/24) + 1
	plotW := chartW - marginL - marginR
	xOf := func(t time.Time) float64 {
		i := t.UTC().Sub(first).Hours() / 24
		return marginL + (i+0.5)*plotW/float64(ndays)
	}
	monthX := marginL + float64(r.Prev.DaysInMonth)*plotW/float64(ndays) // the boundary

	c.text(marginL, 40, fmt.Sprintf("Daily activity, %s - %s (UTC days)",
		first.Format("January 2006"), r.Month.Month.Format("January 2006")), 18, black, start, true)
	c.text(marginL, 66, "Dashed: monthly mean per day, over fully indexed days. Hollow points: days not fully indexed, left out of the means.",
		11, grey, start, false)
	// Legend.
	lx := marginL
	for _, s := range metrics {
		c.line([]point{{lx, 92}, {lx + 28, 92}}, s.color, 2.5, 0)
		c.text(lx+36, 97, s.title, 12, black, start, false)
		lx += 36 + c.measure(s.title, 12) + 34
	}
	c.line([]point{{lx, 92}, {lx + 28, 92}}, grey, 1.5, 6)
	c.text(lx+36, 97, "monthly mean", 12, black, start, false)
	lx += 36 + c.measure("monthly mean", 12) + 34
	c.circle(lx+6, 92, 4, white, grey)
	c.text(lx+18, 97, "day not fully indexed", 12, black, start, false)

	for i, s := range metrics {
		top := panelTop + float64(i)*(panelH+panelGap)
		bottom := top + panelH
		hi := 0.0
		for _, d := range r.Days {
			hi = math.Max(hi, s.value(d))
		}
		hi = math.Max(hi, math.Max(s.mean(r.Month), s.mean(r.Prev)))
		ticks := niceTicks(hi)
		top2 := ticks[len(ticks)-1]
		yOf := func(v float64) float64 { return bottom - v/top2*panelH }
		for _, t := range ticks {
			y := yOf(t)
			c.line([]point{{marginL, y}, {chartW - marginR, y}}, gridColor, 1, 0)
			c.text(marginL-8, y+4, short(t), 11, grey, end, false)
		}
		c.line([]point{{marginL, top}, {marginL, bottom}, {chartW - marginR, bottom}}, grey, 1, 0)
		c.text(marginL+8, top-10, s.title+" ("+s.unit+")", 13, black, start, true)
		c.line([]point{{monthX, top}, {monthX, bottom}}, boundary, 1.2, 5)

		// The daily series; a missing day breaks the line.
		var run []point
		var prevDay time.Time
		for _, d := range r.Days {
			p := point{xOf(d.Day), yOf(s.value(d))}
			if len(run) > 0 && d.Day.Sub(prevDay) > 24*time.Hour {
				c.line(run, s.color, 2, 0)
				run = nil
			}
			run = append(run, p)
			prevDay = d.Day
		}
		if len(run) > 0 {
			c.line(run, s.color, 2, 0)
		}
		for _, d := range r.Days {
			if d.Complete == 0 {
				c.circle(xOf(d.Day), yOf(s.value(d)), 4, white, s.color)
			}
		}

		// Monthly means, labelled with the month-over-month change.
		for _, m := range []Month{r.Prev, r.Month} {
			if m.DaysCovered == 0 {
				continue
			}
			x0 := xOf(m.Month) - 0.5*plotW/float64(ndays)
			x1 := x0 + float64(m.DaysInMonth)*plotW/float64(ndays)
			y := yOf(s.mean(m))
			dark := color.RGBA{s.color.R / 2, s.color.G / 2, s.color.B / 2, 0xff}
			c.line([]point{{x0, y}, {x1, y}}, dark, 1.5, 6)
			label := fmt.Sprintf("%s mean %s", m.Month.Format("Jan"), meanLabel(s.mean(m)))
			if m.Month.Equal(r.Month.Month) && s.g(m) != nil {
				label += " (" + pct(s.g(m)) + ")"
			}
			// On a translucent plate, so the series stays visible under it.
			w := c.measure(label, 11)
			c.rect(x1-w-10, y-22, w+8, 18, color.RGBA{0xff, 0xff, 0xff, 0xc8})
			c.text(x1-6, y-8, label, 11, dark, end, true)
		}
	}

	// Day labels under the last panel, weekly, and the month names.
	bottom := panelTop + 3*panelH + 2*panelGap
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		x := xOf(d)
		if d.Day() == 1 || d.Day()%7 == 1 && d.Day() < 29 {
			c.line([]point{{x, bottom}, {x, bottom + 5}}, grey, 1, 0)
			c.text(x, bottom+20, d.Format("Jan 2"), 11, grey, middle, false)
		}
	}
	for _, m := range []Month{r.Prev, r.Month} {
		x := (xOf(m.Month) + xOf(m.Month.AddDate(0, 1, -1))) / 2
		label := m.Month.Format("January 2006")
		if m.Partial == 1 {
			label += fmt.Sprintf(" (partial: %d/%d days)", m.DaysCovered, m.DaysInMonth)
		}
		c.text(x, bottom+44, label, 13, black, middle, true)
	}
	c.text(chartW-marginR, chartH-12, "ethidx", 10, grey, end, false)
}

// niceTicks returns 0 and round steps up to at least hi: 0, 200k, 400k...
func niceTicks(hi float64) []float64 {
	if hi <= 0 {
		return []float64{0, 1}
	}
	raw := hi / 4
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, f := range []float64{1, 2, 2.5, 5, 10} {
		if f*mag >= raw {
			step = f * mag
			break
		}
	}
	var out []float64
	for v := 0.0; ; v += step {
		out = append(out, v)
		if v >= hi {
			return out
		}
	}
}

// meanLabel gives a mean three significant digits or so: 2.9, 613.9k.
func meanLabel(v float64) string {
	if math.Abs(v) < 1000 {
		return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
	}
	return short(v)
}

// short formats an axis value: 950, 12.5k, 1.5M.
func short(v float64) string {
	f := func(x float64, unit string) string { return strconv.FormatFloat(x, 'f', -1, 64) + unit }
	switch a := math.Abs(v); {
	case a >= 1e9:
		return f(math.Round(v/1e7)/100, "B")
	case a >= 1e6:
		return f(math.Round(v/1e4)/100, "M")
	case a >= 1e3:
		return f(math.Round(v/1e2)/10, "k")
	}
	return f(math.Round(v), "")
}
