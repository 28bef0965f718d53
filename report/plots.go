package report

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Figure sizes: a plot with its legend panel at the right.
const (
	figW    = 8.6 * vg.Inch
	figH    = 4.6 * vg.Inch
	legendW = 2.4 * vg.Inch
)

// legendHeight is the figure height that fits a legend of n strategies
// and its note: figH, or more for a long legend.
func legendHeight(n int, note string) vg.Length {
	small := textStyle(7.5, grey)
	lines := len(wrapWidth(note, small, legendW-vg.Points(14)))
	need := vg.Points(40) + vg.Length(n)*vg.Points(12) + vg.Length(lines)*vg.Points(9.5) + vg.Points(12)
	return max(figH, need)
}

// Figures are every picture drawn from one experiment, in page order: for
// each metric that matters (duplicate and lost always; stuck, wrong answer
// and non-linearizable where a cell counts any), its rate against the swept
// value, per isolation level when the experiment runs a strategy at
// several; for the isolation experiment, the strategy x level heat maps of
// duplicate and lost; and the latency distributions of one representative
// value.
func Figures(x *Experiment) []Figure {
	var out []Figure
	split := x.splitByLevel()
	for _, m := range x.plotted() {
		if !split {
			out = append(out, rateFigure(x, m, ""))
			continue
		}
		for _, l := range x.levels() {
			out = append(out, rateFigure(x, m, l))
		}
	}
	if x.Name == "isolation" {
		out = append(out, heatFigure(x, Metrics[0]), heatFigure(x, Metrics[1]))
	}
	if f, ok := latencyFigure(x); ok {
		out = append(out, f)
	}
	return out
}

// splitByLevel reports whether some strategy has cells at one value under
// several levels: then each level gets its own plots. (When the level is
// what is swept, each value has one.)
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
// in the order declared.
func (x *Experiment) series(level string) (names []string, cells map[string][]*Cell) {
	cells = map[string][]*Cell{}
	for i := range x.Cells {
		c := &x.Cells[i]
		if level != "" && c.Isolation != level {
			continue
		}
		cells[c.Strategy] = append(cells[c.Strategy], c)
	}
	seen := map[string]bool{}
	for s := range cells {
		seen[s] = true
	}
	return ordered(seen), cells
}

// FigureName is the file name (without extension) of a metric's rate plot.
func FigureName(metric, level string) string {
	name := "rate-" + strings.ReplaceAll(metric, "_", "-")
	if level != "" {
		name += "-" + level
	}
	return name
}

