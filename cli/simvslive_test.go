package cli

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/claims"
	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim/world"
)

// Goal: results/sim-vs-live is what the code and the claims say now, and
// every disagreement is explained. Method: read the committed runs.json;
// its table.md must be what simVsLiveTable draws from it; it must list
// every claim scenario of kind run with the same flags, and the
// simulator's verdict on each must still be the one recorded (the
// simulator is deterministic, so this runs each scenario once); every
// scenario whose live runs fall short has a note, and every note is of
// such a scenario. The live runs themselves are `make sim-vs-live`.
func TestSimVsLiveIsFresh(t *testing.T) {
	rerun := testcmd.Rerun(t, "./cli")
	dir := filepath.Join("..", "results", "sim-vs-live")
	data, err := readSimVsLive(filepath.Join(dir, "runs.json"))
	require.NoError(t, err, "%s; regenerate with: make sim-vs-live", rerun)
	table, err := os.ReadFile(filepath.Join(dir, "table.md"))
	require.NoError(t, err, rerun)
	assert.Equal(t, simVsLiveTable(data), string(table), "table.md is stale: idemsim sim-vs-live --table-only; %s", rerun)
	all, err := claims.All()
	require.NoError(t, err, rerun)
	var names []string
	for _, c := range all {
		for _, sc := range c.Scenarios {
			if sc.Script == "" {
				names = append(names, sc.Name)
			}
		}
	}
	var recorded []string
	for _, s := range data.Scenarios {
		recorded = append(recorded, s.Name)
		sc, err := claims.Lookup(s.Name)
		if !assert.NoError(t, err, "runs.json names a scenario that is gone; make sim-vs-live; %s", rerun) {
			continue
		}
		assert.Equal(t, sc.Args, s.Args, "%s: its flags changed since the live runs; make sim-vs-live; %s", s.Name, rerun)
		if testing.Short() {
			continue
		}
		cfg, verdict, _, err := simVsLiveSim(sc)
		require.NoError(t, err, "%s; %s", s.Name, rerun)
		assert.Equal(t, s.Sim, verdict, "%s: the simulator's verdict changed since the live runs; make sim-vs-live; %s", s.Name, rerun)
		if s.Scale != "" {
			assertScaledVerdict(t, s, cfg, rerun)
		}
	}
	assert.ElementsMatch(t, names, recorded, "runs.json must cover every run scenario; make sim-vs-live; %s", rerun)
	for _, s := range data.Scenarios {
		if s.disagrees() {
			assert.NotEmpty(t, simVsLiveNotes[s.Name], "%s disagrees (sim %s, live %v) and has no note in simVsLiveNotes; %s", s.Name, s.Sim, s.Live, rerun)
		}
	}
	for name := range simVsLiveNotes {
		i := slices.IndexFunc(data.Scenarios, func(s svlScenario) bool { return s.Name == name })
		assert.True(t, i >= 0 && data.Scenarios[i].disagrees(), "the note on %s explains a disagreement the results no longer show; %s", name, rerun)
	}
}

// Goal: the simulated half of results/sim-vs-live-rates is what the
// simulator gives now (the live half is `make sim-vs-live`). Method: read
// the committed cells.csv, rerun every simulated cell over the same
// seeds, and compare its row; every live cell must be there too, over
// the same seeds.
func TestSimVsLiveRatesAreFresh(t *testing.T) {
	if testing.Short() {
		t.Skip("reruns the simulated cells")
	}
	rerun := testcmd.Rerun(t, "./cli")
	f, err := os.Open(filepath.Join("..", "results", "sim-vs-live-rates", "cells.csv"))
	require.NoError(t, err, "%s; regenerate with: make sim-vs-live", rerun)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err, rerun)
	require.Greater(t, len(rows), 1, rerun)
	seeds, err := strconv.ParseUint(rows[1][4], 10, 64)
	require.NoError(t, err, rerun)
	e, err := ratesExperiment(seeds)
	require.NoError(t, err, rerun)
	require.Equal(t, e.CSVHeader(), rows[0], rerun)
	committed := map[string][]string{}
	for _, r := range rows[1:] {
		committed[r[1]+"/"+r[2]+"/"+r[3]] = r
	}
	for i := range e.Cells {
		c := &e.Cells[i]
		got, ok := committed[c.Key(e).String()]
		if !assert.True(t, ok, "%s is missing; make sim-vs-live; %s", c.Key(e), rerun) || e.Values[c.Value].Label == "live" {
			continue
		}
		acc := &experiments.Acc{}
		for seed := uint64(1); seed <= seeds; seed++ {
			res, err := world.Run(c.Config(seed))
			require.NoError(t, err, rerun)
			s := experiments.ReduceSeed(seed, res)
			acc.Add(&s)
		}
		assert.Equal(t, e.CSVRow(i, acc), got, "%s is stale; make sim-vs-live; %s", c.Key(e), rerun)
	}
}
