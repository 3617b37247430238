package report

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
)

// raster is the PNG canvas. It draws at twice the chart's size (a crisp
// image on high-density screens, and room for the bitmap font to scale
// by whole pixels), antialiasing strokes by each pixel's distance to the
// segment.
type raster struct {
	img *image.RGBA
	k   float64 // device pixels per chart unit
}

const rasterScale = 2

func newRaster(w, h int) *raster {
	return &raster{img: image.NewRGBA(image.Rect(0, 0, w*rasterScale, h*rasterScale)), k: rasterScale}
}

func (r *raster) encode() ([]byte, error) {
	var buf bytes.Buffer
	err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, r.img)
	return buf.Bytes(), err
}

// blend paints c over the pixel with coverage a in [0, 1].
func (r *raster) blend(x, y int, c color.RGBA, a float64) {
	if a <= 0 || !(image.Point{x, y}.In(r.img.Rect)) {
		return
	}
	a = math.Min(a, 1) * float64(c.A) / 255
	i := r.img.PixOffset(x, y)
	p := r.img.Pix[i : i+4 : i+4]
	mix := func(dst, src uint8) uint8 { return uint8(math.Round(float64(dst)*(1-a) + float64(src)*a)) }
	p[0], p[1], p[2] = mix(p[0], c.R), mix(p[1], c.G), mix(p[2], c.B)
	p[3] = 0xff
}

func (r *raster) rect(x, y, w, h float64, fill color.RGBA) {
	x0, y0 := int(math.Round(x*r.k)), int(math.Round(y*r.k))
	x1, y1 := int(math.Round((x+w)*r.k)), int(math.Round((y+h)*r.k))
	for py := y0; py < y1; py++ {
		for px := x0; px < x1; px++ {
			r.blend(px, py, fill, 1)
		}
	}
}

func (r *raster) line(pts []point, c color.RGBA, width, dash float64) {
	for i := 1; i < len(pts); i++ {
		a, b := pts[i-1], pts[i]
		if dash <= 0 {
			r.segment(a, b, c, width)
			continue
		}
		// Dashes restart on each segment: ours are straight lines.
		l := math.Hypot(b.x-a.x, b.y-a.y)
		for s := 0.0; s < l; s += dash * 1.7 {
			e := math.Min(s+dash, l)
			r.segment(lerp(a, b, s/l), lerp(a, b, e/l), c, width)
		}
	}
}

func lerp(a, b point, t float64) point { return point{a.x + (b.x-a.x)*t, a.y + (b.y-a.y)*t} }

// segment strokes a to b, round-capped, in chart units.
func (r *raster) segment(a, b point, c color.RGBA, width float64) {
	ax, ay, bx, by := a.x*r.k, a.y*r.k, b.x*r.k, b.y*r.k
	hw := width * r.k / 2
	x0, x1 := int(math.Floor(math.Min(ax, bx)-hw-1)), int(math.Ceil(math.Max(ax, bx)+hw+1))
	y0, y1 := int(math.Floor(math.Min(ay, by)-hw-1)), int(math.Ceil(math.Max(ay, by)+hw+1))
	dx, dy := bx-ax, by-ay
	l2 := dx*dx + dy*dy
	for py := y0; py <= y1; py++ {
		for px := x0; px <= x1; px++ {
			cx, cy := float64(px)+0.5, float64(py)+0.5
			t := 0.0
			if l2 > 0 {
				t = math.Max(0, math.Min(1, ((cx-ax)*dx+(cy-ay)*dy)/l2))
			}
			d := math.Hypot(cx-(ax+t*dx), cy-(ay+t*dy))
			r.blend(px, py, c, hw+0.5-d)
		}
	}
}

func (r *raster) circle(x, y, rad float64, fill, stroke color.RGBA) {
	cx, cy, rr := x*r.k, y*r.k, rad*r.k
	ring := 1.5 * r.k
	for py := int(cy - rr - 2); py <= int(cy+rr+2); py++ {
		for px := int(cx - rr - 2); px <= int(cx+rr+2); px++ {
			d := math.Hypot(float64(px)+0.5-cx, float64(py)+0.5-cy)
			r.blend(px, py, fill, rr+0.5-d)
			r.blend(px, py, stroke, math.Min(rr+0.5-d, d-(rr-ring)+0.5))
		}
	}
}

// glyphScale is the whole number of device pixels per font pixel that
// comes closest to the wanted cap height.
func (r *raster) glyphScale(size float64) int {
	return max(1, int(math.Round(size*r.k/glyphRows)))
}

func (r *raster) measure(s string, size float64) float64 {
	n := len([]rune(s))
	if n == 0 {
		return 0
	}
	return float64((n*glyphAdvance-1)*r.glyphScale(size)) / r.k
}

func (r *raster) text(x, y float64, s string, size float64, c color.RGBA, a anchor, bold bool) {
	sc := r.glyphScale(size)
	w := r.measure(s, size)
	switch a {
	case middle:
		x -= w / 2
	case end:
		x -= w
	}
	ox, base := int(math.Round(x*r.k)), int(math.Round(y*r.k))
	for i, ch := range []rune(s) {
		g, ok := font[ch]
		if !ok {
			g = font['?']
		}
		gx := ox + i*glyphAdvance*sc
		for row, bits := range g {
			for col := 0; col < glyphCols; col++ {
				if bits&(1<<(glyphCols-1-col)) == 0 {
					continue
				}
				px, py := gx+col*sc, base-(glyphRows-row)*sc
				for dy := 0; dy < sc; dy++ {
					for dx := 0; dx < sc; dx++ {
						r.blend(px+dx, py+dy, c, 1)
						if bold {
							r.blend(px+dx+max(1, sc/2), py+dy, c, 1)
						}
					}
				}
			}
		}
	}
}
