package report

import (
	"bytes"
	"image/color"
	"image/png"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/idemsim/idemsim/models"
)

// PNGDPI is the resolution of the plots' PNG rendering.
const PNGDPI = 100

// Figure is one picture of the report: its file name without extension
// (written as NAME.svg and NAME.png in its experiment's directory), what
// the page says of it, its size and how to draw it.
type Figure struct {
	Name    string
	Title   string
	Caption string
	W, H    vg.Length
	form    string // formLines, formPoints, formHeat or formLatency
	draw    func(draw.Canvas)
}

// SVG renders the figure as SVG. The font is not embedded (it would add
// about half a megabyte to every plot); the page shows the PNGs, and a
// viewer of the SVG falls back to a sans-serif font of the same widths.
func (f Figure) SVG() ([]byte, error) {
	c := vgsvg.NewWith(vgsvg.UseWH(f.W, f.H))
	f.draw(draw.New(c))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, err
	}
	return bytes.ReplaceAll(b.Bytes(), []byte("font-family:Liberation Sans;"),
		[]byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif;")), nil
}

// PNG renders the figure as a PNG at PNGDPI.
func (f Figure) PNG() ([]byte, error) {
	c := vgimg.NewWith(vgimg.UseWH(f.W, f.H), vgimg.UseDPI(PNGDPI))
	f.draw(draw.New(c))
	var b bytes.Buffer
	if err := png.Encode(&b, c.Image()); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// The palette: twelve colours that stay apart on white, then again
// dashed. A strategy keeps its colour in every plot (its registry index).
var palette = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xd6, 0x27, 0x28, 0xff}, {0x2c, 0xa0, 0x2c, 0xff}, {0xff, 0x7f, 0x0e, 0xff},
	{0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff}, {0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff},
	{0xbc, 0xbd, 0x22, 0xff}, {0x17, 0xbe, 0xcf, 0xff}, {0x39, 0x3b, 0x79, 0xff}, {0x63, 0x79, 0x39, 0xff},
}

type look struct {
	colour color.RGBA
	dashes []vg.Length
	shape  draw.GlyphDrawer
}

// shapes alternate filled and hollow, so that two markers drawn on one
// spot both show.
var shapes = []draw.GlyphDrawer{
	draw.CircleGlyph{}, draw.TriangleGlyph{}, draw.BoxGlyph{}, draw.RingGlyph{},
	draw.PyramidGlyph{}, draw.SquareGlyph{}, draw.CrossGlyph{}, draw.PlusGlyph{},
}

// looks are how each of the experiment's strategies is drawn in all its
// plots. A strategy keeps its colour in every experiment (its registry
// index), but where an experiment runs variants of strategies
// ("stripe-replay lease=10s"), which would share their base's colour,
// colours go by position in the experiment instead. The marker shape goes
// by position, so neighbours in the legend differ in shape as well.
func (x *Experiment) looks() map[string]look {
	names := x.strategies()
	variants := slices.ContainsFunc(names, func(n string) bool { return strings.Contains(n, " ") })
	out := map[string]look{}
	for pos, n := range names {
		i := indexOf(n)
		if variants {
			i = pos
		}
		l := look{colour: palette[i%len(palette)], shape: shapes[pos%len(shapes)]}
		switch (i / len(palette)) % 3 {
		case 1:
			l.dashes = []vg.Length{vg.Points(5), vg.Points(2.5)}
		case 2:
			l.dashes = []vg.Length{vg.Points(1.5), vg.Points(2)}
		}
		out[n] = l
	}
	return out
}

func indexOf(strategy string) int {
	for i, n := range models.Names() {
		if n == strategy {
			return i
		}
	}
	// A strategy the registry does not know: a stable index from its name.
	h := 0
	for _, r := range strategy {
		h = h*31 + int(r)
	}
	return len(models.Names()) + (h&0x7fffffff)%len(palette)
}

func faded(c color.RGBA, alpha uint8) color.NRGBA {
	return color.NRGBA{c.R, c.G, c.B, alpha}
}

var (
	ink   = color.RGBA{0x22, 0x22, 0x22, 0xff}
	grey  = color.RGBA{0x70, 0x70, 0x70, 0xff}
	faint = color.RGBA{0xe4, 0xe4, 0xe4, 0xff}
)

