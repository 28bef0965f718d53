package report

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/shrink"
)

func rerunInternal(t testing.TB) string { return testcmd.Rerun(t, "./report") }

// Goal: the shortest counterexample is the one with the fewest faults,
// then the fewest operations, then the fewest clients.
func TestShorter(t *testing.T) {
	c := func(faults, clients, ops int) *Counterexample {
		return &Counterexample{To: shrink.Size{Faults: faults, Clients: clients, Ops: ops}}
	}
	for _, tc := range []struct {
		name string
		a, b *Counterexample
		want bool
	}{
		{"fewer-faults", c(1, 4, 4), c(2, 1, 1), true},
		{"more-faults", c(3, 1, 1), c(2, 4, 4), false},
		{"fewer-operations", c(1, 2, 1), c(1, 1, 3), true},
		{"fewer-clients", c(1, 1, 4), c(1, 2, 2), true},
		{"same", c(1, 1, 1), c(1, 1, 1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, shorter(tc.a, tc.b), rerunInternal(t))
		})
	}
}

// Goal: each experiment gets the pictures worth looking at: none for a
// metric no cell counts; lines only over a numeric sweep of more than two
// values, points with bars otherwise (categories, or two numbers); per
// level only where the metric has something at that level; heat maps for
// an experiment that runs strategies at several levels over at most two
// values; and the latency distributions.
// Method: the figures of each fixture, by name and form. The fixtures:
// network-loss sweeps four numbers (no stuck, wrong answer, unconfirmed or
// orphan charge); multi-server two numbers (duplicate and stuck only);
// crashes three categories at two levels, with nothing at serializable;
// isolation two numbers at two levels; swarm one category.
func TestFigureRules(t *testing.T) {
	xs, err := Load("testdata/results")
	require.NoError(t, err, rerunInternal(t))
	want := map[string][]string{
		"network-loss": {"rate-duplicate lines", "rate-lost lines", "rate-nonlinearizable lines", "latency-cdf latency"},
		"multi-server": {"rate-duplicate points", "rate-stuck points", "rate-nonlinearizable points", "latency-cdf latency"},
		"crashes": {"rate-duplicate-read-committed points", "rate-wrong-answer-read-committed points",
			"rate-nonlinearizable-read-committed points", "latency-cdf latency"},
		"isolation": {"heat-duplicate heat", "heat-lost heat", "heat-stuck heat", "heat-unconfirmed heat",
			"heat-nonlinearizable heat", "latency-cdf latency"},
		"swarm": {"rate-lost points", "rate-nonlinearizable points", "latency-cdf latency"},
	}
	require.Len(t, xs, len(want), rerunInternal(t))
	for _, x := range xs {
		t.Run(x.Name, func(t *testing.T) {
			var got []string
			for _, f := range Figures(x) {
				got = append(got, f.Name+" "+f.form)
			}
			assert.Equal(t, want[x.Name], got, rerunInternal(t))
		})
	}
	t.Run("nothing-line", func(t *testing.T) {
		for _, x := range xs {
			if x.Name == "multi-server" {
				assert.Equal(t, "No lost, wrong answer, unconfirmed or orphan charge in any cell.", x.NothingLine(), rerunInternal(t))
			}
		}
	})
}

// Goal: strategies whose rates coincide at every value are drawn once and
// named together, never hidden silently; ones that differ anywhere are
// drawn apart.
// Method: the multi-server fixture, where local-cache and
// check-then-insert count the same duplicates out of the same operations
// at both values; then the rate plot's legend says so in its SVG.
func TestSameLine(t *testing.T) {
	x, err := ReadExperiment("testdata/results/multi-server/cells.json")
	require.NoError(t, err, rerunInternal(t))
	names, cells := x.series("")
	assert.Equal(t, [][]string{{"local-cache", "check-then-insert"}, {"stripe-replay", "stripe-replay lease=10s"}},
		sameLine(names, cells, Metrics[0]), rerunInternal(t))
	assert.Equal(t, [][]string{{"local-cache", "check-then-insert", "stripe-replay"}, {"stripe-replay lease=10s"}},
		sameLine(names, cells, Metrics[2]), rerunInternal(t))
	svg, err := Figures(x)[0].SVG()
	require.NoError(t, err, rerunInternal(t))
	assert.Contains(t, string(svg), "= check-then-insert", rerunInternal(t))
}

