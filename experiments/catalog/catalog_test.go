package catalog_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/experiments/catalog"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim/api"
)

// opsOf is the business operations a cell's world for seed runs.
func opsOf(c experiments.Cell, seed uint64) int {
	cfg := c.Config(seed)
	return cfg.Clients / cfg.WorkersPerOp * cfg.OpsPerClient
}

// Goal: every experiment is well formed — its worlds validate, its cells
// are in results order, its names and labels are what the results format
// expects — and its default seeds give every cell at least 4,000
// operations, so that a strategy that never fails is bounded under 0.1%.
// Method: check each experiment's definition; count operations from the
// cells' configurations (no run).
func TestExperimentsAreWellFormed(t *testing.T) {
	snake := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	require.NotEmpty(t, catalog.All())
	for _, e := range catalog.All() {
		t.Run(e.Name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./experiments/catalog")
			require.NoError(t, e.Validate(), rerun)
			names := models.Names()
			// A strategy's variants (switches set) follow it in the order
			// the experiment declares them.
			variant := map[string]int{}
			for _, c := range e.Cells {
				if _, ok := variant[c.Name()]; !ok {
					variant[c.Name()] = len(variant)
				}
			}
			order := func(c experiments.Cell) []int {
				return []int{slices.Index(names, c.Strategy.Name), variant[c.Name()], slices.Index(api.AllLevels(), c.Level), c.Value}
			}
			for i := 1; i < len(e.Cells); i++ {
				assert.Negative(t, slices.Compare(order(e.Cells[i-1]), order(e.Cells[i])), "cells in results order, each once: %s; %s", e.Cells[i].Key(e), rerun)
			}
			assert.Regexp(t, snake, e.Param, rerun)
			assert.NotEmpty(t, e.Description, rerun)
			assert.NotEmpty(t, e.ParamLabel, rerun)
			for i, v := range e.Values {
				assert.NotContains(t, v.Label, ",", "a value is one CSV field; %s", rerun)
				if e.Numeric {
					x, err := strconv.ParseFloat(v.Label, 64)
					require.NoError(t, err, rerun)
					assert.Equal(t, x, v.X, rerun)
				} else {
					assert.Equal(t, float64(i), v.X, rerun)
				}
			}
			for _, c := range e.Cells {
				ops := 0
				for seed := uint64(1); seed <= e.Seeds; seed++ {
					ops += opsOf(c, seed)
				}
				assert.GreaterOrEqual(t, ops, 4000, "cell %s; %s", c.Key(e), rerun)
			}
			if e.Name == "swarm" || e.Name == "isolation" {
				strategies := map[string]bool{}
				for _, c := range e.Cells {
					strategies[c.Strategy.Name] = true
				}
				assert.GreaterOrEqual(t, len(strategies), 17, "every strategy that applies; %s", rerun)
			}
		})
	}
}

// Goal: one cell of each experiment runs and is counted whole: its seeds,
// its operations, and both oracles' figures. Method: the first cell of
// each, one seed.
func TestEachExperimentRunsACell(t *testing.T) {
	for _, e := range catalog.All() {
		t.Run(e.Name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./experiments/catalog")
			accs, err := experiments.Run(context.Background(), e, experiments.Options{Seeds: 1, Workers: 2, Only: []int{0}})
			require.NoError(t, err, rerun)
			require.NotNil(t, accs[0], rerun)
			a := accs[0]
			assert.Equal(t, int64(1), a.Seeds, rerun)
			assert.Equal(t, int64(opsOf(e.Cells[0], 1)), a.Ops, rerun)
			assert.GreaterOrEqual(t, a.Attempts, a.Ops, rerun)
			var concluded int64
			h := a.Hist()
			for _, n := range h {
				concluded += n
			}
			assert.Positive(t, concluded, "latencies counted; %s", rerun)
			row := e.CSVRow(0, a)
			assert.Len(t, row, len(e.CSVHeader()), rerun)
			for _, b := range accs[1:] {
				assert.Nil(t, b, "only the cell asked for runs; %s", rerun)
			}
		})
	}
}

// results runs a whole experiment with opts and returns its CSV and JSON.
func results(t *testing.T, e *experiments.Experiment, opts experiments.Options) (string, string) {
	t.Helper()
	accs, err := experiments.Run(context.Background(), e, opts)
	require.NoError(t, err, testcmd.Rerun(t, "./experiments/catalog"))
	c, err := e.EncodeCSV(accs)
	require.NoError(t, err)
	j, err := e.EncodeJSON(opts.Seeds, accs)
	require.NoError(t, err)
	return string(c), string(j)
}

