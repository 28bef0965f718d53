package report

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Latency figures draw at most maxCurves curves per panel: more curves
// than that on one axis cannot be told apart.
const (
	maxCurves = 5
	// alikeWithin is how close two cumulative curves must be at every
	// bucket (in share of operations) for one to stand for the other.
	alikeWithin = 0.03
	panelH      = 3.6 * vg.Inch
)

// Representative is the value whose latencies an experiment's CDF shows:
// the middle of the swept values.
func (x *Experiment) Representative() string {
	names, _ := x.values()
	return names[len(names)/2]
}

// latencyCurve is one strategy's cumulative latency distribution at the
// representative value.
type latencyCurve struct {
	strategy string
	level    string
	cum      []float64 // share of operations concluded within each bucket's bound
	bounds   []float64
}

// distance is the largest gap between two curves over the buckets.
func (a latencyCurve) distance(b latencyCurve) float64 {
	d := 0.0
	for i := range min(len(a.cum), len(b.cum)) {
		d = max(d, math.Abs(a.cum[i]-b.cum[i]))
	}
	if len(a.cum) != len(b.cum) {
		return 1
	}
	return d
}

// latencyCurves are the curves of every strategy that concluded an
// operation at the representative value, at the first level it ran.
func (x *Experiment) latencyCurves() []latencyCurve {
	value := x.Representative()
	names, cells := x.series("")
	var out []latencyCurve
	for _, s := range names {
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
		total := 0.0
		for _, b := range c.LatencyHist {
			total += float64(b.Count)
		}
		if total == 0 {
			continue
		}
		cv := latencyCurve{strategy: s, level: c.Isolation}
		cum := 0.0
		for _, b := range c.LatencyHist {
			cum += float64(b.Count)
			cv.cum = append(cv.cum, cum/total)
			cv.bounds = append(cv.bounds, float64(b.Bound))
		}
		out = append(out, cv)
	}
	return out
}

// latencyGroup is a curve drawn and the curves close enough to it that it
// stands for them.
type latencyGroup struct {
	drawn latencyCurve
	alike []string
}

// groupCurves puts each curve with the first drawn one within alikeWithin
// of it everywhere, in order; the others are drawn.
func groupCurves(curves []latencyCurve) []latencyGroup {
	var out []latencyGroup
	for _, cv := range curves {
		found := false
		for i := range out {
			if out[i].drawn.distance(cv) <= alikeWithin {
				out[i].alike = append(out[i].alike, cv.strategy)
				found = true
				break
			}
		}
		if !found {
			out = append(out, latencyGroup{drawn: cv})
		}
	}
	return out
}

// panels splits groups into as few panels of at most maxCurves as it
// takes, as even as can be, in order.
func panels(groups []latencyGroup) [][]latencyGroup {
	n := (len(groups) + maxCurves - 1) / maxCurves
	var out [][]latencyGroup
	for i := range n {
		lo, hi := i*len(groups)/n, (i+1)*len(groups)/n
		out = append(out, groups[lo:hi])
	}
	return out
}