func rateFigure(x *Experiment, m Metric, level string) Figure {
	names, cells := x.series(level)
	var shown, none []string
	var maxOps int64
	top := 0.0
	for _, s := range names {
		any := false
		for _, c := range cells[s] {
			maxOps = max(maxOps, c.Ops)
			top = max(top, m.Of(c).High)
			any = any || m.Of(c).Count > 0
		}
		if any {
			shown = append(shown, s)
		} else {
			none = append(none, s)
		}
	}
	title := fmt.Sprintf("%s: %s", x.Name, m.Label)
	if level != "" {
		title += " at " + level
	}
	p := newPlot(title, x.ParamLabel, m.Label+" per operation (symlog)")
	grid := plotter.NewGrid()
	grid.Vertical.Color, grid.Horizontal.Color = faint, faint
	p.Add(grid)
	valueNames, xs := x.values()
	if x.Numeric {
		numericAxis(p, valueNames, xs)
		// Many bands over each other turn grey: the more lines, the
		// fainter each band.
		alpha := uint8(max(0x10, min(0x2c, 0x60/max(1, len(shown)))))
		for _, s := range shown {
			addSweep(p, s, cells[s], m, alpha)
		}
	} else {
		p.X.Tick.Marker = categoryTicks(valueNames)
		for k, s := range shown {
			width := min(0.8/float64(len(shown)), 0.12)
			offset := (float64(k) - float64(len(shown)-1)/2) * width
			addIntervals(p, s, cells[s], m, valueNames, offset)
		}
		p.X.Min, p.X.Max = -0.5, float64(len(valueNames))-0.5
	}
	scale, hi := rateScale(maxOps, top)
	p.Y.Scale, p.Y.Tick.Marker = scale, scale
	p.Y.Min, p.Y.Max = 0, hi
	band := "Shaded: the 95% Wilson interval."
	if !x.Numeric {
		band = "Bars: the 95% Wilson interval."
	}
	note := band
	if len(none) > 0 {
		note += fmt.Sprintf(" No %s at any value (%d): %s.", m.Label, len(none), strings.Join(none, ", "))
	}
	if len(shown) == 0 {
		note = fmt.Sprintf("No %s in any cell.", m.Label)
	}
	per := "one line per strategy"
	if !x.Numeric {
		per = "one point per strategy and value"
	}
	caption := fmt.Sprintf("The share of operations with a %s outcome by %s, %s. %s %d seeds per cell. The y axis is linear below one operation in a cell and logarithmic above, so that zero has a place.",
		m.Label, x.ParamLabel, per, band, x.SeedsPerCell)
	return Figure{
		Name: FigureName(m.Name, level), Title: title, Caption: caption, W: figW, H: legendHeight(len(shown), note),
		draw: func(c draw.Canvas) {
			background(c)
			drawPlot(draw.Crop(c, 0, -legendW, 0, 0), p)
			legendPanel(draw.Crop(c, c.Max.X-c.Min.X-legendW+vg.Points(6), 0, 0, 0), "strategy", shown, x.Numeric, true, note)
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

// addSweep adds a strategy's line, its points and its interval as a band.
func addSweep(p *plot.Plot, s string, cells []*Cell, m Metric, alpha uint8) {
	l := lookOf(s)
	var line plotter.XYs
	var band plotter.XYs
	for _, c := range cells {
		line = append(line, plotter.XY{X: c.X, Y: m.Of(c).Rate})
		band = append(band, plotter.XY{X: c.X, Y: m.Of(c).Low})
	}
	for i := len(cells) - 1; i >= 0; i-- {
		band = append(band, plotter.XY{X: cells[i].X, Y: m.Of(cells[i]).High})
	}
	if poly, err := plotter.NewPolygon(band); err == nil {
		poly.Color = faded(l.colour, alpha)
		poly.LineStyle.Width = 0
		p.Add(poly)
	}
	if ln, sc, err := plotter.NewLinePoints(line); err == nil {
		ln.Color, ln.Width, ln.Dashes = l.colour, vg.Points(1.5), l.dashes
		sc.Color, sc.Radius, sc.Shape = l.colour, vg.Points(2.5), l.shape
		p.Add(ln, sc)
	}
}

// intervals draws points with vertical bars from low to high.
type intervals struct {
	pts   []plotter.XY
	lo    []float64
	hi    []float64
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
		c.DrawGlyph(draw.GlyphStyle{Color: iv.style.colour, Radius: vg.Points(2.8), Shape: iv.style.shape}, vg.Point{X: x, Y: ty(pt.Y)})
	}
}

func (iv *intervals) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax, ymin, ymax = math.Inf(1), math.Inf(-1), 0, 0
	for i, pt := range iv.pts {
		xmin, xmax = min(xmin, pt.X), max(xmax, pt.X)
		ymax = max(ymax, iv.hi[i])
	}
	return
}

func addIntervals(p *plot.Plot, s string, cells []*Cell, m Metric, values []string, offset float64) {
	iv := &intervals{style: lookOf(s)}
	for _, c := range cells {
		i := slices.Index(values, c.Value)
		r := m.Of(c)
		iv.pts = append(iv.pts, plotter.XY{X: float64(i) + offset, Y: r.Rate})
		iv.lo, iv.hi = append(iv.lo, r.Low), append(iv.hi, r.High)
	}
	p.Add(iv)
}

// Grid is a strategy x level table of one metric pooled over an
// experiment's values.
type Grid struct {
	Metric     Metric
	Strategies []string
	Levels     []string
	Rates      map[[2]string]Rate  // by strategy, level
	Ops        map[[2]string]int64 // operations behind each rate
	Values     int                 // swept values pooled
}

// GridOf pools x's cells per strategy and level.
func GridOf(x *Experiment, m Metric) Grid {
	g := Grid{Metric: m, Strategies: x.strategies(), Levels: x.levels(), Rates: map[[2]string]Rate{}, Ops: map[[2]string]int64{}}
	names, _ := x.values()
	g.Values = len(names)
	by := map[[2]string][]*Cell{}
	for i := range x.Cells {
		c := &x.Cells[i]
		k := [2]string{c.Strategy, c.Isolation}
		by[k] = append(by[k], c)
	}
	for k, cells := range by {
		g.Rates[k], g.Ops[k] = pool(cells, m)
	}
	return g
}

func heatFigure(x *Experiment, m Metric) Figure {
	g := GridOf(x, m)
	title := fmt.Sprintf("%s: %s by strategy and isolation level", x.Name, m.Label)
	p := newPlot(title, "isolation level", "")
	p.X.Tick.Marker = categoryTicks(g.Levels)
	var rows plot.ConstantTicks
	for i, s := range g.Strategies {
		rows = append(rows, plot.Tick{Value: float64(len(g.Strategies) - 1 - i), Label: s})
	}
	p.Y.Tick.Marker = rows
	p.X.Tick.Length, p.Y.Tick.Length = 0, 0
	p.X.LineStyle.Width, p.Y.LineStyle.Width = 0, 0
	p.Add(&heat{g: g})
	p.X.Min, p.X.Max = -0.5, float64(len(g.Levels))-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(len(g.Strategies))-0.5
	pooled := ""
	if g.Values > 1 {
		pooled = fmt.Sprintf(", pooled over the %d values of the %s", g.Values, x.ParamLabel)
	}
	caption := fmt.Sprintf("The share of operations with a %s outcome for each strategy at each isolation level it was run at%s; darker is higher (on the same symlog scale as the line plots), a dash where the strategy was not run at that level.", m.Label, pooled)
	h := vg.Points(70) + vg.Points(17)*vg.Length(len(g.Strategies))
	return Figure{
		Name: "heat-" + m.Name, Title: title, Caption: caption, W: 8 * vg.Inch, H: h,
		draw: func(c draw.Canvas) {
			background(c)
			drawPlot(c, p)
		},
	}
}

// heat draws a Grid's cells: colour by rate, the rate written inside.
type heat struct{ g Grid }

func (h *heat) Plot(c draw.Canvas, p *plot.Plot) {
	tx, ty := p.Transforms(&c)
	var maxOps int64
	top := 0.0
	for k, r := range h.g.Rates {
		top = max(top, r.Rate)
		maxOps = max(maxOps, h.g.Ops[k])
	}
	scale, hi := rateScale(maxOps, top)
	dark := textStyle(8, ink)
	light := textStyle(8, color.White)
	for i, s := range h.g.Strategies {
		y := float64(len(h.g.Strategies) - 1 - i)
		for j, l := range h.g.Levels {
			x0, x1 := tx(float64(j)-0.48), tx(float64(j)+0.48)
			y0, y1 := ty(y-0.45), ty(y+0.45)
			box := []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
			r, ok := h.g.Rates[[2]string{s, l}]
			label, sty := "–", dark
			fill := color.Color(color.RGBA{0xf2, 0xf2, 0xf2, 0xff})
			if ok {
				v := scale.Normalize(0, hi, r.Rate)
				fill = heatColour(v)
				if r.Count == 0 {
					fill = color.RGBA{0xee, 0xf7, 0xee, 0xff}
				}
				label = formatRate(r.Rate)
				if v > 0.55 {
					sty = light
				}
			}
			c.FillPolygon(fill, box)
			sty.XAlign, sty.YAlign = -0.5, -0.5
			c.FillText(sty, vg.Point{X: (x0 + x1) / 2, Y: (y0 + y1) / 2}, label)
		}
	}
}

func (h *heat) DataRange() (xmin, xmax, ymin, ymax float64) {
	return -0.5, float64(len(h.g.Levels)) - 0.5, -0.5, float64(len(h.g.Strategies)) - 0.5
}

// heatColour runs from white (0) through orange to deep red (1).
func heatColour(v float64) color.RGBA {
	v = max(0, min(1, v))
	stops := []color.RGBA{{0xff, 0xff, 0xff, 0xff}, {0xfd, 0xd4, 0x9e, 0xff}, {0xfc, 0x8d, 0x59, 0xff}, {0xd7, 0x30, 0x1f, 0xff}, {0x7f, 0x00, 0x00, 0xff}}
	if v == 0 {
		return stops[0]
	}
	// Any count at all is visibly off white.
	v = 0.08 + 0.92*v
	f := v * float64(len(stops)-1)
	i := min(int(f), len(stops)-2)
	t := f - float64(i)
	mix := func(a, b uint8) uint8 { return uint8(math.Round(float64(a) + t*(float64(b)-float64(a)))) }
	a, b := stops[i], stops[i+1]
	return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 0xff}
}

