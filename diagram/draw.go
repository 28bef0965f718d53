package diagram

import (
	"bytes"
	"image/color"
	"image/png"
	"math"
	"slices"
	"time"

	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/world"
)

// PNGDPI is the resolution of the PNG rendering.
const PNGDPI = 120

// The palette. Highlight is the colour of what broke a rule; tests look
// for it in the SVG.
var (
	ink        = color.RGBA{0x22, 0x22, 0x22, 0xff}
	grey       = color.RGBA{0x80, 0x80, 0x80, 0xff}
	faint      = color.RGBA{0xc8, 0xc8, 0xc8, 0xff}
	Highlight  = color.RGBA{0xc6, 0x28, 0x28, 0xff}
	lossInk    = color.RGBA{0xe6, 0x51, 0x00, 0xff} // a lost message
	band       = color.RGBA{0xfd, 0xe0, 0xe0, 0xff}
	serviceInk = color.RGBA{0x2b, 0x5d, 0x8c, 0xff}
	copyInk    = color.RGBA{0x7b, 0x1f, 0xa2, 0xff}
	warn       = color.RGBA{0xd0, 0x6a, 0x00, 0xff}
	okInk      = color.RGBA{0x2e, 0x7d, 0x32, 0xff}
	pauseInk   = color.RGBA{0x3f, 0x6f, 0xa6, 0xff}
	pauseFill  = color.RGBA{0xe3, 0xec, 0xf7, 0xff}
	boxFill    = color.RGBA{0xef, 0xf2, 0xf6, 0xff}
	backdrop   = color.NRGBA{0xff, 0xff, 0xff, 0xd8}
	white      = color.RGBA{0xff, 0xff, 0xff, 0xff}
)

// SVG renders the diagram as an SVG document with its font embedded.
func (d *Diagram) SVG() ([]byte, error) {
	c := vgsvg.NewWith(vgsvg.UseWH(d.width, d.height), vgsvg.EmbedFonts(true))
	d.Draw(c)
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, err
	}
	// A viewer that ignores the embedded font falls back to Arial or
	// Helvetica, whose letters are as wide as Liberation Sans's, so the
	// layout still holds.
	return bytes.ReplaceAll(b.Bytes(), []byte("font-family:Liberation Sans;"),
		[]byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif;")), nil
}

// maxPNGPixels bounds a PNG's size: a larger picture is rendered at a
// lower resolution than PNGDPI.
const maxPNGPixels = 40e6

// PNG renders the diagram as a PNG image at PNGDPI, or less for a picture
// that would have more than 40 million pixels.
func (d *Diagram) PNG() ([]byte, error) {
	dpi := float64(PNGDPI)
	if px := float64(d.width/vg.Inch) * float64(d.height/vg.Inch) * dpi * dpi; px > maxPNGPixels {
		dpi = math.Floor(dpi * math.Sqrt(maxPNGPixels/px))
	}
	c := vgimg.NewWith(vgimg.UseWH(d.width, d.height), vgimg.UseDPI(int(max(dpi, 10))))
	d.Draw(c)
	// Mostly white: the fastest compression costs little in size.
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&b, c.Image()); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Draw paints the diagram on c, whose size should be Size().
func (d *Diagram) Draw(c vg.Canvas) {
	p := painter{c: c, h: d.height}
	p.rect(0, 0, d.width, d.height, white, nil)
	left, right := margin+d.timeW, d.width-margin
	for _, r := range d.rows {
		if r.hot {
			p.rect(0, r.y-rowH/2, d.width, rowH, band, nil)
		}
		if r.gapAt > 0 {
			p.line(faint, 0.6, []vg.Length{1, 2}, left, r.gapAt, right, r.gapAt)
			p.text(d.fonts.small, grey, left-8, r.gapAt+2.5, "+"+round(r.gap).String(), alignRight)
		}
	}
	for _, l := range d.lifelines {
		p.line(faint, 0.8, []vg.Length{4, 3}, l.x, d.headerY+headerH, l.x, d.rowsEnd)
	}
	for _, s := range d.spans {
		d.drawSpan(p, s)
	}
	for i := range d.rows {
		d.drawRow(p, i)
	}
	var prev string
	for _, r := range d.rows {
		t := r.ev.At.String()
		clr := ink
		if t == prev {
			clr = grey
		}
		p.text(d.fonts.text, clr, left-8, r.y+3, t, alignRight)
		prev = t
	}
	d.drawHeads(p)
	d.drawLegend(p)
}

