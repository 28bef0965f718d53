package report

import (
	"fmt"
	"image/color"
	"slices"
	"strings"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// formSimLive is the simulated-against-live comparison: a row per
// strategy, its simulated and live rates side by side with their bars.
const formSimLive = "sim-live"

// SimLiveFigureName is the file name (without extension) of the figure
// that puts an experiment's simulated and live rates side by side.
const SimLiveFigureName = "sim-vs-live"

// simLiveModes are the values an experiment must sweep, exactly, to get
// the comparison: the same worlds simulated and run live (idemsim
// sim-vs-live's rates and edge cases).
var simLiveModes = []string{"simulated", "live"}

// Colours of the two modes: the palette's first two, which stay apart for
// most colour-blind readers as well.
var (
	simColour  = palette[0]
	liveColour = palette[3]
	offColour  = color.RGBA{0xfb, 0xe3, 0xe3, 0xff}
)

// simLiveRow is one row of the comparison: a strategy (or variant) at a
// level, with its simulated and its live cell.
type simLiveRow struct {
	label     string
	sim, live *Cell
}

// simLiveRows are the experiment's rows in cell order, or nil when its
// values are not exactly simulated and live. A strategy run at several
// levels names its level in its label.
func (x *Experiment) simLiveRows() []simLiveRow {
	values, _ := x.values()
	if !slices.Equal(values, simLiveModes) {
		return nil
	}
	levels := map[string][]string{}
	for _, c := range x.Cells {
		if !slices.Contains(levels[c.Strategy], c.Isolation) {
			levels[c.Strategy] = append(levels[c.Strategy], c.Isolation)
		}
	}
	var rows []simLiveRow
	at := map[[2]string]int{}
	for i := range x.Cells {
		c := &x.Cells[i]
		k := [2]string{c.Strategy, c.Isolation}
		j, ok := at[k]
		if !ok {
			label := c.Strategy
			if len(levels[c.Strategy]) > 1 {
				label += " at " + c.Isolation
			}
			j = len(rows)
			at[k] = j
			rows = append(rows, simLiveRow{label: label})
		}
		if c.Value == simLiveModes[0] {
			rows[j].sim = c
		} else {
			rows[j].live = c
		}
	}
	return slices.DeleteFunc(rows, func(r simLiveRow) bool { return r.sim == nil || r.live == nil })
}

// overlap reports whether two rates' 95% intervals meet.
func overlap(a, b *Rate) bool { return a.High >= b.Low && b.High >= a.Low }

// simLiveFigure draws, for an experiment whose values are exactly
// simulated and live, one panel per metric some cell counts: a row per
// strategy and level, its simulated and its live rate as two points one
// above the other with their 95% Wilson intervals as horizontal bars, on
// the symlog scale of the rate plots; a row whose two intervals do not
// meet is shaded. ok is false for any other experiment.
func simLiveFigure(x *Experiment) (Figure, bool) {
	rows := x.simLiveRows()
	metrics := x.plotted()
	if len(rows) == 0 || len(metrics) == 0 {
		return Figure{}, false
	}
	var maxOps int64
	for _, r := range rows {
		maxOps = max(maxOps, r.sim.Ops, r.live.Ops)
	}
	scales := make([]symlog, len(metrics))
	his := make([]float64, len(metrics))
	apart := 0
	for k, m := range metrics {
		top := 0.0
		for _, r := range rows {
			top = max(top, float64(m.Of(r.sim).High), float64(m.Of(r.live).High))
		}
		// A rate is at most 1, which rateScale's decade can pass when a
		// cell has few operations.
		scales[k], his[k] = rateScale(maxOps, top)
		his[k] = min(his[k], 1)
	}
	for _, r := range rows {
		if slices.ContainsFunc(metrics, func(m Metric) bool { return !overlap(m.Of(r.sim), m.Of(r.live)) }) {
			apart++
		}
	}
	name := textStyle(8.5, ink)
	nameW := vg.Points(60)
	for _, r := range rows {
		nameW = max(nameW, name.Width(r.label)+vg.Points(10))
	}
	const margin, gap = vg.Length(8), vg.Length(14)
	panelW := vg.Points(150)
	rowH := vg.Points(16)
	titleH, keyH, headH, axisH := vg.Points(22), vg.Points(18), vg.Points(14), vg.Points(26)
	w := margin + nameW + vg.Length(len(metrics))*(panelW+gap) - gap + margin
	h := margin + titleH + keyH + headH + vg.Length(len(rows))*rowH + axisH + margin
	title := x.Name + ": simulated and live, rate per operation"
	labels := make([]string, len(metrics))
	for k, m := range metrics {
		labels[k] = m.Label
	}
	caption := fmt.Sprintf("For each strategy (a row), the share of operations with each outcome some cell showed (%s), simulated (circle, above) and live (triangle, below) on the same seeds, %d seeds per cell, with the 95%% Wilson interval as a bar. "+
		"The rate axis is linear below one operation in a cell and logarithmic above, as on the rate plots. A shaded row is one whose simulated and live intervals do not meet in that panel: %d of %d rows have one.",
		strings.Join(labels, ", "), x.SeedsPerCell, apart, len(rows))
	return Figure{
		Name: SimLiveFigureName, Title: title, Caption: caption, W: w, H: h, form: formSimLive,
		draw: func(c draw.Canvas) {
			background(c)
			top := c.Max.Y - margin
			left := c.Min.X + margin + nameW
			t := textStyle(12, ink)
			t.XAlign, t.YAlign = draw.XCenter, draw.YTop
			c.FillText(t, vg.Point{X: (left + c.Max.X - margin) / 2, Y: top}, title)
			simLiveKey(c, left, top-titleH-keyH/2)
			gridTop := top - titleH - keyH - headH
			gridBottom := gridTop - vg.Length(len(rows))*rowH
			nm := textStyle(8.5, ink)
			nm.XAlign, nm.YAlign = draw.XRight, draw.YCenter
			for i, r := range rows {
				c.FillText(nm, vg.Point{X: left - vg.Points(6), Y: gridTop - (vg.Length(i)+0.5)*rowH}, r.label)
			}
			for k, m := range metrics {
				x0 := left + vg.Length(k)*(panelW+gap)
				simLivePanel(c, x0, panelW, gridTop, gridBottom, rowH, rows, m, scales[k], his[k])
			}
		},
	}, true
}

// simLiveKey draws the two modes' markers and what the bars are, from
// (x, y).
func simLiveKey(c draw.Canvas, x, y vg.Length) {
	sty := textStyle(8.5, ink)
	sty.YAlign = draw.YCenter
	for _, k := range []struct {
		colour color.RGBA
		shape  draw.GlyphDrawer
		label  string
	}{{simColour, draw.CircleGlyph{}, "simulated"}, {liveColour, draw.TriangleGlyph{}, "live"}} {
		c.DrawGlyph(draw.GlyphStyle{Color: k.colour, Radius: vg.Points(3), Shape: k.shape}, vg.Point{X: x + vg.Points(4), Y: y})
		c.FillText(sty, vg.Point{X: x + vg.Points(11), Y: y}, k.label)
		x += sty.Width(k.label) + vg.Points(26)
	}
	small := textStyle(8, grey)
	small.YAlign = draw.YCenter
	c.FillText(small, vg.Point{X: x, Y: y}, "bars: 95% Wilson interval; shaded: the two intervals do not meet")
}

// simLivePanel draws one metric's panel between x0 and x0+w: its label,
// a light line per row, each row's two rates with their bars, and the
// rate axis under the rows.
func simLivePanel(c draw.Canvas, x0, w, gridTop, gridBottom, rowH vg.Length, rows []simLiveRow, m Metric, scale symlog, hi float64) {
	head := textStyle(9, ink)
	head.XAlign, head.YAlign = draw.XCenter, draw.YBottom
	c.FillText(head, vg.Point{X: x0 + w/2, Y: gridTop + vg.Points(3)}, m.Label)
	pos := func(v float64) vg.Length { return x0 + vg.Length(scale.Normalize(0, hi, v))*w }
	frame := draw.LineStyle{Color: grey, Width: vg.Points(0.5)}
	line := draw.LineStyle{Color: faint, Width: vg.Points(0.5)}
	for i, r := range rows {
		y1 := gridTop - vg.Length(i)*rowH
		y0 := y1 - rowH
		if !overlap(m.Of(r.sim), m.Of(r.live)) {
			c.FillPolygon(offColour, rect(x0, y0, x0+w, y1))
		}
		c.StrokeLine2(line, x0, y0, x0+w, y0)
		for _, p := range []struct {
			cell   *Cell
			dy     vg.Length
			colour color.RGBA
			shape  draw.GlyphDrawer
		}{{r.sim, rowH * 0.22, simColour, draw.CircleGlyph{}}, {r.live, -rowH * 0.22, liveColour, draw.TriangleGlyph{}}} {
			rate := m.Of(p.cell)
			y := (y0+y1)/2 + p.dy
			bar := draw.LineStyle{Color: p.colour, Width: vg.Points(1.1)}
			lo, hi := pos(float64(rate.Low)), pos(float64(rate.High))
			capH := vg.Points(2)
			c.StrokeLine2(bar, lo, y, hi, y)
			c.StrokeLine2(bar, lo, y-capH, lo, y+capH)
			c.StrokeLine2(bar, hi, y-capH, hi, y+capH)
			c.DrawGlyph(draw.GlyphStyle{Color: p.colour, Radius: vg.Points(2.6), Shape: p.shape}, vg.Point{X: pos(float64(rate.Rate)), Y: y})
		}
	}
	c.StrokeLines(frame, []vg.Point{{X: x0, Y: gridTop}, {X: x0, Y: gridBottom}, {X: x0 + w, Y: gridBottom}})
	tick := textStyle(7.5, ink)
	tick.XAlign, tick.YAlign = draw.XCenter, draw.YTop
	for _, t := range scale.Ticks(0, hi) {
		if t.Value > hi*(1+1e-9) {
			continue
		}
		x := pos(t.Value)
		c.StrokeLine2(frame, x, gridBottom, x, gridBottom-vg.Points(2.5))
		if t.Label != "" {
			c.FillText(tick, vg.Point{X: x, Y: gridBottom - vg.Points(4)}, t.Label)
		}
	}
	unit := textStyle(8, grey)
	unit.XAlign, unit.YAlign = draw.XCenter, draw.YTop
	c.FillText(unit, vg.Point{X: x0 + w/2, Y: gridBottom - vg.Points(14)}, "per operation")
}
