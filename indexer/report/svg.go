package report

import (
	"bytes"
	"fmt"
	"image/color"
	"strings"
)

// svg is the vector canvas: plain SVG 1.1 text, one element per mark.
type svg struct{ buf bytes.Buffer }

func newSVG(w, h float64) *svg {
	s := &svg{}
	fmt.Fprintf(&s.buf, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">`+"\n", w, h, w, h)
	return s
}

func (s *svg) bytes() []byte {
	return append(s.buf.Bytes(), "</svg>\n"...)
}

func hexColor(c color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

func (s *svg) line(pts []point, c color.RGBA, width, dash float64) {
	var b strings.Builder
	for i, p := range pts {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.1f,%.1f", p.x, p.y)
	}
	extra := ""
	if dash > 0 {
		extra = fmt.Sprintf(` stroke-dasharray="%g %g"`, dash, dash*0.7)
	}
	fmt.Fprintf(&s.buf, `<polyline points="%s" fill="none" stroke="%s" stroke-width="%g" stroke-linejoin="round"%s/>`+"\n",
		b.String(), hexColor(c), width, extra)
}

func (s *svg) rect(x, y, w, h float64, fill color.RGBA) {
	opacity := ""
	if fill.A != 0xff {
		opacity = fmt.Sprintf(` fill-opacity="%.2f"`, float64(fill.A)/255)
	}
	fmt.Fprintf(&s.buf, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"%s/>`+"\n", x, y, w, h, hexColor(fill), opacity)
}

func (s *svg) circle(x, y, r float64, fill, stroke color.RGBA) {
	fmt.Fprintf(&s.buf, `<circle cx="%.1f" cy="%.1f" r="%g" fill="%s" stroke="%s" stroke-width="1.5"/>`+"\n",
		x, y, r, hexColor(fill), hexColor(stroke))
}

// A sans-serif cap height is about 0.72 of the font size.
const capRatio = 0.72

func (s *svg) text(x, y float64, str string, size float64, c color.RGBA, a anchor, bold bool) {
	anchors := [...]string{"start", "middle", "end"}
	weight := ""
	if bold {
		weight = ` font-weight="bold"`
	}
	var esc bytes.Buffer
	for _, r := range str {
		switch r {
		case '<':
			esc.WriteString("&lt;")
		case '>':
			esc.WriteString("&gt;")
		case '&':
			esc.WriteString("&amp;")
		default:
			esc.WriteRune(r)
		}
	}
	fmt.Fprintf(&s.buf, `<text x="%.1f" y="%.1f" font-size="%.1f" fill="%s" text-anchor="%s"%s>%s</text>`+"\n",
		x, y, size/capRatio, hexColor(c), anchors[a], weight, esc.String())
}

// measure estimates: an average sans-serif glyph is 0.6 em wide.
func (s *svg) measure(str string, size float64) float64 {
	return 0.6 * float64(len([]rune(str))) * size / capRatio
}