// drawHeads names the lifelines above the rows and again below them, and
// writes the title, the verdicts and the notes.
func (d *Diagram) drawHeads(p painter) {
	f := d.fonts
	for _, l := range d.lifelines {
		w := max(f.name.Width(l.name), f.small.Width(l.role)) + 16
		p.rect(l.x-w/2, d.headerY, w, headerH, boxFill, grey)
		p.text(f.name, ink, l.x, d.headerY+13, l.name, alignCentre)
		p.text(f.small, grey, l.x, d.headerY+24, l.role, alignCentre)
		w = f.name.Width(l.name) + 16
		p.rect(l.x-w/2, d.rowsEnd, w, footerH, boxFill, grey)
		p.text(f.name, ink, l.x, d.rowsEnd+12.5, l.name, alignCentre)
	}
	y := margin + 10
	p.text(f.title, ink, margin, y, d.title, alignLeft)
	for _, v := range d.verdicts {
		y += 14
		clr := okInk
		if v.bad {
			clr = Highlight
		}
		p.text(f.text, clr, margin, y, v.text, alignLeft)
	}
	for _, n := range d.notes {
		y += 14
		p.text(f.text, warn, margin, y, n, alignLeft)
	}
}

// legendItem is one mark of the legend and what it means.
type legendItem struct {
	shows func(k world.EventKind, hot bool) bool // whether a row of kind k draws the mark
	w     vg.Length                              // the mark's width
	text  string
	mark  func(p painter, x, y vg.Length)
}

func kindIn(kinds ...world.EventKind) func(world.EventKind, bool) bool {
	return func(k world.EventKind, _ bool) bool { return slices.Contains(kinds, k) }
}

// legend lists every mark; a diagram's legend has those it draws.
var legend = []legendItem{
	{kindIn(world.EventSent, world.EventDelivered), 22, "message", func(p painter, x, y vg.Length) { p.arrow(ink, 0.9, nil, x, y, x+22, y) }},
	{kindIn(world.EventDropped, world.EventCut, world.EventReset, world.EventDBFault, world.EventGatewayFault), 22, "lost message", func(p painter, x, y vg.Length) {
		p.line(ink, 0.9, nil, x, y, x+18, y)
		p.cross(x+18, y)
	}},
	{kindIn(world.EventSQL, world.EventKV, world.EventGateway, world.EventQueue), 22, "statement or call to a service", func(p painter, x, y vg.Length) {
		p.arrow(serviceInk, 0.9, nil, x, y, x+22, y)
	}},
	{kindIn(world.EventDuplicated), 22, "duplicate copy", func(p painter, x, y vg.Length) { p.arrow(copyInk, 0.9, []vg.Length{3, 2}, x, y, x+22, y) }},
	{kindIn(world.EventCrash), 7, "crashed", func(p painter, x, y vg.Length) { p.rect(x, y-5, 7, 10, ink, nil) }},
	{kindIn(world.EventPause), 9, "paused", func(p painter, x, y vg.Length) { p.hatch(x, y-5, 9, 10) }},
	{kindIn(world.EventPartition, world.EventHeal), 22, "partition", func(p painter, x, y vg.Length) { p.line(warn, 1, []vg.Length{5, 3}, x, y, x+22, y) }},
	{func(k world.EventKind, hot bool) bool {
		return !hot && slices.Contains([]world.EventKind{world.EventLedgerRow, world.EventLedgerDelete, world.EventCharge, world.EventRefund}, k)
	}, 6, "ledger effect", func(p painter, x, y vg.Length) { p.rect(x, y-3, 6, 6, okInk, nil) }},
	{func(_ world.EventKind, hot bool) bool { return hot }, 6, "what broke a rule", func(p painter, x, y vg.Length) {
		p.rect(x, y-3, 6, 6, Highlight, nil)
	}},
}