// Goal: a run's results do not depend on how it was run: on one or two
// workers, in shards merged afterwards (one shard with no seed at all),
// or interrupted and resumed from its state file. Method: store-loss
// (20 cells) over 3 seeds each way; the files must be byte for byte the
// same.
func TestResultsDoNotDependOnHowTheyRan(t *testing.T) {
	rerun := testcmd.Rerun(t, "./experiments/catalog")
	e, err := catalog.Lookup("store-loss")
	require.NoError(t, err, rerun)
	const seeds = 3
	wantCSV, wantJSON := results(t, e, experiments.Options{Seeds: seeds, Workers: 1})
	assert.Equal(t, len(e.Cells)+1, strings.Count(wantCSV, "\n"), rerun)

	t.Run("two-workers", func(t *testing.T) {
		c, j := results(t, e, experiments.Options{Seeds: seeds, Workers: 2})
		assert.Equal(t, wantCSV, c, rerun)
		assert.Equal(t, wantJSON, j, rerun)
	})

	t.Run("shards", func(t *testing.T) {
		var states []*experiments.State
		for i := uint64(0); i < 4; i++ { // shard 3/4 runs no seed
			shard := experiments.Shard{I: i, N: 4}
			accs, err := experiments.Run(context.Background(), e, experiments.Options{Seeds: seeds, Workers: 2, Shard: shard})
			require.NoError(t, err, rerun)
			data, err := e.NewState(seeds, shard, accs, false).Encode()
			require.NoError(t, err, rerun)
			st, err := experiments.DecodeState(data)
			require.NoError(t, err, rerun)
			require.NoError(t, e.CheckState(st), rerun)
			states = append(states, st)
		}
		states[0], states[2] = states[2], states[0] // any order
		n, accs, err := e.Merge(states)
		require.NoError(t, err, rerun)
		c, err := e.EncodeCSV(accs)
		require.NoError(t, err, rerun)
		j, err := e.EncodeJSON(n, accs)
		require.NoError(t, err, rerun)
		assert.Equal(t, wantCSV, string(c), rerun)
		assert.Equal(t, wantJSON, string(j), rerun)

		for _, bad := range []struct {
			name   string
			states []*experiments.State
			want   string
		}{
			{"missing", states[:3], "missing shard"},
			{"twice", append(states[:3:3], states[0]), "given twice"},
			{"none", nil, "no shard file"},
		} {
			_, _, err := e.Merge(bad.states)
			assert.ErrorContains(t, err, bad.want, "%s; %s", bad.name, rerun)
		}
	})

	t.Run("resume", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := 0
		accs, err := experiments.Run(ctx, e, experiments.Options{Seeds: seeds, Workers: 2, OnCell: func(int, *experiments.Acc) {
			if done++; done == 7 {
				cancel()
			}
		}})
		require.ErrorIs(t, err, context.Canceled, rerun)
		kept := 0
		for _, a := range accs {
			if a != nil {
				kept++
				assert.Equal(t, int64(seeds), a.Seeds, "only whole cells are kept; %s", rerun)
			}
		}
		assert.GreaterOrEqual(t, kept, 7, "the cells finished, and any the seeds already running finished; %s", rerun)
		assert.Less(t, kept, len(e.Cells), rerun)
		data, err := e.NewState(seeds, experiments.Shard{}, accs, true).Encode()
		require.NoError(t, err, rerun)
		st, err := experiments.DecodeState(data)
		require.NoError(t, err, rerun)
		require.NoError(t, e.CheckState(st), rerun)
		ran := 0
		c, j := results(t, e, experiments.Options{Seeds: seeds, Workers: 2, Done: st.Done(), OnCell: func(int, *experiments.Acc) { ran++ }})
		assert.Equal(t, len(e.Cells)-kept, ran, "the resumed run runs only the cells left; %s", rerun)
		assert.Equal(t, wantCSV, c, rerun)
		assert.Equal(t, wantJSON, j, rerun)
	})
}

