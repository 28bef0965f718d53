package report

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Figure sizes: a plot with its legend panel at the right (the panel
// widens for long strategy names).
const (
	plotW   = 6.2 * vg.Inch
	figH    = 4.6 * vg.Inch
	legendW = 2.4 * vg.Inch
)

// dodgeStep is how far apart, sideways, neighbouring lines of a numeric
// sweep are drawn.
const dodgeStep = vg.Length(3)

// Figure forms: how a figure shows its data.
const (
	formLines   = "lines"   // a line per strategy over a numeric sweep, its interval shaded
	formPoints  = "points"  // a point per strategy and value with its interval as a bar
	formHeat    = "heat"    // a strategy x (level, value) grid coloured by rate
	formLatency = "latency" // cumulative latency curves, a few per panel
	// formSimLive (simlive.go): simulated and live rates side by side.
)

// Figures are every picture drawn from one experiment, in page order. Only
// a metric some cell counts gets a picture (Nothing names the others):
//
//   - an experiment that runs a strategy at several isolation levels for
//     one value, and sweeps at most two values (isolation, swarm), gets a
//     heat map per metric: strategy by level and value;
//   - one that does so over more values gets a rate plot per metric and
//     level, for the levels where the metric has something;
//   - any other gets a rate plot per metric: lines over a numeric sweep of
//     more than two values, points with bars otherwise;
//
// and each gets the latency distributions of its representative value.
// An experiment whose values are exactly simulated and live (idemsim
// sim-vs-live's) first gets one figure with both rates of every strategy
// side by side (simLiveFigure).
func Figures(x *Experiment) []Figure {
	var out []Figure
	if f, ok := simLiveFigure(x); ok {
		out = append(out, f)
	}
	names, _ := x.values()
	looks := x.looks()
	split := x.splitByLevel()
	for _, m := range x.plotted() {
		switch {
		case split && len(names) <= 2:
			out = append(out, heatFigure(x, m))
		case split:
			for _, l := range x.levels() {
				if x.counts(m, l) {
					out = append(out, rateFigure(x, m, l, looks))
				}
			}
		default:
			out = append(out, rateFigure(x, m, "", looks))
		}
	}
	if f, ok := latencyFigure(x, looks); ok {
		out = append(out, f)
	}
	return out
}

// splitByLevel reports whether some strategy has cells at one value under
// several levels: then each level needs its own plot, or a heat map's
// columns. (When the level is what is swept, each value has one.)
func (x *Experiment) splitByLevel() bool {
	type sv struct{ s, v string }
	first := map[sv]string{}
	for _, c := range x.Cells {
		k := sv{c.Strategy, c.Value}
		if l, ok := first[k]; ok && l != c.Isolation {
			return true
		}
		first[k] = c.Isolation
	}
	return false
}

// series are one strategy's cells in the experiment (at level, if set),
// in the order declared, for the strategies in x.strategies() order.
func (x *Experiment) series(level string) (names []string, cells map[string][]*Cell) {
	cells = map[string][]*Cell{}
	for i := range x.Cells {
		c := &x.Cells[i]
		if level != "" && c.Isolation != level {
			continue
		}
		cells[c.Strategy] = append(cells[c.Strategy], c)
	}
	for _, s := range x.strategies() {
		if len(cells[s]) > 0 {
			names = append(names, s)
		}
	}
	return names, cells
}

// FigureName is the file name (without extension) of a metric's rate plot.
func FigureName(metric, level string) string {
	name := "rate-" + strings.ReplaceAll(metric, "_", "-")
	if level != "" {
		name += "-" + level
	}
	return name
}

// sameLine groups strategies whose series of metric m are identical —
// the same count out of the same operations at every value, so the same
// point and interval — in the order of names: each group is drawn once,
// and the legend names the others under the first.
func sameLine(names []string, cells map[string][]*Cell, m Metric) [][]string {
	var groups [][]string
	keys := map[string]int{}
	for _, s := range names {
		var b strings.Builder
		for _, c := range cells[s] {
			fmt.Fprintf(&b, "%s:%d/%d;", c.Value, m.Of(c).Count, c.Ops)
		}
		if i, ok := keys[b.String()]; ok {
			groups[i] = append(groups[i], s)
			continue
		}
		keys[b.String()] = len(groups)
		groups = append(groups, []string{s})
	}
	return groups
}

func rateFigure(x *Experiment, m Metric, level string, looks map[string]look) Figure {
	names, cells := x.series(level)
	var shown, none []string
	var maxOps int64
	top := 0.0
	for _, s := range names {
		any := false
		for _, c := range cells[s] {
			maxOps = max(maxOps, c.Ops)
			top = max(top, float64(m.Of(c).High))
			any = any || m.Of(c).Count > 0
		}
		if any {
			shown = append(shown, s)
		} else {
			none = append(none, s)
		}
	}
	groups := sameLine(shown, cells, m)
	title := fmt.Sprintf("%s: %s", x.Name, m.Label)
	if level != "" {
		title += " at " + level
	}
	p := newPlot(title, x.ParamLabel, m.Label+" per operation (symlog)")
	grid := plotter.NewGrid()
	grid.Vertical.Color, grid.Horizontal.Color = faint, faint
	p.Add(grid)
	valueNames, xs := x.values()
	form := formPoints
	if x.Numeric && len(valueNames) > 2 {
		form = formLines
	}
	var entries []legendEntry
	for _, g := range groups {
		entries = append(entries, legendEntry{name: g[0], alike: g[1:], same: "="})
	}
	if form == formLines {
		numericAxis(p, valueNames, xs)
		// Many bands over each other turn grey: the more lines, the
		// fainter each band.
		alpha := uint8(max(0x10, min(0x2c, 0x60/max(1, len(groups)))))
		for k, g := range groups {
			dodge := (vg.Length(k) - vg.Length(len(groups)-1)/2) * dodgeStep
			p.Add(newSweep(looks[g[0]], cells[g[0]], m, alpha, dodge))
		}
	} else {
		// Each value is a category; the strategies' points stand side by
		// side around it (dodged), so that equal rates do not hide.
		p.X.Tick.Marker = categoryTicks(valueNames)
		width := min(0.8/float64(max(1, len(groups))), 0.12)
		for k, g := range groups {
			offset := (float64(k) - float64(len(groups)-1)/2) * width
			addIntervals(p, looks[g[0]], cells[g[0]], m, valueNames, offset)
		}
		p.X.Min, p.X.Max = -0.5, float64(len(valueNames))-0.5
	}
	scale, hi := rateScale(maxOps, top)
	p.Y.Scale, p.Y.Tick.Marker = scale, scale
	p.Y.Min, p.Y.Max = 0, hi
	band := "Shaded: the 95% Wilson interval; lines are set a little apart sideways so that equal rates do not hide each other."
	if form == formPoints {
		band = "Bars: the 95% Wilson interval."
	}
	note := band
	if slices.ContainsFunc(groups, func(g []string) bool { return len(g) > 1 }) {
		note += " \"=\": the same rates at every value as the strategy above it, drawn once."
	}
	if len(none) > 0 {
		note += fmt.Sprintf(" No %s at any value (%d): %s.", m.Label, len(none), strings.Join(none, ", "))
	}
	per := "one line per strategy"
	if form == formPoints {
		per = "one point per strategy and value, side by side"
	}
	caption := fmt.Sprintf("The share of operations with a %s outcome by %s, %s; strategies with identical rates share one (\"=\" in the legend). %s %d seeds per cell. The y axis is linear below one operation in a cell and logarithmic above, so that zero has a place.",
		m.Label, x.ParamLabel, per, band, x.SeedsPerCell)
	if level != "" {
		caption = fmt.Sprintf("At %s: %s", level, caption)
	}
	lw := legendWidth(entries)
	return Figure{
		Name: FigureName(m.Name, level), Title: title, Caption: caption, W: plotW + lw, H: max(figH, legendHeight(entries, note, lw)),
		form: form,
		draw: func(c draw.Canvas) {
			background(c)
			drawPlot(draw.Crop(c, 0, -lw, 0, 0), p)
			legendPanel(draw.Crop(c, c.Max.X-c.Min.X-lw+vg.Points(6), 0, 0, 0), "strategy", entries, looks, form == formLines, true, note)
		},
	}
}

// numericAxis sets the x axis of a numeric sweep: logarithmic when the
// values are positive and span two orders of magnitude or more, ticked at
// the values themselves when there are few.
func numericAxis(p *plot.Plot, names []string, xs []float64) {
	lo, hi := slices.Min(xs), slices.Max(xs)
	if lo > 0 && hi/lo >= 100 {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
		p.X.Label.Text += " (log)"
	}
	if len(names) <= 12 {
		var ticks plot.ConstantTicks
		for i, n := range names {
			ticks = append(ticks, plot.Tick{Value: xs[i], Label: n})
		}
		p.X.Tick.Marker = ticks
	}
	pad := (hi - lo) * 0.03
	if lo > 0 && hi/lo >= 100 {
		p.X.Min, p.X.Max = lo/1.2, hi*1.2
	} else if pad > 0 {
		p.X.Min, p.X.Max = lo-pad, hi+pad
	}
}

func categoryTicks(names []string) plot.ConstantTicks {
	var ticks plot.ConstantTicks
	for i, n := range names {
		ticks = append(ticks, plot.Tick{Value: float64(i), Label: n})
	}
	return ticks
}

// sweep draws a strategy's rates over a numeric sweep: its interval as a
// band, a line through its points, and its markers, all moved sideways by
// a few points (dodge) so that lines that meet or run together still show
// each marker.
type sweep struct {
	rates
	style look
	alpha uint8
	dodge vg.Length
}

// rates are a strategy's points and their intervals, as a plotter's data.
type rates struct {
	pts    []plotter.XY
	lo, hi []float64
}

func (r *rates) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax, ymin, ymax = math.Inf(1), math.Inf(-1), 0, 0
	for i, pt := range r.pts {
		xmin, xmax = min(xmin, pt.X), max(xmax, pt.X)
		ymax = max(ymax, r.hi[i])
	}
	return
}

