package cli

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/idemsim/idemsim/internal/testcmd"
)

// Goal: the sim-vs-live table shows the runs anchored at the simulator's
// step only when runs.json has them: a column with each row's agreement
// ("-" for a scenario without a timed fault), a paragraph counting the
// scenarios that agree, and a sentence at the end of a disagreeing
// scenario's note; without them the table is as before. Method:
// simVsLiveTable on a runs.json with one anchored and one plain row, and
// on the same with the anchored results removed.
func TestSimVsLiveTableAnchored(t *testing.T) {
	rerun := testcmd.Rerun(t, "./cli")
	crashed := svlScenario{Name: "early-409-first-crashes", Claim: 4, Sim: "lost", Live: map[string]int{"holds": 3},
		Scheduled: 3, Fired: 3, Seconds: 1,
		Anchored: map[string]int{"lost": 2, "holds": 1}, AnchoredAs: []string{"crash s1+3s after c1/o1.1/a1/db1"},
		AnchoredScheduled: 3, AnchoredFired: 2}
	plain := svlScenario{Name: "unique-409-response-lost", Claim: 1, Sim: "holds", Live: map[string]int{"holds": 3}, Seconds: 1}
	for _, tc := range []struct {
		name     string
		anchored bool
		want     []string
		absent   []string
	}{
		{"with anchored runs", true, []string{
			"| mean live run | anchored to the simulator's step |\n|---|---:|---|---:|---|---:|---:|---|\n",
			"| early-409-first-crashes | 4 | lost | 0/3 | holds 3 | 3/3 | 1.0s | 2/3 (holds 1), fired 2/3 |\n",
			"| unique-409-response-lost | 1 | holds | 3/3 |  | - | 1.0s | - |\n",
			"gave the simulator's verdict in every run for 0 of 1 such scenarios",
			"Anchored at the simulator's step (crash s1+3s after c1/o1.1/a1/db1), live gave its verdict in 2 of 3 runs.\n",
		}, nil},
		{"without", false, []string{
			"| mean live run |\n|---|---:|---|---:|---|---:|---:|\n",
			"| early-409-first-crashes | 4 | lost | 0/3 | holds 3 | 3/3 | 1.0s |\n",
		}, []string{"anchored", "Anchored"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			row := crashed
			if !tc.anchored {
				row.Anchored, row.AnchoredAs, row.AnchoredScheduled, row.AnchoredFired = nil, nil, 0, 0
			}
			table := simVsLiveTable(simVsLive{Runs: 3, Scenarios: []svlScenario{row, plain}})
			for _, w := range tc.want {
				assert.Contains(t, table, w, rerun)
			}
			for _, a := range tc.absent {
				assert.False(t, strings.Contains(table, a), "the table says %q without anchored runs; %s", a, rerun)
			}
		})
	}
}