// Goal: a state file that does not fit its experiment, or holds sums no
// run can make, is refused with the reason and the cell. Method:
// hand-made files, checked against the swarm.
func TestCheckStateRefuses(t *testing.T) {
	rerun := testcmd.Rerun(t, "./experiments/catalog")
	// cell is a partial state of the swarm holding one cell of one seed
	// with the given fields.
	cell := func(fields string) string {
		return `{"experiment":"swarm","seeds_per_cell":1,"shard":"0/1","partial":true,"cells":[{"strategy":"naive","isolation":"read-committed","value":"chaos","seeds":1,` + fields + `}]}`
	}
	swarm, err := catalog.Lookup("swarm")
	require.NoError(t, err, rerun)
	for _, c := range []struct{ name, file, want string }{
		{"not-json", "x", "not a shard or state file"},
		{"unknown-field", `{"experiment":"swarm","seeds_per_cell":1,"shard":"0/1","colour":1,"cells":[]}`, "unknown field"},
		{"other-experiment", `{"experiment":"gateway","seeds_per_cell":1,"shard":"0/1","cells":[]}`, `a state of experiment "gateway", not swarm`},
		{"bad-shard", `{"experiment":"swarm","seeds_per_cell":1,"shard":"2/2","cells":[]}`, "not a shard I/N"},
		{"unknown-cell", `{"experiment":"swarm","seeds_per_cell":1,"shard":"0/1","partial":true,"cells":[{"strategy":"nope","isolation":"read-committed","value":"chaos","seeds":1}]}`, "has no cell nope/read-committed/chaos"},
		{"wrong-seeds", `{"experiment":"swarm","seeds_per_cell":4,"shard":"0/2","partial":true,"cells":[{"strategy":"naive","isolation":"read-committed","value":"chaos","seeds":1}]}`, "holds 1 seeds"},
		{"bad-bucket", `{"experiment":"swarm","seeds_per_cell":1,"shard":"0/1","partial":true,"cells":[{"strategy":"naive","isolation":"read-committed","value":"chaos","seeds":1,"latency":{"81":1}}]}`, "latency bucket 81 out of range"},
		{"shard-without-every-cell", `{"experiment":"swarm","seeds_per_cell":1,"shard":"0/1","cells":[]}`, "must hold every cell"},
		{"too-many-shards", `{"experiment":"swarm","seeds_per_cell":1,"shard":"0/1000000000","cells":[]}`, "not a shard I/N with 0 <= I < N <= 10000"},
		{"negative-count", cell(`"ops":10,"counts":[-1,0,0,0,0,0]`), "cell naive/read-committed/chaos: counts[0] (duplicate) is -1: want a count >= 0"},
		{"count-above-ops", cell(`"ops":10,"counts":[0,11,0,0,0,0]`), "cell naive/read-committed/chaos: counts[1] (lost) is 11, more than its 10 ops"},
		{"nonlinearizable-above-ops", cell(`"ops":10,"nonlinearizable":12`), "nonlinearizable is 12, more than its 10 ops"},
		{"negative-ops", cell(`"ops":-5`), "ops is -5: want a count >= 0"},
		{"negative-money", cell(`"money_orphaned":-100`), "money_orphaned is -100"},
		{"negative-bucket", cell(`"latency":{"3":-2}`), "latency bucket 3 holds -2"},
		{"first-seed-not-run", cell(`"first_failing_seed":2,"first_failing_kind":"lost"`), "first_failing_seed 2 is not a seed shard 0/1 of 1 seeds per cell runs"},
		{"kind-without-seed", cell(`"first_failing_kind":"lost"`), `first_failing_kind "lost" without a first_failing_seed`},
		{"kind-unknown", cell(`"first_failing_seed":1,"first_failing_kind":"stuck"`), `first_failing_kind "stuck" is not a kind that fails a seed (accepted: duplicate, lost, orphan-charge, nonlinearizable)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, err := experiments.DecodeState([]byte(c.file))
			if err == nil {
				err = swarm.CheckState(st)
			}
			assert.ErrorContains(t, err, c.want, rerun)
		})
	}
}

// Goal: make experiments runs every experiment, in the order of All.
// Method: read the Makefile's EXPERIMENTS list.
func TestMakefileListsEveryExperiment(t *testing.T) {
	rerun := testcmd.Rerun(t, "./experiments/catalog")
	data, err := os.ReadFile(filepath.Join("..", "..", "Makefile"))
	require.NoError(t, err, rerun)
	text := strings.ReplaceAll(string(data), "\\\n", " ")
	var list []string
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(line, "EXPERIMENTS :="); ok {
			list = strings.Fields(rest)
		}
	}
	assert.Equal(t, catalog.Names(), list, rerun)
}

// Goal: merge refuses what it cannot add up — shards whose sums overflow
// when added, shards of a count past the limit — and names the missing
// shards as runs of consecutive indices, a few of them, however many are
// missing. Method: shard states of the swarm built in memory (every cell
// with the same sums), merged in sets with gaps.
func TestMergeRefuses(t *testing.T) {
	rerun := testcmd.Rerun(t, "./experiments/catalog")
	e, err := catalog.Lookup("swarm")
	require.NoError(t, err, rerun)
	state := func(i, n uint64, ops int64) *experiments.State {
		shard := experiments.Shard{I: i, N: n}
		accs := make([]*experiments.Acc, len(e.Cells))
		for j := range accs {
			accs[j] = &experiments.Acc{Seeds: int64(shard.Count(n)), Ops: ops}
		}
		return e.NewState(n, shard, accs, false)
	}
	shards := func(n uint64, have ...uint64) []*experiments.State {
		var out []*experiments.State
		for _, i := range have {
			out = append(out, state(i, n, 1))
		}
		return out
	}
	every := func(n, step uint64) []uint64 {
		var out []uint64
		for i := uint64(0); i < n; i += step {
			out = append(out, i)
		}
		return out
	}
	for _, c := range []struct {
		name   string
		states []*experiments.State
		want   string
	}{
		{"overflow", []*experiments.State{state(0, 2, math.MaxInt64-1), state(1, 2, 2)},
			"cell naive/read-committed/chaos: ops overflows when added up (past 9223372036854775807)"},
		{"one-missing", shards(2, 1), "missing shard 0/2"},
		{"runs", shards(10, 0, 5), "missing 8 of 10 shards: 1..4, 6..9"},
		{"the-last", shards(10000, 0), "missing 9999 of 10000 shards: 1..9999"},
		{"many-runs", shards(1000, every(1000, 2)...),
			"missing 500 of 1000 shards: 1, 3, 5, 7, 9, 11, 13, 15 and 492 more"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := e.Merge(c.states)
			require.Error(t, err, rerun)
			assert.Equal(t, c.want, err.Error(), rerun)
		})
	}
}