// Representative is the value whose latencies an experiment's CDF shows:
// the middle of the swept values.
func (x *Experiment) Representative() string {
	names, _ := x.values()
	return names[len(names)/2]
}

func latencyFigure(x *Experiment) (Figure, bool) {
	value := x.Representative()
	names, cells := x.series("")
	type curve struct {
		s   string
		pts plotter.XYs
	}
	var curves []curve
	lo, hi := math.Inf(1), 0.0
	levels := map[string]bool{}
	for _, s := range names {
		// The first level the strategy ran the value at (cells come in
		// level order).
		var c *Cell
		for _, cc := range cells[s] {
			if cc.Value == value {
				c = cc
				break
			}
		}
		if c == nil || len(c.LatencyHist) == 0 {
			continue
		}
		levels[c.Isolation] = true
		total := 0.0
		for _, b := range c.LatencyHist {
			total += b[1]
		}
		if total == 0 {
			continue
		}
		var pts plotter.XYs
		cum := 0.0
		for _, b := range c.LatencyHist {
			cum += b[1]
			if b[0] >= 1e300 {
				break
			}
			if cum > 0 || b[1] > 0 {
				if len(pts) == 0 {
					lo = min(lo, b[0])
				}
				pts = append(pts, plotter.XY{X: b[0], Y: cum / total})
				if b[1] > 0 {
					hi = max(hi, b[0])
				}
			}
		}
		if len(pts) > 0 {
			curves = append(curves, curve{s, pts})
		}
	}
	if len(curves) == 0 {
		return Figure{}, false
	}
	title := fmt.Sprintf("%s: latency at %s = %s", x.Name, x.Param, value)
	p := newPlot(title, "latency per operation, first attempt to conclusion (ms, log)", "share of operations done within it")
	grid := plotter.NewGrid()
	grid.Vertical.Color, grid.Horizontal.Color = faint, faint
	p.Add(grid)
	var shown []string
	for _, cv := range curves {
		var pts plotter.XYs
		for _, pt := range cv.pts {
			if pt.X <= hi {
				pts = append(pts, pt)
			}
		}
		l := lookOf(cv.s)
		ln, err := plotter.NewLine(pts)
		if err != nil {
			continue
		}
		ln.Color, ln.Width, ln.Dashes = l.colour, vg.Points(1.5), l.dashes
		ln.StepStyle = plotter.PostStep
		p.Add(ln)
		shown = append(shown, cv.s)
	}
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.X.Min, p.X.Max = lo, max(hi, lo*10)
	p.Y.Min, p.Y.Max = 0, 1
	var at []string
	for _, l := range levelSlugs() {
		if levels[l] {
			at = append(at, l)
		}
	}
	where := ""
	if len(at) > 1 || len(at) == 1 && at[0] != value {
		where = " (" + strings.Join(at, ", ") + ")"
	}
	caption := fmt.Sprintf("For each strategy, the share of operations concluded within a latency, at %s = %s%s, from the cells' histograms; a curve that stays below 1 has operations slower than its last bound or never concluded.",
		x.Param, value, where)
	return Figure{
		Name: "latency-cdf", Title: title, Caption: caption, W: figW, H: legendHeight(len(shown), ""),
		draw: func(c draw.Canvas) {
			background(c)
			drawPlot(draw.Crop(c, 0, -legendW, 0, 0), p)
			legendPanel(draw.Crop(c, c.Max.X-c.Min.X-legendW+vg.Points(6), 0, 0, 0), "strategy", shown, true, false, "")
		},
	}, true
}
