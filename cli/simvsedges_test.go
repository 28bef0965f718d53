package cli

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/claims"
	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/report"
	"github.com/idemsim/idemsim/sim/world"
)

// Goal: the simulated half of results/sim-vs-live-edges is what the
// simulator gives now, every cell the code would run is there and no
// other, and table.md is what the cells draw (the live half is `make
// sim-vs-live-edges`). Method: read the committed cells.csv, rebuild the
// experiment over its seeds, rerun every simulated cell and compare its
// row; then draw table.md from the committed cells.json and the cells
// skipped now.
func TestSimVsLiveEdgesAreFresh(t *testing.T) {
	if testing.Short() {
		t.Skip("reruns the simulated cells")
	}
	rerun := testcmd.Rerun(t, "./cli")
	dir := filepath.Join("..", "results", edgesName)
	f, err := os.Open(filepath.Join(dir, "cells.csv"))
	require.NoError(t, err, "%s; regenerate with: make sim-vs-live-edges", rerun)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err, rerun)
	require.Greater(t, len(rows), 1, rerun)
	seeds, err := strconv.ParseUint(rows[1][4], 10, 64)
	require.NoError(t, err, rerun)
	e, skips, err := edgesExperiment(seeds, simVsLiveMaxReal)
	require.NoError(t, err, rerun)
	require.Equal(t, e.CSVHeader(), rows[0], rerun)
	committed := map[string][]string{}
	for _, r := range rows[1:] {
		committed[r[1]+"/"+r[2]+"/"+r[3]] = r
	}
	assert.Len(t, committed, len(e.Cells), "cells.csv has cells the code no longer runs; make sim-vs-live-edges; %s", rerun)
	for i := range e.Cells {
		c := &e.Cells[i]
		got, ok := committed[c.Key(e).String()]
		if !assert.True(t, ok, "%s is missing; make sim-vs-live-edges; %s", c.Key(e), rerun) || e.Values[c.Value].Label == "live" {
			continue
		}
		acc := &experiments.Acc{}
		for seed := uint64(1); seed <= seeds; seed++ {
			res, err := world.Run(c.Config(seed))
			require.NoError(t, err, rerun)
			s := experiments.ReduceSeed(seed, res)
			acc.Add(&s)
		}
		assert.Equal(t, e.CSVRow(i, acc), got, "%s is stale; make sim-vs-live-edges; %s", c.Key(e), rerun)
	}
	x, err := report.ReadExperiment(filepath.Join(dir, "cells.json"))
	require.NoError(t, err, rerun)
	table, err := os.ReadFile(filepath.Join(dir, "table.md"))
	require.NoError(t, err, rerun)
	assert.Equal(t, edgesTable(x, skips), string(table), "table.md is stale; make sim-vs-live-edges; %s", rerun)
}

// Goal: the edges experiment runs the rates' strategies in the table's own
// worlds, and lists with a reason each case live mode cannot run. Method:
// build it over two seeds; each simulated cell's world for a seed must be
// the one edgeWorlds (the table's code) gives for that strategy, level
// and case (scaled by the row's factor when it has one); H (a 100 s
// pause) and J (a 30-hour timeout) run scaled for every strategy, with the
// reason; C (a partition) runs as it is; G is skipped as n/a exactly for
// the strategies that name no after-charge crash point.
func TestEdgesExperiment(t *testing.T) {
	rerun := testcmd.Rerun(t, "./cli")
	e, skips, err := edgesExperiment(2, simVsLiveMaxReal)
	require.NoError(t, err, rerun)
	reasons, scales := map[string]string{}, map[string]string{}
	for _, s := range skips {
		if s.scale != "" {
			scales[s.column+" "+s.strategy] = s.scale
			assert.NotEmpty(t, s.reason, "%s in %s: why scaled; %s", s.strategy, s.column, rerun)
			continue
		}
		reasons[s.column+" "+s.strategy] = s.reason
	}
	cases := claims.EdgeCases()
	for _, rs := range ratesStrategies {
		row := edgesRow(rs.name, rs.level)
		assert.NotContains(t, reasons, "C "+row, "C runs live; %s", rerun)
		for _, col := range []string{"H", "J"} {
			assert.NotEmpty(t, scales[col+" "+row], "%s in %s runs scaled; %s", row, col, rerun)
		}
		s, err := lookupStrategy(rs.name)
		require.NoError(t, err, rerun)
		charges := false
		for _, p := range s.CrashPoints {
			charges = charges || p == "after-charge"
		}
		if charges {
			assert.NotContains(t, reasons, "G "+row, "%s names after-charge; %s", row, rerun)
		} else {
			assert.Contains(t, reasons["G "+row], "n/a", "%s names no after-charge; %s", row, rerun)
		}
	}
	checked := 0
	for i := range e.Cells {
		c := &e.Cells[i]
		letter, ok := strings.CutPrefix(c.Variant, "case ")
		require.True(t, ok, "cell %s; %s", c.Key(e), rerun)
		k := int(letter[0] - 'A')
		require.Less(t, k, len(cases), rerun)
		assert.NotContains(t, reasons, letter+" "+edgesRow(c.Strategy.Name, c.Level.Slug()), "%s is run and skipped; %s", c.Key(e), rerun)
		if e.Values[c.Value].Label != "simulated" {
			continue
		}
		want, _, err := edgeWorlds(c.Strategy.Name, []string{"--isolation", c.Level.Slug()}, cases[k], 2, 1)
		require.NoError(t, err, rerun)
		for seed := uint64(1); seed <= 2; seed++ {
			got := c.Config(seed)
			if scale, ok := scales[letter+" "+edgesRow(c.Strategy.Name, c.Level.Slug())]; ok {
				f, err := world.ParseTimeScale(scale)
				require.NoError(t, err, rerun)
				want[seed-1], err = want[seed-1].Scaled(f)
				require.NoError(t, err, rerun)
			}
			assert.Equal(t, want[seed-1].Faults, got.Faults, "%s seed %d; %s", c.Key(e), seed, rerun)
			assert.Equal(t, want[seed-1].Seed, got.Seed, "%s seed %d; %s", c.Key(e), seed, rerun)
			checked++
		}
	}
	assert.Greater(t, checked, 0, rerun)
}