func newSweep(l look, cells []*Cell, m Metric, alpha uint8, dodge vg.Length) *sweep {
	sw := &sweep{style: l, alpha: alpha, dodge: dodge}
	for _, c := range cells {
		r := m.Of(c)
		sw.pts = append(sw.pts, plotter.XY{X: float64(c.X), Y: float64(r.Rate)})
		sw.lo, sw.hi = append(sw.lo, float64(r.Low)), append(sw.hi, float64(r.High))
	}
	return sw
}

func (sw *sweep) Plot(c draw.Canvas, p *plot.Plot) {
	tx, ty := p.Transforms(&c)
	var band, line []vg.Point
	for i, pt := range sw.pts {
		band = append(band, vg.Point{X: tx(pt.X) + sw.dodge, Y: ty(sw.lo[i])})
		line = append(line, vg.Point{X: tx(pt.X) + sw.dodge, Y: ty(pt.Y)})
	}
	for i := len(sw.pts) - 1; i >= 0; i-- {
		band = append(band, vg.Point{X: tx(sw.pts[i].X) + sw.dodge, Y: ty(sw.hi[i])})
	}
	c.FillPolygon(faded(sw.style.colour, sw.alpha), c.ClipPolygonXY(band))
	ls := draw.LineStyle{Color: sw.style.colour, Width: vg.Points(1.5), Dashes: sw.style.dashes}
	c.StrokeLines(ls, c.ClipLinesXY(line)...)
	for _, pt := range line {
		c.DrawGlyph(draw.GlyphStyle{Color: sw.style.colour, Radius: vg.Points(2.8), Shape: sw.style.shape}, pt)
	}
}