// legendPlace is where one legend item goes.
type legendPlace struct {
	item int
	x, y vg.Length // y: the mark's middle, from the top of the legend
}

// placeLegend lays out the legend of the marks rows draw, in lines that
// fit width.
func placeLegend(f faces, rows []row, width vg.Length) (places []legendPlace, height vg.Length) {
	x, y := margin, vg.Length(6)
	for i, it := range legend {
		if !slices.ContainsFunc(rows, func(r row) bool { return it.shows(r.ev.Kind, r.hot) }) {
			continue
		}
		w := it.w + 4 + f.small.Width(it.text)
		if x > margin && x+w > width-margin {
			x, y = margin, y+14
		}
		places = append(places, legendPlace{i, x, y})
		x += w + 14
	}
	if len(places) == 0 {
		return nil, 0
	}
	return places, y + 8
}

// drawLegend explains the marks along the bottom.
func (d *Diagram) drawLegend(p painter) {
	for _, pl := range d.legend {
		it := legend[pl.item]
		y := d.legendY + pl.y
		it.mark(p, pl.x, y)
		p.text(d.fonts.small, ink, pl.x+it.w+4, y+2.5, it.text, alignLeft)
	}
}

func (d *Diagram) x(node string) vg.Length { return d.lifelines[d.index[node]].x }

func (d *Diagram) drawSpan(p painter, s span) {
	x := d.lifelines[s.node].x
	if s.pause {
		p.hatch(x-5, s.fromY, 10, s.endsY-s.fromY)
		return
	}
	p.rect(x-3.5, s.fromY, 7, s.endsY-s.fromY, ink, nil)
}

// drawRow draws row i: an arrow, a lost message, or a note on a lifeline.
func (d *Diagram) drawRow(p painter, i int) {
	r := d.rows[i]
	ev := r.ev
	y := r.y
	f := d.fonts
	text := d.arrowText(i)
	if r.fold {
		d.note(p, grey, ev.Node, y, text, false)
		return
	}
	switch ev.Kind {
	case world.EventSent, world.EventDuplicated:
		x1, x2 := d.x(ev.From), d.x(ev.To)
		clr, dash := ink, []vg.Length(nil)
		if ev.Kind == world.EventDuplicated {
			clr, dash = copyInk, []vg.Length{3, 2}
		}
		if ev.Kind == world.EventSent && ev.To != "" && d.isService(ev.From, ev.To) {
			clr = serviceInk
		}
		if j, ok := d.arrivals[i]; ok {
			end := d.rows[j]
			if end.ev.Kind == world.EventCut {
				ex, ey := x1+(x2-x1)*0.85, y+(end.y-y)*0.85
				p.line(clr, 0.9, dash, x1, y, ex, ey)
				p.cross(ex, ey)
			} else {
				p.arrow(clr, 0.9, dash, x1, y, x2, end.y)
			}
		} else {
			// Its arrival is past the last row drawn.
			p.line(clr, 0.9, []vg.Length{1, 2}, x1, y, x1+(x2-x1)*0.3, y+rowH)
			text += " (arrives later)"
		}
		d.label(p, clr, x1, x2, y, text)
	case world.EventDelivered:
		if _, ok := d.departures[i]; !ok {
			x1, x2 := d.x(ev.From), d.x(ev.To)
			p.arrow(ink, 0.9, []vg.Length{1, 2}, x1+(x2-x1)*0.7, y, x2, y)
			d.label(p, ink, x2-(x2-x1)*0.3, x2, y, r.text)
		}
	case world.EventLate:
		if _, ok := d.departures[i]; !ok {
			x1, x2 := d.x(ev.From), d.x(ev.To)
			p.arrow(ink, 0.9, []vg.Length{1, 2}, x1+(x2-x1)*0.7, y, x2, y)
			d.note(p, grey, ev.To, y, text, false)
		}
	case world.EventCut:
		if _, ok := d.departures[i]; ok {
			d.note(p, lossInk, ev.To, y, "cut by a partition", false)
			break
		}
		d.lost(p, ev.From, ev.To, y, 0.55, text)
	case world.EventDropped:
		d.lost(p, ev.From, ev.To, y, 0.55, text)
	case world.EventReset:
		d.lost(p, ev.From, ev.To, y, 0.25, text)
	case world.EventDBFault, world.EventGatewayFault:
		d.lost(p, ev.From, ev.To, y, 0.8, text)
	case world.EventSQL, world.EventKV, world.EventGateway, world.EventQueue:
		x1, x2 := d.x(ev.From), d.x(ev.To)
		p.arrow(serviceInk, 0.9, nil, x1, y, x2, y)
		d.label(p, serviceInk, x1, x2, y, text)
	case world.EventBroken:
		caller := ev.From
		if ev.Response {
			caller = ev.To
		}
		d.note(p, lossInk, caller, y, text, false)
	case world.EventPartition, world.EventHeal:
		x1, x2 := d.ruleSpan()
		p.line(warn, 1, []vg.Length{5, 3}, x1, y, x2, y)
		w := f.text.Width(text)
		p.rect(x1, y-rowH/2+1, w+4, rowH/2-1.5, backdrop, nil)
		p.text(f.text, warn, x1+2, y-2.5, text, alignLeft)
	case world.EventLedgerRow, world.EventLedgerDelete, world.EventCharge, world.EventRefund:
		x := d.x(ev.Node)
		clr := okInk
		if r.hot {
			clr = Highlight
		}
		p.rect(x-3, y-3, 6, 6, clr, nil)
		d.note(p, clr, ev.Node, y, text, r.hot)
	case world.EventConclude:
		clr := ink
		if r.hot {
			clr = Highlight
		}
		x := d.x(ev.Node) + noteOffset
		w := f.text.Width(text)
		p.rect(x-3, y-rowH/2+1.5, w+6, rowH-3, white, clr)
		p.text(f.text, clr, x, y+3, text, alignLeft)
	case world.EventTimeout, world.EventCrash, world.EventCrashPoint, world.EventUnavailable, world.EventFailover:
		d.note(p, warn, ev.Node, y, text, false)
	default:
		d.note(p, ink, ev.Node, y, text, false)
	}
}

