package experiments_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim/world"
)

// tiny is a world small enough to sweep thousands of seeds in a test.
func tiny() world.Config {
	cfg := experiments.Standard(models.Naive, 0)
	cfg.Servers, cfg.Clients, cfg.OpsPerClient = 2, 2, 3
	return cfg
}

// Goal: a sweep hands results over in seed order whatever the number of
// workers, and RunSeeds over a list agrees with it. Method: 40 seeds with
// 1 and 3 workers, then the same seeds as a list.
func TestSweepOrder(t *testing.T) {
	rerun := testcmd.Rerun(t, "./experiments")
	var one, three []experiments.SeedResult
	require.NoError(t, experiments.Sweep(tiny(), 100, 40, 1, func(r experiments.SeedResult) { one = append(one, r) }), rerun)
	require.NoError(t, experiments.Sweep(tiny(), 100, 40, 3, func(r experiments.SeedResult) { three = append(three, r) }), rerun)
	require.Len(t, one, 40, rerun)
	assert.Equal(t, one, three, rerun)
	for i, r := range one {
		assert.Equal(t, uint64(100+i), r.Seed, rerun)
	}
	seeds := []uint64{139, 100, 117}
	list, err := experiments.RunSeeds(tiny(), seeds, 2)
	require.NoError(t, err, rerun)
	for i, r := range list {
		assert.Equal(t, one[seeds[i]-100], r, rerun)
	}
}

// Goal: a sweep of a configuration that does not validate fails with the
// reason, and a bad worker count is refused.
func TestSweepErrors(t *testing.T) {
	rerun := testcmd.Rerun(t, "./experiments")
	bad := tiny()
	bad.Servers = 0
	err := experiments.Sweep(bad, 0, 10, 2, func(experiments.SeedResult) { t.Error("no result expected; " + rerun) })
	assert.ErrorContains(t, err, "servers: 0 out of range", rerun)
	assert.ErrorContains(t, experiments.Sweep(tiny(), 0, 10, 0, nil), "workers 0 must be >= 1", rerun)
}

// Goal: SweepFunc hands over the caller's reduction of each run in seed
// order, computed from the whole result. Method: reduce each run of 30
// seeds to its seed and history length on 3 workers, and compare with the
// attempts Sweep counts for the same seeds.
func TestSweepFunc(t *testing.T) {
	rerun := testcmd.Rerun(t, "./experiments")
	type reduced struct {
		seed     uint64
		attempts int
	}
	var got []reduced
	configOf := func(seed uint64) world.Config { c := tiny(); c.Seed = seed; return c }
	err := experiments.SweepFunc(configOf, 100, 30, 3, func(seed uint64, res *world.Result) reduced {
		return reduced{seed, len(res.History)}
	}, func(r reduced) { got = append(got, r) })
	require.NoError(t, err, rerun)
	var want []reduced
	require.NoError(t, experiments.Sweep(tiny(), 100, 30, 1, func(r experiments.SeedResult) { want = append(want, reduced{r.Seed, r.Attempts}) }), rerun)
	assert.Equal(t, want, got, rerun)
}