// newPlot is a plot in Liberation Sans with a light grid.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	for _, s := range []*text.Style{&p.Title.TextStyle, &p.X.Label.TextStyle, &p.Y.Label.TextStyle, &p.X.Tick.Label, &p.Y.Tick.Label, &p.Legend.TextStyle} {
		s.Font.Variant = "Sans"
		s.Color = ink
	}
	p.Title.TextStyle.Font.Size = vg.Points(12)
	p.X.Label.TextStyle.Font.Size = vg.Points(10)
	p.Y.Label.TextStyle.Font.Size = vg.Points(10)
	p.X.Tick.Label.Font.Size = vg.Points(8.5)
	p.Y.Tick.Label.Font.Size = vg.Points(8.5)
	p.Title.Padding = vg.Points(8)
	return p
}

// drawPlot draws p on c with its axis labels set apart: gonum places a
// label's room by the data value halfway between the axis bounds, which on
// a log or symlog scale is far from the middle and leaves a gap, so the
// labels are drawn here, centred on the canvas, and the plot in the rest.
func drawPlot(c draw.Canvas, p *plot.Plot) {
	xl, yl := p.X.Label.Text, p.Y.Label.Text
	p.X.Label.Text, p.Y.Label.Text = "", ""
	defer func() { p.X.Label.Text, p.Y.Label.Text = xl, yl }()
	sty := textStyle(10, ink)
	room := sty.Font.Size * 1.6
	inner := draw.Crop(c, room, 0, room, 0)
	p.Draw(inner)
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YBottom
	c.FillText(sty, vg.Point{X: (inner.Min.X + inner.Max.X) / 2, Y: c.Min.Y + vg.Points(2)}, xl)
	sty.Rotation = math.Pi / 2
	sty.YAlign = draw.YTop
	c.FillText(sty, vg.Point{X: c.Min.X + vg.Points(2), Y: (inner.Min.Y + inner.Max.Y) / 2}, yl)
}

// textStyle is Liberation Sans at size points.
func textStyle(size float64, clr color.Color) text.Style {
	return text.Style{
		Color:   clr,
		Font:    font.Font{Typeface: "Liberation", Variant: "Sans", Size: vg.Points(size)},
		Handler: plot.DefaultTextHandler,
	}
}

// symlog is a y scale that is linear from 0 to c and logarithmic above, so
// a rate of zero has a place on a log-like axis: f(y) = log10(1 + y/c).
type symlog struct{ c float64 }

func (s symlog) f(y float64) float64 { return math.Copysign(math.Log10(1+math.Abs(y)/s.c), y) }

func (s symlog) Normalize(lo, hi, y float64) float64 {
	a, b := s.f(lo), s.f(hi)
	if b == a {
		return 0
	}
	return (s.f(y) - a) / (b - a)
}

// Ticks are 0 and the powers of ten from c to hi.
func (s symlog) Ticks(lo, hi float64) []plot.Tick {
	ticks := []plot.Tick{{Value: 0, Label: "0"}}
	for v := s.c; v <= hi*(1+1e-9); v *= 10 {
		ticks = append(ticks, plot.Tick{Value: v, Label: powerLabel(v)})
		for _, m := range []float64{2, 5} {
			if m*v <= hi*(1+1e-9) {
				ticks = append(ticks, plot.Tick{Value: m * v})
			}
		}
	}
	return ticks
}

// powerLabel prints a power of ten: 0.001 and above as a decimal, smaller
// ones as 1e-N.
func powerLabel(v float64) string {
	e := int(math.Round(math.Log10(v)))
	if e >= -3 {
		return strconv.FormatFloat(math.Pow(10, float64(e)), 'f', -1, 64)
	}
	return "1e" + strconv.Itoa(e)
}

// rateScale is the symlog scale for rates out of at most maxOps
// operations per cell, reaching up to top: linear below one operation's
// order of magnitude, logarithmic above.
func rateScale(maxOps int64, top float64) (s symlog, hi float64) {
	c := 1e-6
	if maxOps > 0 {
		c = math.Pow(10, math.Floor(math.Log10(1/float64(maxOps))))
	}
	hi = 10 * c
	for hi < top*(1-1e-9) && hi < 1 {
		hi *= 10
	}
	return symlog{c}, hi
}

// formatRate prints a rate in a few characters with two significant
// digits: 0, 0.14, 0.014, 0.04, 4.6e-3, 1. A rate that is not 0 or 1
// never prints as one (0.9998 stays 0.9998).
func formatRate(r float64) string {
	switch {
	case r == 0:
		return "0"
	case r == 1:
		return "1"
	case r >= 0.1:
		for prec := 2; ; prec++ {
			s := strconv.FormatFloat(r, 'f', prec, 64)
			if v, _ := strconv.ParseFloat(s, 64); v < 1 || prec >= 8 {
				return s
			}
		}
	case r >= 0.01:
		// Two significant digits, a trailing zero dropped (0.04, not
		// 0.040): the scorecard's figures read so.
		s := strconv.FormatFloat(r, 'f', 3, 64)
		if strings.HasSuffix(s, "0") {
			s = s[:len(s)-1] // 0.100 becomes 0.10, as 0.1 and above print
		}
		return s
	}
	m, e, _ := strings.Cut(strconv.FormatFloat(r, 'e', 1, 64), "e")
	n, _ := strconv.Atoi(e)
	return m + "e" + strconv.Itoa(n)
}