// Goal: a latency plot draws at most maxCurves curves per panel; a curve
// close to a drawn one everywhere is named under it instead of drawn, and
// every strategy is either drawn or named.
// Method: an experiment of twelve strategies whose latencies sit at twelve
// different buckets, plus three copies of the first three shifted by one
// operation in a thousand (well within alikeWithin).
func TestLatencyPanels(t *testing.T) {
	x := &Experiment{Name: "synthetic", Param: "p", Numeric: true}
	all := models.Names()
	for i := range 15 {
		hist := make([]experiments.Bucket, 20)
		for b := range hist {
			hist[b].Bound = experiments.Num(b + 1)
		}
		at := i % 12
		hist[at].Count = 1000
		if i >= 12 {
			hist[at].Count, hist[at+1].Count = 999, 1
		}
		x.Cells = append(x.Cells, Cell{Strategy: all[i], Isolation: "read-committed", Value: "1", X: 1, Ops: 1000, LatencyHist: hist})
	}
	groups := groupCurves(x.latencyCurves())
	require.Len(t, groups, 12, rerunInternal(t))
	assert.Equal(t, []string{all[12]}, groups[0].alike, rerunInternal(t))
	ps := panels(groups)
	require.Len(t, ps, 3, rerunInternal(t))
	named := 0
	for _, p := range ps {
		assert.LessOrEqual(t, len(p), maxCurves, rerunInternal(t))
		for _, g := range p {
			named += 1 + len(g.alike)
		}
	}
	assert.Equal(t, 15, named, rerunInternal(t))
	f, ok := latencyFigure(x, x.looks())
	require.True(t, ok, rerunInternal(t))
	svg, err := f.SVG()
	require.NoError(t, err, rerunInternal(t))
	assert.Contains(t, string(svg), "(3 of 3)", rerunInternal(t))
}

// Goal: a heat map carries its scale: a colour bar with ticks, the unit,
// and the swatches for none and not run.
// Method: the isolation fixture's duplicate heat map as SVG text.
func TestHeatScale(t *testing.T) {
	x, err := ReadExperiment("testdata/results/isolation/cells.json")
	require.NoError(t, err, rerunInternal(t))
	svg, err := heatFigure(x, Metrics[0]).SVG()
	require.NoError(t, err, rerunInternal(t))
	for _, want := range []string{">rate per<", ">operation<", ">0 (none)<", ">not run<", ">0.01<", ">0.1<", ">serializable<", ">2<"} {
		assert.Contains(t, string(svg), want, rerunInternal(t))
	}
}

// Goal: a rate prints in a few characters with two significant digits,
// and never rounds to 0 or 1 when it is neither.
func TestFormatRate(t *testing.T) {
	for _, tc := range []struct {
		rate float64
		want string
	}{
		{0, "0"}, {1, "1"}, {0.5, "0.50"}, {0.137, "0.14"}, {0.9998, "0.9998"}, {0.996, "0.996"},
		{0.0234, "0.023"}, {0.04, "0.04"}, {0.0996, "0.10"}, {0.0046, "4.6e-3"}, {0.0002, "2.0e-4"}, {0.00001, "1.0e-5"},
	} {
		t.Run(fmt.Sprint(tc.rate), func(t *testing.T) {
			assert.Equal(t, tc.want, formatRate(tc.rate), rerunInternal(t))
		})
	}
}

// Goal: edge-cases.md is read by its shape, whatever its wording: the
// first table, the blocks up to the next heading as its legend, the
// columns named from legend items that open with them in bold, and the
// items elsewhere about one strategy.
// Method: the fixture (a heading, table, legend and a later section), and
// the older shape with no heading and no later section.
func TestEdgeCases(t *testing.T) {
	e, err := ReadEdgeCases("testdata/results/edge-cases.md")
	require.NoError(t, err, rerunInternal(t))
	assert.Equal(t, []string{"A, retry after success", "B, network duplicate", "C, crash after the charge"}, e.Cases, rerunInternal(t))
	assert.Len(t, e.Legend, 2, "the list and the paragraph under the table; %s", rerunInternal(t))
	row, ok := e.Row("naive")
	require.True(t, ok, rerunInternal(t))
	assert.Equal(t, TableCell{Text: "DUP 100%", Bad: true}, row.Rows[0][1], rerunInternal(t))
	assert.Equal(t, TableCell{Text: "n/a"}, row.Rows[2][1], rerunInternal(t))
	assert.Len(t, e.About("naive"), 2, rerunInternal(t))
	assert.Empty(t, e.About("unique-409"), rerunInternal(t))
	_, ok = e.Row("redis-lock")
	assert.False(t, ok, rerunInternal(t))

	old := "| strategy | A | B |\n|---|---|---|\n| `naive` | DUP | a \\| b |\n\n- **A, retry after success**: x.\n- **B, network duplicate**: y\n  continued.\n\nA cell is what the run showed.\n"
	blocks := parseMarkdown(old)
	require.Len(t, blocks, 3, rerunInternal(t))
	assert.Equal(t, [][]string{{"strategy", "A", "B"}, {"`naive`", "DUP", "a | b"}}, blocks[0].Rows, "an escaped bar is not a column; %s", rerunInternal(t))
	assert.Equal(t, "**B, network duplicate**: y continued.", blocks[1].Items[1], "an indented line continues its item; %s", rerunInternal(t))
	assert.Equal(t, `<b>B</b> and <code>a **b** &lt;c&gt;</code>`, string(inline("**B** and `a **b** <c>`")), rerunInternal(t))
}
