package experiments_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/internal/testcmd"
)

// Goal: the Wilson interval gives the published figures, including the
// edges (no event, every trial an event, no trial). Method: a table of
// counts with intervals worked out by hand from the score formula (and
// found in the usual tables for 10/100 and 50/100).
func TestWilson(t *testing.T) {
	rerun := testcmd.Rerun(t, "./experiments")
	for _, c := range []struct {
		name      string
		k, n      int64
		low, high float64
	}{
		{"none-of-4000", 0, 4000, 0, 3.8415 / (4000 + 3.8415)}, // z²/(n+z²): 0.0959%
		{"10-of-100", 10, 100, 0.0552, 0.1744},
		{"50-of-100", 50, 100, 0.4038, 0.5962},
		{"1-of-10", 1, 10, 0.0179, 0.4042},
		{"5-of-5", 5, 5, 5 / (5 + 3.8415), 1}, // n/(n+z²)
		{"no-trial", 0, 0, 0, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			low, high := experiments.Wilson(c.k, c.n)
			assert.InDelta(t, c.low, low, 1e-4, "low; %s", rerun)
			assert.InDelta(t, c.high, high, 1e-4, "high; %s", rerun)
			assert.LessOrEqual(t, low, high, rerun)
		})
	}
	_, high := experiments.Wilson(0, 4000)
	assert.Less(t, high, 0.001, "4,000 operations without an event bound the rate under 0.1%%; %s", rerun)
}

