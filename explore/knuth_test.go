package explore

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim/db/sql"
)

// TestKnuthExactOnAFixedShape checks the estimator where it has no
// variance: in a tree whose every node at depth i has the same number of
// children, each probe's product is the number of leaves. Method: trees
// of fixed branching per depth, a few uniform probes, equality up to
// rounding; the
// counted leaves are those whose path took alternative 0 at depth 0.
func TestKnuthExactOnAFixedShape(t *testing.T) {
	for _, tc := range []struct {
		name   string
		shape  []int
		leaves float64
	}{
		{"leaf", nil, 1},
		{"binary-3", []int{2, 2, 2}, 8},
		{"mixed", []int{4, 1, 3, 2}, 24},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			leaves, counted, err := knuth(16, rng, func(pick func(int, float64) int) (bool, error) {
				first := 0
				for i, b := range tc.shape {
					if a := pick(b, 1/float64(b)); i == 0 {
						first = a
					}
				}
				return first == 0, nil
			})
			require.NoError(t, err, testcmd.Rerun(t, "./explore"))
			assert.InDelta(t, tc.leaves, leaves, 1e-9, "exact but for rounding; %s", testcmd.Rerun(t, "./explore"))
			if len(tc.shape) > 0 {
				// Counted leaves: a 1/shape[0] share, each weighing
				// the whole tree, so the mean is near, not at, it.
				assert.InDelta(t, tc.leaves/float64(tc.shape[0]), counted, tc.leaves, testcmd.Rerun(t, "./explore"))
			}
		})
	}
}

// TestKnuthUnbiasedOnASkewedTree checks the estimator where the shape
// varies: a comb (at each depth one child is a leaf, the other goes on)
// of depth 10 has 11 leaves, while a probe's product is 2^k for the k
// steps it took; the mean over many probes is near 11. Method: 20,000
// probes from a seeded generator, within 10%.
func TestKnuthUnbiasedOnASkewedTree(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	leaves, _, err := knuth(20_000, rng, func(pick func(int, float64) int) (bool, error) {
		for range 10 {
			if pick(2, 0.5) == 0 {
				return false, nil
			}
		}
		return false, nil
	})
	require.NoError(t, err, testcmd.Rerun(t, "./explore"))
	assert.InEpsilon(t, 11, leaves, 0.1, testcmd.Rerun(t, "./explore"))
}

// TestKnuthOnExhaustedSearches checks the estimate against the truth on
// real trees: small searches exhausted with their runs and schedules
// counted; the estimate from the default number of probes per budget
// must lie within 50% of each (it comes within 20% on these). It is seeded, so the same on every run. Method: a
// table of small searches.
func TestKnuthOnExhaustedSearches(t *testing.T) {
	for _, tc := range []struct {
		name, strategy, menu string
		workers              int
		bounds               Bounds
	}{
		{"select-for-update/k1d1", "select-for-update", "drop-request,drop-response,duplicate,reset,db-drop", 1, Bounds{Faults: 1, Delays: 1}},
		{"txn-check-insert/d1", "txn-check-insert", "none", 2, Bounds{Delays: 1}},
		{"unique-409/k2", "unique-409", "drop-request,drop-response,reset", 1, Bounds{Faults: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := small(t, tc.strategy, sql.ReadCommitted, tc.workers)
			m := menu(t, tc.menu)
			r, err := Search(cfg, Options{Menu: m, Bounds: tc.bounds})
			require.NoError(t, err, testcmd.Rerun(t, "./explore"))
			require.False(t, r.Cut, testcmd.Rerun(t, "./explore"))
			require.Nil(t, r.Found, testcmd.Rerun(t, "./explore"))
			prepared := m.Prepare(cfg)
			s := &searcher{cfg: prepared, menu: &m, tq: timeouts(&prepared)}
			e, err := s.estimate(tc.bounds, defaultProbes)
			require.NoError(t, err, testcmd.Rerun(t, "./explore"))
			t.Logf("runs %d, estimated %.0f; schedules %d, estimated %.0f", r.Runs, e.Runs, r.Schedules, e.Schedules)
			assert.InEpsilon(t, float64(r.Runs), e.Runs, 0.5, "runs; %s", testcmd.Rerun(t, "./explore"))
			assert.InEpsilon(t, float64(r.Schedules), e.Schedules, 0.5, "schedules; %s", testcmd.Rerun(t, "./explore"))
		})
	}
}

// TestCutReportsAnEstimate checks that a cut search carries the estimate
// and an exhausted one does not, and that the estimate is the same on
// every worker count. Method: one search cut at 40 runs, on 1 and 3
// workers, and the same search uncut.
func TestCutReportsAnEstimate(t *testing.T) {
	cfg := small(t, "select-for-update", sql.ReadCommitted, 1)
	m := menu(t, "drop-request,drop-response,duplicate,reset,db-drop")
	var first *Estimate
	for _, workers := range []int{1, 3} {
		r, err := Search(cfg, Options{Menu: m, Bounds: Bounds{Faults: 1, Delays: 1, Runs: 40}, Workers: workers, Probes: 50})
		require.NoError(t, err, testcmd.Rerun(t, "./explore"))
		require.True(t, r.Cut, testcmd.Rerun(t, "./explore"))
		require.NotNil(t, r.Estimate, testcmd.Rerun(t, "./explore"))
		assert.Equal(t, 50, r.Estimate.Probes, testcmd.Rerun(t, "./explore"))
		assert.Greater(t, r.Estimate.Schedules, 40.0, testcmd.Rerun(t, "./explore"))
		if first == nil {
			first = r.Estimate
		}
		assert.Equal(t, first, r.Estimate, testcmd.Rerun(t, "./explore"))
	}
	r, err := Search(cfg, Options{Menu: m, Bounds: Bounds{Faults: 1}})
	require.NoError(t, err, testcmd.Rerun(t, "./explore"))
	assert.Nil(t, r.Estimate, testcmd.Rerun(t, "./explore"))
}
