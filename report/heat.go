package report

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// heatColumn is one column of a heat map: a level and a swept value.
type heatColumn struct{ level, value string }

// heatFigure is a metric's rate per strategy (rows) and per isolation
// level and swept value (columns, grouped by level), each cell coloured on
// the symlog scale of the rate plots and labelled with its rate, with a
// colour bar that shows the scale and its unit.
func heatFigure(x *Experiment, m Metric) Figure {
	strategies := x.strategies()
	values, _ := x.values()
	at := map[[3]string]*Cell{}
	for i := range x.Cells {
		c := &x.Cells[i]
		at[[3]string{c.Strategy, c.Isolation, c.Value}] = c
	}
	var cols []heatColumn
	for _, l := range x.levels() {
		for _, v := range values {
			if slices.ContainsFunc(x.Cells, func(c Cell) bool { return c.Isolation == l && c.Value == v }) {
				cols = append(cols, heatColumn{l, v})
			}
		}
	}
	var maxOps int64
	top := 0.0
	for _, c := range at {
		maxOps, top = max(maxOps, c.Ops), max(top, float64(m.Of(c).Rate))
	}
	scale, hi := rateScale(maxOps, top)

	title := fmt.Sprintf("%s: %s rate per operation", x.Name, m.Label)
	sub := "rows: strategy; columns: isolation level"
	if len(values) > 1 {
		sub += ", then " + x.ParamLabel
	}
	name := textStyle(8.5, ink)
	head := textStyle(8.5, ink)
	colW := vg.Points(46)
	for _, col := range cols {
		colW = max(colW, name.Width(col.value)+vg.Points(8))
	}
	perLevel := map[string]int{}
	for _, col := range cols {
		perLevel[col.level]++
	}
	for l, n := range perLevel {
		colW = max(colW, (head.Width(l)+vg.Points(8))/vg.Length(n))
	}
	nameW := vg.Points(40)
	for _, s := range strategies {
		nameW = max(nameW, name.Width(s)+vg.Points(10))
	}
	const margin, gap = vg.Length(8), vg.Length(4)
	rowH := vg.Points(15)
	titleH, subH, levelH := vg.Points(22), vg.Points(14), vg.Points(14)
	valueH := vg.Length(0)
	if len(values) > 1 {
		valueH = vg.Points(12)
	}
	gridW := vg.Length(len(cols))*colW + vg.Length(max(0, len(perLevel)-1))*gap
	barArea := vg.Points(100)
	w := margin + nameW + gridW + vg.Points(18) + barArea + margin
	headerH := margin + titleH + subH + levelH + valueH
	rowsH := vg.Length(len(strategies)) * rowH
	barH := min(max(rowsH, vg.Points(90)), vg.Points(170))
	h := headerH + max(rowsH, barH+vg.Points(60)) + margin

	caption := fmt.Sprintf("The share of operations with a %s outcome for each strategy at each isolation level it was run at", m.Label)
	if len(values) > 1 {
		caption += fmt.Sprintf(" and each %s (%s)", x.ParamLabel, orList(values))
	}
	caption += fmt.Sprintf(", over %d seeds per cell: pale green where no operation had one, else darker for a higher rate on the colour bar's scale (linear below one operation in a cell, logarithmic above, as on the rate plots); grey where the strategy was not run.", x.SeedsPerCell)
	return Figure{
		Name: "heat-" + strings.ReplaceAll(m.Name, "_", "-"), Title: title, Caption: caption, W: w, H: h, form: formHeat,
		draw: func(c draw.Canvas) {
			background(c)
			top := c.Max.Y - margin
			t := textStyle(12, ink)
			t.XAlign, t.YAlign = draw.XCenter, draw.YTop
			left := c.Min.X + margin + nameW
			c.FillText(t, vg.Point{X: left + gridW/2, Y: top}, title)
			s := textStyle(8.5, grey)
			s.XAlign, s.YAlign = draw.XCenter, draw.YTop
			c.FillText(s, vg.Point{X: left + gridW/2, Y: top - titleH}, sub)
			gridTop := top - titleH - subH - levelH - valueH
			// Column headers: each level over its values.
			colX := make([]vg.Length, len(cols))
			x0 := left
			for i, col := range cols {
				if i > 0 && col.level != cols[i-1].level {
					x0 += gap
				}
				colX[i] = x0
				x0 += colW
			}
			lh := textStyle(8.5, ink)
			lh.XAlign, lh.YAlign = draw.XCenter, draw.YBottom
			vh := textStyle(8, grey)
			vh.XAlign, vh.YAlign = draw.XCenter, draw.YBottom
			for i := 0; i < len(cols); {
				j := i
				for j < len(cols) && cols[j].level == cols[i].level {
					j++
				}
				c.FillText(lh, vg.Point{X: (colX[i] + colX[j-1] + colW) / 2, Y: gridTop + valueH + vg.Points(3)}, cols[i].level)
				if valueH > 0 {
					for k := i; k < j; k++ {
						c.FillText(vh, vg.Point{X: colX[k] + colW/2, Y: gridTop + vg.Points(2)}, cols[k].value)
					}
				}
				i = j
			}
			nm := textStyle(8.5, ink)
			nm.XAlign, nm.YAlign = draw.XRight, draw.YCenter
			dark, light := textStyle(8, ink), textStyle(8, color.White)
			for r, st := range strategies {
				y1 := gridTop - vg.Length(r)*rowH
				y0 := y1 - rowH
				c.FillText(nm, vg.Point{X: left - vg.Points(6), Y: (y0 + y1) / 2}, st)
				for i, col := range cols {
					box := rect(colX[i]+vg.Points(1), y0+vg.Points(1), colX[i]+colW-vg.Points(1), y1-vg.Points(1))
					cell, ok := at[[3]string{st, col.level, col.value}]
					label, sty := "–", dark
					fill := color.Color(notRun)
					if ok {
						r := m.Of(cell)
						v := scale.Normalize(0, hi, float64(r.Rate))
						fill, label = heatColour(v), formatRate(float64(r.Rate))
						if r.Count == 0 {
							fill = noneColour
						}
						if v > 0.55 {
							sty = light
						}
					}
					c.FillPolygon(fill, box)
					sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
					c.FillText(sty, vg.Point{X: colX[i] + colW/2, Y: (y0 + y1) / 2}, label)
				}
			}
			colourBar(c, left+gridW+vg.Points(18), gridTop, barH, scale, hi)
		},
	}
}