// isService reports whether a message goes between a server and a service.
func (d *Diagram) isService(a, b string) bool {
	return role(a) != "client" && role(a) != "server" || role(b) != "client" && role(b) != "server"
}

// lost draws a message that goes part of the way from one lifeline to
// another and ends in a cross: frac of the way across the last gap before
// its destination, so that a cross never sits on a lifeline the message
// was not meant for.
func (d *Diagram) lost(p painter, from, to string, y vg.Length, frac float64, text string) {
	x1, x2 := d.x(from), d.x(to)
	last := x1 // the lifeline next to the destination, on the sender's side
	for _, l := range d.lifelines {
		if (l.x-x1)*(x2-l.x) > 0 && (l.x-last)*(x2-l.x) > 0 {
			last = l.x
		}
	}
	ex := last + (x2-last)*vg.Length(frac)
	p.line(ink, 0.9, nil, x1, y, ex, y)
	p.cross(ex, y)
	d.label(p, lossInk, x1, x2, y, text)
}

// label writes an arrow's text above its start, on the side it goes to.
func (d *Diagram) label(p painter, clr color.Color, x1, x2, y vg.Length, text string) {
	if text == "" {
		return
	}
	f := d.fonts.text
	w := f.Width(text)
	x := x1 + 5
	if x2 < x1 {
		x = x1 - 5 - w
	}
	p.rect(x-1, y-rowH/2+0.5, w+2, rowH/2-1.5, backdrop, nil)
	p.text(f, clr, x, y-3, text, alignLeft)
}

// note writes text beside a lifeline, on its right, on a backdrop that
// hides the lines it crosses (the highlight's band is backdrop enough).
func (d *Diagram) note(p painter, clr color.Color, node string, y vg.Length, text string, onBand bool) {
	f := d.fonts.text
	x := d.x(node) + noteOffset
	w := f.Width(text)
	if !onBand {
		p.rect(x-1, y-rowH/2+2, w+2, rowH-4, backdrop, nil)
	}
	p.text(f, clr, x, y+3, text, alignLeft)
}