// intervals draws points with vertical bars from low to high.
type intervals struct {
	rates
	style look
}

func (iv *intervals) Plot(c draw.Canvas, p *plot.Plot) {
	tx, ty := p.Transforms(&c)
	bar := draw.LineStyle{Color: iv.style.colour, Width: vg.Points(1.2)}
	capW := vg.Points(2.5)
	for i, pt := range iv.pts {
		x := tx(pt.X)
		lo, hi := ty(iv.lo[i]), ty(iv.hi[i])
		c.StrokeLine2(bar, x, lo, x, hi)
		c.StrokeLine2(bar, x-capW, lo, x+capW, lo)
		c.StrokeLine2(bar, x-capW, hi, x+capW, hi)
		c.DrawGlyph(draw.GlyphStyle{Color: iv.style.colour, Radius: vg.Points(3), Shape: iv.style.shape}, vg.Point{X: x, Y: ty(pt.Y)})
	}
}

func addIntervals(p *plot.Plot, l look, cells []*Cell, m Metric, values []string, offset float64) {
	iv := &intervals{style: l}
	for _, c := range cells {
		i := slices.Index(values, c.Value)
		r := m.Of(c)
		iv.pts = append(iv.pts, plotter.XY{X: float64(i) + offset, Y: float64(r.Rate)})
		iv.lo, iv.hi = append(iv.lo, float64(r.Low)), append(iv.hi, float64(r.High))
	}
	p.Add(iv)
}