// Goal: the latency buckets are the fixed R10 series from 10µs to 800s
// and a last unbounded one, and a quantile is the bound of the bucket
// holding it by nearest rank. Method: the bounds' ends and order, and the
// quantiles of a hand-made cell.
func TestLatencyBuckets(t *testing.T) {
	rerun := testcmd.Rerun(t, "./experiments")
	assert.Equal(t, 0.01, experiments.BucketBound(0), rerun)
	assert.Equal(t, 1.0, experiments.BucketBound(20), rerun)
	assert.Equal(t, 800000.0, experiments.BucketBound(experiments.NumBuckets-2), rerun)
	assert.Equal(t, experiments.InfBound, experiments.BucketBound(experiments.NumBuckets-1), rerun)
	for i := 1; i < experiments.NumBuckets; i++ {
		assert.Less(t, experiments.BucketBound(i-1), experiments.BucketBound(i), "bucket %d; %s", i, rerun)
	}
	var h experiments.Hist
	h[20], h[30], h[40] = 98, 1, 1 // 1ms, 10ms, 100ms
	assert.Equal(t, 1.0, h.Quantile(0.5), rerun)
	assert.Equal(t, 1.0, h.Quantile(0.98), rerun)
	assert.Equal(t, 10.0, h.Quantile(0.99), rerun)
	assert.Equal(t, 100.0, h.Quantile(1), rerun)
	assert.Equal(t, 0.0, (&experiments.Hist{}).Quantile(0.5), rerun)
}

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
	require.NotEmpty(t, experiments.All())
	for _, e := range experiments.All() {
		t.Run(e.Name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./experiments")
			require.NoError(t, e.Validate(), rerun)
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
			for _, c := range e.Cells() {
				ops := 0
				for seed := uint64(1); seed <= e.Seeds; seed++ {
					ops += opsOf(c, seed)
				}
				assert.GreaterOrEqual(t, ops, 4000, "cell %s; %s", c.Key(e), rerun)
			}
			if e.Name == "swarm" || e.Name == "isolation" {
				strategies := map[string]bool{}
				for _, c := range e.Cells() {
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
	for _, e := range experiments.All() {
		t.Run(e.Name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./experiments")
			accs, err := experiments.Run(context.Background(), e, experiments.Options{Seeds: 1, Workers: 2, Only: []int{0}})
			require.NoError(t, err, rerun)
			require.NotNil(t, accs[0], rerun)
			a := accs[0]
			assert.Equal(t, int64(1), a.Seeds, rerun)
			assert.Equal(t, int64(opsOf(e.Cells()[0], 1)), a.Ops, rerun)
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
	require.NoError(t, err, testcmd.Rerun(t, "./experiments"))
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
	rerun := testcmd.Rerun(t, "./experiments")
	e, err := experiments.Lookup("store-loss")
	require.NoError(t, err, rerun)
	const seeds = 3
	wantCSV, wantJSON := results(t, e, experiments.Options{Seeds: seeds, Workers: 1})
	assert.Equal(t, len(e.Cells())+1, strings.Count(wantCSV, "\n"), rerun)

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
			st, _, err := experiments.DecodeState(data)
			require.NoError(t, err, rerun)
			states = append(states, st)
		}
		states[0], states[2] = states[2], states[0] // any order
		merged, n, accs, err := experiments.Merge(states)
		require.NoError(t, err, rerun)
		assert.Equal(t, e.Name, merged.Name, rerun)
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
			_, _, _, err := experiments.Merge(bad.states)
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
		assert.Less(t, kept, len(e.Cells()), rerun)
		data, err := e.NewState(seeds, experiments.Shard{}, accs, true).Encode()
		require.NoError(t, err, rerun)
		st, _, err := experiments.DecodeState(data)
		require.NoError(t, err, rerun)
		ran := 0
		c, j := results(t, e, experiments.Options{Seeds: seeds, Workers: 2, Done: st.Done(), OnCell: func(int, *experiments.Acc) { ran++ }})
		assert.Equal(t, len(e.Cells())-kept, ran, "the resumed run runs only the cells left; %s", rerun)
		assert.Equal(t, wantCSV, c, rerun)
		assert.Equal(t, wantJSON, j, rerun)
	})
}

// Goal: a state file that does not fit its experiment is refused with the
// reason. Method: hand-made files.
func TestDecodeStateRefuses(t *testing.T) {
	rerun := testcmd.Rerun(t, "./experiments")
	for _, c := range []struct{ name, file, want string }{
		{"not-json", "x", "not a shard or state file"},
		{"unknown-experiment", `{"experiment":"nope","seeds_per_cell":1,"shard":"0/1","cells":[]}`, `unknown experiment "nope"`},
		{"bad-shard", `{"experiment":"swarm","seeds_per_cell":1,"shard":"2/2","cells":[]}`, "not a shard I/N"},
		{"unknown-cell", `{"experiment":"swarm","seeds_per_cell":1,"shard":"0/1","partial":true,"cells":[{"strategy":"nope","isolation":"read-committed","value":"chaos","seeds":1}]}`, "has no cell nope/read-committed/chaos"},
		{"wrong-seeds", `{"experiment":"swarm","seeds_per_cell":4,"shard":"0/2","partial":true,"cells":[{"strategy":"naive","isolation":"read-committed","value":"chaos","seeds":1}]}`, "holds 1 seeds"},
		{"shard-without-every-cell", `{"experiment":"swarm","seeds_per_cell":1,"shard":"0/1","cells":[]}`, "must hold every cell"},
		{"unknown-field", `{"experiment":"swarm","seeds_per_cell":1,"shard":"0/1","colour":1,"cells":[]}`, "unknown field"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := experiments.DecodeState([]byte(c.file))
			assert.ErrorContains(t, err, c.want, rerun)
		})
	}
}

// Goal: make experiments runs every experiment, in the order of All.
// Method: read the Makefile's EXPERIMENTS list.
func TestMakefileListsEveryExperiment(t *testing.T) {
	rerun := testcmd.Rerun(t, "./experiments")
	data, err := os.ReadFile(filepath.Join("..", "Makefile"))
	require.NoError(t, err, rerun)
	text := strings.ReplaceAll(string(data), "\\\n", " ")
	var list []string
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(line, "EXPERIMENTS :="); ok {
			list = strings.Fields(rest)
		}
	}
	assert.Equal(t, experiments.Names(), list, rerun)
}