// painter draws on a vg.Canvas in points measured from the top left.
type painter struct {
	c vg.Canvas
	h vg.Length
}

func (p painter) pt(x, y vg.Length) vg.Point { return vg.Point{X: x, Y: p.h - y} }

func (p painter) line(clr color.Color, w vg.Length, dash []vg.Length, x1, y1, x2, y2 vg.Length) {
	p.c.Push()
	defer p.c.Pop()
	p.c.SetColor(clr)
	p.c.SetLineWidth(w)
	p.c.SetLineDash(dash, 0)
	var path vg.Path
	path.Move(p.pt(x1, y1))
	path.Line(p.pt(x2, y2))
	p.c.Stroke(path)
}

// arrow draws a line with a filled head at its end.
func (p painter) arrow(clr color.Color, w vg.Length, dash []vg.Length, x1, y1, x2, y2 vg.Length) {
	dx, dy := float64(x2-x1), float64(y2-y1)
	n := math.Hypot(dx, dy)
	if n == 0 {
		return
	}
	ux, uy := vg.Length(dx/n), vg.Length(dy/n)
	const long, half = 6, 2.5
	bx, by := x2-ux*long, y2-uy*long
	p.line(clr, w, dash, x1, y1, bx, by)
	p.c.Push()
	defer p.c.Pop()
	p.c.SetColor(clr)
	var path vg.Path
	path.Move(p.pt(x2, y2))
	path.Line(p.pt(bx-uy*half, by+ux*half))
	path.Line(p.pt(bx+uy*half, by-ux*half))
	path.Close()
	p.c.Fill(path)
}

// cross marks where a message was lost.
func (p painter) cross(x, y vg.Length) {
	const r = 3.5
	p.line(lossInk, 1.6, nil, x-r, y-r, x+r, y+r)
	p.line(lossInk, 1.6, nil, x-r, y+r, x+r, y-r)
}

// rect fills a rectangle (fill may be nil) and strokes its border (stroke
// may be nil).
func (p painter) rect(x, y, w, h vg.Length, fill, stroke color.Color) {
	var path vg.Path
	path.Move(p.pt(x, y))
	path.Line(p.pt(x+w, y))
	path.Line(p.pt(x+w, y+h))
	path.Line(p.pt(x, y+h))
	path.Close()
	p.c.Push()
	defer p.c.Pop()
	if fill != nil {
		p.c.SetColor(fill)
		p.c.Fill(path)
	}
	if stroke != nil {
		p.c.SetColor(stroke)
		p.c.SetLineWidth(0.7)
		p.c.Stroke(path)
	}
}

// hatch draws a pause: a pale bar crossed by diagonal strokes, clipped to
// the bar by hand (a vg.Canvas has no clipping).
func (p painter) hatch(x, y, w, h vg.Length) {
	p.rect(x, y, w, h, pauseFill, pauseInk)
	const step = 4
	for k := -w; k < h; k += step {
		// The stroke is the points (x+u, y+k+u) for u in [0, w], kept
		// inside the bar's height.
		u1, u2 := max(0, -k), min(w, h-k)
		if u2 <= u1 {
			continue
		}
		p.line(pauseInk, 0.6, nil, x+u1, y+k+u1, x+u2, y+k+u2)
	}
}

// round keeps about three significant digits of a duration.
func round(d sim.Duration) sim.Duration {
	unit := sim.Duration(10 * time.Microsecond)
	for limit := 10 * time.Millisecond; unit < time.Second && d >= limit; limit *= 10 {
		unit *= 10
	}
	return d.Round(unit)
}

type align int

const (
	alignLeft align = iota
	alignCentre
	alignRight
)

// text writes s with its baseline at y.
func (p painter) text(f font.Face, clr color.Color, x, y vg.Length, s string, a align) {
	switch a {
	case alignCentre:
		x -= f.Width(s) / 2
	case alignRight:
		x -= f.Width(s)
	}
	p.c.Push()
	defer p.c.Pop()
	p.c.SetColor(clr)
	p.c.FillString(f, p.pt(x, y), s)
}