// Goal: table.md says per case which rows agree (every kind's 95%
// intervals overlap) and which do not, and why a case did not run.
// Method: a hand-made experiment of two cases: in A naive duplicates
// in every seed both ways and unique-409 in none simulated but in every
// seed live; C has no cells and one reason.
func TestEdgesTable(t *testing.T) {
	rerun := testcmd.Rerun(t, "./cli")
	cell := func(strategy, value string, dups int64) report.Cell {
		lo, hi := experiments.Wilson(dups, 10)
		return report.Cell{Strategy: strategy, Isolation: "read-committed", Value: value, Seeds: 10, Ops: 10,
			Duplicate: experiments.Interval{Count: dups, Rate: experiments.Num(float64(dups) / 10), Low: experiments.Num(lo), High: experiments.Num(hi)},
			Lost:      experiments.Interval{High: experiments.Num(0.277533)}, Stuck: experiments.Interval{High: 0.277533},
			WrongAnswer: experiments.Interval{High: 0.277533}, NonLinearizable: experiments.Interval{High: 0.277533},
			Unconfirmed: experiments.Interval{High: 0.277533}, OrphanCharge: experiments.Interval{High: 0.277533}}
	}
	x := &report.Experiment{Name: edgesName, SeedsPerCell: 10, Cells: []report.Cell{
		cell("naive case A", "simulated", 10), cell("naive case A", "live", 10),
		cell("unique-409 case A", "simulated", 0), cell("unique-409 case A", "live", 10),
	}}
	skips := []edgeSkip{{"C", "naive at read-committed", "--partition is not supported", ""}, {"C", "unique-409 at read-committed", "--partition is not supported", ""},
		{"A", "naive at read-committed", "it takes an hour", "1/100"}}
	md := edgesTable(x, skips)
	for _, want := range []string{
		"Of 2 rows run both ways, 1 agree, and 1 show the very same counts",
		"| `naive at read-committed` | duplicate 10/10 (0.722467–1) | duplicate 10/10 (0.722467–1) | yes |",
		"| `unique-409 at read-committed` | duplicate 0/10 (0–0.277533) | duplicate 10/10 (0.722467–1) | **no** (duplicate) |",
		"## C, retry after failure",
		"Not run live: --partition is not supported.",
		"Too long to wait out live as it is: it takes an hour. So these rows ran with their long durations scaled (`idemsim run --time-scale`), simulated and live alike: `naive at read-committed` at 1/100.",
	} {
		assert.Contains(t, md, want, rerun)
	}
}

// Goal: sim-vs-live refuses a bad --edges-seeds and --edges with the
// switches it cannot go with (--table-only redraws its table), in one line, before starting anything.
// Method: the usage table's check.
func TestSimVsLiveEdgesInvalidInput(t *testing.T) {
	checkUsageCases(t, []usageCase{
		{name: "edges-seeds-zero", args: []string{"sim-vs-live", "--edges", "--edges-seeds", "0"}, code: 2, names: `--edges-seeds "0"`, accepted: "want a whole number in [1, 1000]"},
		{name: "edges-seeds-missing", args: []string{"sim-vs-live", "--edges-seeds"}, code: 2, names: "--edges-seeds needs a value", accepted: "needs a value"},
		{name: "edges-with-scenario", args: []string{"sim-vs-live", "--edges", "--scenario", "unique-409-response-lost"}, code: 2, names: "--edges", accepted: "cannot go with --scenario, --rates-only or --statements"},
	})
}