// legendEntry is one line or set of points in a legend: the strategy
// drawn, and the strategies it stands for as well (same is how: "=" for
// identical rates, "≈" for curves within a tolerance).
type legendEntry struct {
	name  string
	alike []string
	same  string
}

// Legend text sizes and the line height of each.
const (
	legendHeadSize = 9
	legendBodySize = 8.5
	legendSmall    = 7.5
)

// legendWidth is the width of a legend panel that fits its entries'
// names: at least legendW.
func legendWidth(entries []legendEntry) vg.Length {
	body := textStyle(legendBodySize, ink)
	w := legendW
	for _, e := range entries {
		w = max(w, body.Width(e.name)+vg.Points(34))
		for _, a := range e.alike {
			w = max(w, body.Width(e.same+" "+a)+vg.Points(34))
		}
	}
	return w
}

// legendHeight is the height a legend panel of these entries and note
// needs, at width w.
func legendHeight(entries []legendEntry, note string, w vg.Length) vg.Length {
	n := 0
	for _, e := range entries {
		n += 1 + len(e.alike)
	}
	small := textStyle(legendSmall, grey)
	lines := len(wrapWidth(note, small, w-vg.Points(14)))
	return vg.Points(40) + vg.Length(n)*vg.Points(12) + vg.Length(lines)*vg.Points(9.5) + vg.Points(12)
}

// legendPanel draws a legend of strategies (their line and glyph as looks
// has them) at the top of c, each entry's alike strategies under it, then
// a note in small print, wrapped to c's width.
func legendPanel(c draw.Canvas, title string, entries []legendEntry, looks map[string]look, lines, glyphs bool, note string) {
	head := textStyle(legendHeadSize, ink)
	body := textStyle(legendBodySize, ink)
	alike := textStyle(legendBodySize, grey)
	small := textStyle(legendSmall, grey)
	y := c.Max.Y - vg.Points(6)
	x := c.Min.X + vg.Points(4)
	c.FillText(head, vg.Point{X: x, Y: y - head.Font.Size}, title)
	y -= head.Font.Size + vg.Points(8)
	for _, e := range entries {
		l := looks[e.name]
		mid := y - body.Font.Size/2
		if lines {
			c.StrokeLine2(draw.LineStyle{Color: l.colour, Width: vg.Points(1.5), Dashes: l.dashes}, x, mid, x+vg.Points(18), mid)
		}
		if glyphs {
			c.DrawGlyph(draw.GlyphStyle{Color: l.colour, Radius: vg.Points(2.5), Shape: l.shape}, vg.Point{X: x + vg.Points(9), Y: mid})
		}
		c.FillText(body, vg.Point{X: x + vg.Points(24), Y: y - body.Font.Size*0.85}, e.name)
		y -= body.Font.Size + vg.Points(3.5)
		for _, a := range e.alike {
			c.FillText(alike, vg.Point{X: x + vg.Points(24), Y: y - body.Font.Size*0.85}, e.same+" "+a)
			y -= body.Font.Size + vg.Points(3.5)
		}
	}
	if note == "" {
		return
	}
	y -= vg.Points(4)
	for _, line := range wrapWidth(note, small, c.Max.X-x-vg.Points(4)) {
		c.FillText(small, vg.Point{X: x, Y: y - small.Font.Size}, line)
		y -= small.Font.Size + vg.Points(2)
	}
}

// wrapWidth breaks s at spaces into lines no wider than w in style sty.
func wrapWidth(s string, sty text.Style, w vg.Length) []string {
	var lines []string
	cur := ""
	for _, word := range strings.Fields(s) {
		next := strings.TrimSpace(cur + " " + word)
		if cur != "" && sty.Width(next) > w {
			lines = append(lines, cur)
			next = word
		}
		cur = next
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

// background paints c white.
func background(c draw.Canvas) {
	c.FillPolygon(color.White, []vg.Point{c.Min, {X: c.Max.X, Y: c.Min.Y}, c.Max, {X: c.Min.X, Y: c.Max.Y}})
}