func latencyFigure(x *Experiment, looks map[string]look) (Figure, bool) {
	curves := x.latencyCurves()
	if len(curves) == 0 {
		return Figure{}, false
	}
	value := x.Representative()
	// One x range for every panel, so that they compare: from the first
	// bucket any curve reaches to the last bound any counts in.
	lo, hi := math.Inf(1), 0.0
	for _, cv := range curves {
		prev := 0.0
		for i, b := range cv.bounds {
			if b >= 1e300 {
				break
			}
			if cv.cum[i] > 0 {
				lo = min(lo, b)
			}
			if cv.cum[i] > prev {
				hi = max(hi, b)
			}
			prev = cv.cum[i]
		}
	}
	if math.IsInf(lo, 1) {
		return Figure{}, false
	}
	hi = max(hi, lo*10)
	ps := panels(groupCurves(curves))
	title := fmt.Sprintf("%s: latency at %s = %s", x.Name, x.Param, value)
	var draws []func(draw.Canvas)
	lw := legendW
	var heights []vg.Length
	var entriesOf [][]legendEntry
	for _, groups := range ps {
		var entries []legendEntry
		for _, g := range groups {
			entries = append(entries, legendEntry{name: g.drawn.strategy, alike: g.alike, same: "≈"})
		}
		entriesOf = append(entriesOf, entries)
		lw = max(lw, legendWidth(entries))
	}
	note := fmt.Sprintf("A strategy indented under another has a curve within %.0f points of that one's at every latency, and is not drawn.", alikeWithin*100)
	for k, groups := range ps {
		t := title
		if len(ps) > 1 {
			t += fmt.Sprintf(" (%d of %d)", k+1, len(ps))
		}
		p := newPlot(t, "latency per operation, first attempt to conclusion (ms, log)", "share of operations done within it")
		grid := plotter.NewGrid()
		grid.Vertical.Color, grid.Horizontal.Color = faint, faint
		p.Add(grid)
		for _, g := range groups {
			var pts plotter.XYs
			for i, b := range g.drawn.bounds {
				if b > hi || b >= 1e300 {
					break
				}
				if b >= lo {
					pts = append(pts, plotter.XY{X: b, Y: g.drawn.cum[i]})
				}
			}
			ln, err := plotter.NewLine(pts)
			if err != nil {
				continue
			}
			l := looks[g.drawn.strategy]
			ln.Color, ln.Width, ln.Dashes = l.colour, vg.Points(1.5), l.dashes
			ln.StepStyle = plotter.PostStep
			p.Add(ln)
		}
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
		p.X.Min, p.X.Max = lo, hi
		p.Y.Min, p.Y.Max = 0, 1
		entries := entriesOf[k]
		n := note
		if !hasAlike(entries) {
			n = ""
		}
		heights = append(heights, max(panelH, legendHeight(entries, n, lw))+vg.Points(14)*vg.Length(min(k, 1)))
		draws = append(draws, func(c draw.Canvas) {
			drawPlot(draw.Crop(c, 0, -lw, 0, 0), p)
			legendPanel(draw.Crop(c, c.Max.X-c.Min.X-lw+vg.Points(6), 0, 0, 0), "strategy", entries, looks, true, false, n)
		})
	}
	total := vg.Length(0)
	for _, h := range heights {
		total += h
	}
	levels := map[string]bool{}
	for _, cv := range curves {
		levels[cv.level] = true
	}
	var at []string
	for _, l := range levelSlugs() {
		if levels[l] {
			at = append(at, l)
		}
	}
	where := ""
	if len(at) > 1 || len(at) == 1 && at[0] != value && x.splitByLevel() {
		where = " (at " + strings.Join(at, ", ") + ")"
	}
	caption := fmt.Sprintf("For each strategy, the share of operations concluded within a latency, at %s = %s%s, from the cells' histograms; a curve that stays below 1 has operations slower than its last bound or never concluded. At most %d curves per panel: a strategy whose curve is within %.0f points of a drawn one everywhere is named under it in the legend (≈) instead of drawn.",
		x.Param, value, where, maxCurves, alikeWithin*100)
	return Figure{
		Name: "latency-cdf", Title: title, Caption: caption, W: plotW + lw, H: total, form: formLatency,
		draw: func(c draw.Canvas) {
			background(c)
			top := c.Max.Y
			for k, d := range draws {
				sub := c
				sub.Max.Y = top
				if k > 0 {
					// Room between one panel's axis label and the next title.
					sub.Max.Y -= vg.Points(14)
				}
				sub.Min.Y = top - heights[k]
				d(sub)
				top -= heights[k]
			}
		},
	}, true
}

func hasAlike(entries []legendEntry) bool {
	for _, e := range entries {
		if len(e.alike) > 0 {
			return true
		}
	}
	return false
}