var (
	noneColour = color.RGBA{0xe6, 0xf4, 0xe6, 0xff}
	notRun     = color.RGBA{0xf0, 0xf0, 0xf0, 0xff}
)

func rect(x0, y0, x1, y1 vg.Length) []vg.Point {
	return []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
}

// colourBar draws the heat maps' scale with its top at (x, top): the
// unit, a bar from one operation's rate to hi with the scale's ticks, and
// the swatches of "none" and "not run".
func colourBar(c draw.Canvas, x, top, h vg.Length, scale symlog, hi float64) {
	unit := textStyle(8.5, ink)
	unit.YAlign = draw.YBottom
	c.FillText(unit, vg.Point{X: x, Y: top + vg.Points(19)}, "rate per")
	c.FillText(unit, vg.Point{X: x, Y: top + vg.Points(8)}, "operation")
	barW := vg.Points(12)
	bottom := top - h
	lo := scale.Normalize(0, hi, scale.c)
	pos := func(v float64) vg.Length {
		return bottom + vg.Length((scale.Normalize(0, hi, v)-lo)/(1-lo))*h
	}
	const steps = 64
	for i := range steps {
		t0 := lo + (1-lo)*float64(i)/steps
		t1 := lo + (1-lo)*float64(i+1)/steps
		y0 := bottom + vg.Length(float64(i)/steps)*h
		y1 := bottom + vg.Length(float64(i+1)/steps)*h
		c.FillPolygon(heatColour((t0+t1)/2), rect(x, y0, x+barW, y1+vg.Points(0.3)))
	}
	frame := draw.LineStyle{Color: grey, Width: vg.Points(0.5)}
	c.StrokeLines(frame, []vg.Point{{X: x, Y: bottom}, {X: x + barW, Y: bottom}, {X: x + barW, Y: top}, {X: x, Y: top}, {X: x, Y: bottom}})
	tick := textStyle(8, ink)
	tick.YAlign = draw.YCenter
	for _, t := range scale.Ticks(0, hi) {
		if t.Label == "" || t.Value < scale.c*(1-1e-9) || t.Value > hi*(1+1e-9) {
			continue
		}
		y := pos(t.Value)
		c.StrokeLine2(frame, x+barW, y, x+barW+vg.Points(3), y)
		c.FillText(tick, vg.Point{X: x + barW + vg.Points(5), Y: y}, t.Label)
	}
	y := bottom - vg.Points(20)
	for _, sw := range []struct {
		fill  color.Color
		label string
	}{{noneColour, "0 (none)"}, {notRun, "not run"}} {
		c.FillPolygon(sw.fill, rect(x, y, x+barW, y+vg.Points(10)))
		c.StrokeLines(frame, []vg.Point{{X: x, Y: y}, {X: x + barW, Y: y}, {X: x + barW, Y: y + vg.Points(10)}, {X: x, Y: y + vg.Points(10)}, {X: x, Y: y}})
		c.FillText(tick, vg.Point{X: x + barW + vg.Points(5), Y: y + vg.Points(5)}, sw.label)
		y -= vg.Points(15)
	}
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
