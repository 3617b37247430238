package report

import (
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// meanMark is one month's mean per day: a dashed segment over the month's
// days, at height y, and its label.
type meanMark struct {
	x0, x1, y float64
	label     string
}

// meanLabels is the plotter that writes each month's mean label next to
// its dashed line, where it covers no part of the series. It tries spots
// in rows from the line outward (just above it, just below it, then half
// a label's height further each time), each row from the month's right
// end leftward, and takes the first whose box keeps clear of every series
// segment, every hollow marker, the other mean lines and the labels
// already placed. The last row is the top of the data area, which is
// always clear: the panel's y axis reaches a fifth above the highest
// value, so nothing is drawn there.
type meanLabels struct {
	marks []meanMark
	runs  []plotter.XYs // the daily series, as drawn
	dots  plotter.XYs   // the hollow markers of days not fully indexed
	style text.Style

	// placed is the room each mark's label took, in canvas coordinates:
	// the text's box, widened by fontSlack. Plot sets it (the tests read
	// it).
	placed []vg.Rectangle
}

// Clearances, in points: between a label and the line it names, and
// between a label's box and a series line's centre (half the 1.5pt line,
// and a gap), or a hollow marker's centre (its 3pt radius, half its ring,
// and a gap).
const (
	labelPad = vg.Length(3)
	// fontSlack widens the room kept for a label to its right, where the
	// text runs from its left edge, for an SVG viewer that ignores
	// textLength and substitutes a wider sans: DejaVu Sans Bold, the usual
	// fallback on Linux, is up to a fifth wider than Liberation Sans Bold.
	fontSlack     = 1.2
	lineClearance = vg.Length(0.75 + 1.5)
	dotClearance  = vg.Length(3 + 0.6 + 1.5)
)

type segment struct{ a, b vg.Point }

func (l *meanLabels) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	pt := func(xy plotter.XY) vg.Point { return vg.Point{X: trX(xy.X), Y: trY(xy.Y)} }
	var series, dots, means []segment
	for _, run := range l.runs {
		if len(run) == 1 {
			series = append(series, segment{pt(run[0]), pt(run[0])})
		}
		for i := 1; i < len(run); i++ {
			series = append(series, segment{pt(run[i-1]), pt(run[i])})
		}
	}
	for _, d := range l.dots {
		dots = append(dots, segment{pt(d), pt(d)})
	}
	for _, m := range l.marks {
		means = append(means, segment{vg.Point{X: trX(m.x0), Y: trY(m.y)}, vg.Point{X: trX(m.x1), Y: trY(m.y)}})
	}

	l.placed = l.placed[:0]
	free := func(box vg.Rectangle, own int) bool {
		if box.Min.X < c.Min.X || box.Max.X > c.Max.X || box.Min.Y < c.Min.Y || box.Max.Y > c.Max.Y {
			return false
		}
		for _, s := range series {
			if s.hits(grow(box, lineClearance)) {
				return false
			}
		}
		for _, s := range dots {
			if s.hits(grow(box, dotClearance)) {
				return false
			}
		}
		for i, s := range means {
			if i != own && s.hits(grow(box, labelPad)) {
				return false
			}
		}
		for _, other := range l.placed {
			if overlaps(grow(box, labelPad), other) {
				return false
			}
		}
		return true
	}

	for i, m := range l.marks {
		rel := l.style.Rectangle(m.label) // the text's box if drawn at (0, 0)
		w, h := (rel.Max.X-rel.Min.X)*fontSlack, rel.Max.Y-rel.Min.Y
		x0, x1 := max(trX(m.x0), c.Min.X), min(trX(m.x1), c.Max.X)
		y := trY(m.y)
		// Left edges from the month's right end to its left, in eight steps.
		var lefts []vg.Length
		const steps = 8
		for k := steps; k >= 0; k-- {
			lefts = append(lefts, x0+labelPad+(x1-x0-2*labelPad-w)*vg.Length(k)/steps)
		}
		// Rows from the line outward, half a label's height apart, first
		// above, then below it; last, the top of the data area.
		var rows []vg.Length
		for k := vg.Length(0); ; k++ {
			up, down := y+labelPad+k*h/2, y-labelPad-h-k*h/2
			if up+h > c.Max.Y && down < c.Min.Y {
				break
			}
			if up+h <= c.Max.Y {
				rows = append(rows, up)
			}
			if down >= c.Min.Y {
				rows = append(rows, down)
			}
		}
		rows = append(rows, c.Max.Y-labelPad-h)
		var boxes []vg.Rectangle
		for _, by := range rows {
			for _, lx := range lefts {
				boxes = append(boxes, vg.Rectangle{Min: vg.Point{X: lx, Y: by}, Max: vg.Point{X: lx + w, Y: by + h}})
			}
		}
		box := boxes[len(boxes)-steps-1] // the top of the month, right-aligned: never crowded, as above
		for _, b := range boxes {
			if free(b, i) {
				box = b
				break
			}
		}
		l.placed = append(l.placed, box)
		c.FillText(l.style, box.Min.Sub(rel.Min), m.label)
	}
}

// grow is r widened by d on every side.
func grow(r vg.Rectangle, d vg.Length) vg.Rectangle {
	return vg.Rectangle{Min: vg.Point{X: r.Min.X - d, Y: r.Min.Y - d}, Max: vg.Point{X: r.Max.X + d, Y: r.Max.Y + d}}
}

func overlaps(a, b vg.Rectangle) bool {
	return a.Min.X < b.Max.X && b.Min.X < a.Max.X && a.Min.Y < b.Max.Y && b.Min.Y < a.Max.Y
}

// hits reports whether the segment crosses or lies in r: the segment
// a + t(b-a), t in [0, 1], is clipped to each of r's four half-planes in
// turn (Liang-Barsky), and hits if any part survives.
func (s segment) hits(r vg.Rectangle) bool {
	t0, t1 := 0.0, 1.0
	dx, dy := float64(s.b.X-s.a.X), float64(s.b.Y-s.a.Y)
	for _, e := range [4]struct{ p, q float64 }{
		{-dx, float64(s.a.X - r.Min.X)},
		{dx, float64(r.Max.X - s.a.X)},
		{-dy, float64(s.a.Y - r.Min.Y)},
		{dy, float64(r.Max.Y - s.a.Y)},
	} {
		if e.p == 0 { // parallel to this edge: inside its half-plane or not at all
			if e.q < 0 {
				return false
			}
			continue
		}
		t := e.q / e.p
		if e.p < 0 { // entering
			if t > t1 {
				return false
			}
			t0 = max(t0, t)
		} else { // leaving
			if t < t0 {
				return false
			}
			t1 = min(t1, t)
		}
	}
	return true
}
