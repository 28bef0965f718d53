package shrink_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/shrink"
	"github.com/idemsim/idemsim/sim/world"
)

// flaky is a runner that loses every third run (an error, as a live run
// that could not finish), so that a shrink which trusted one run would
// throw away candidates that hold.
func flaky() func(world.Config) (*world.Result, error) {
	n := 0
	return func(cfg world.Config) (*world.Result, error) {
		n++
		if n%3 == 0 {
			return nil, errors.New("lost run")
		}
		return world.Run(cfg)
	}
}

// Goal: the tolerant shrink (the one idemsim shrink --target uses, whose
// runs are not deterministic) still ends small when a run in three shows
// nothing: naive's duplicate under lost responses comes down to one fault
// and one client, from the faults that fired or from a list given; its
// bounds are kept (runs, and a time budget that says it is spent); a world
// that shows nothing, or settings that make no sense, are errors.
// Method: MinimizeTolerant over simulated worlds with a runner that fails
// every third run, 2 of 3 runs needed to keep a candidate.
func TestMinimizeTolerant(t *testing.T) {
	rerun := testcmd.Rerun(t, "./shrink")
	naive := func() world.Config {
		cfg := withStrategy(t, "naive")
		cfg.Clients, cfg.OpsPerClient = 4, 5
		cfg.Faults.Link.DropResponseRate = 0.2
		return cfg
	}
	t.Run("shrinks", func(t *testing.T) {
		res, err := shrink.MinimizeTolerant(naive(), "", shrink.Reruns{Run: flaky(), Need: 2, Of: 3, MaxRuns: 400})
		require.NoError(t, err, rerun)
		assert.Equal(t, check.Duplicate, res.Kind, rerun)
		assert.LessOrEqual(t, res.To.Faults, 1, "%v; %s", res.To, rerun)
		assert.Equal(t, 1, res.To.Clients, "%v; %s", res.To, rerun)
		assert.Equal(t, 1, res.To.Ops, "%v; %s", res.To, rerun)
		assert.Less(t, res.To.Faults, res.From.Faults, rerun)
		assert.GreaterOrEqual(t, res.Shown, 2, rerun)
		assert.LessOrEqual(t, res.Runs, 400, rerun)
		assert.False(t, res.Exhausted, rerun)
	})
	t.Run("from-a-list", func(t *testing.T) {
		fired, err := world.Run(naive())
		require.NoError(t, err, rerun)
		require.NotEmpty(t, fired.Faults, rerun)
		cfg := naive()
		cfg.Faults.Replay = fired.Faults
		res, err := shrink.MinimizeTolerant(cfg, check.Duplicate, shrink.Reruns{Run: flaky(), Need: 2, Of: 3, MaxRuns: 400})
		require.NoError(t, err, rerun)
		assert.Equal(t, len(fired.Faults), res.From.Faults, rerun)
		assert.LessOrEqual(t, res.To.Faults, 1, "%v; %s", res.To, rerun)
	})
	t.Run("budgets", func(t *testing.T) {
		res, err := shrink.MinimizeTolerant(naive(), "", shrink.Reruns{Run: flaky(), Need: 2, Of: 3, MaxRuns: 4})
		require.NoError(t, err, rerun)
		assert.True(t, res.Exhausted, rerun)
		assert.LessOrEqual(t, res.Runs, 4, rerun)
		calls := 0
		over := func() bool { calls++; return calls > 4 }
		res, err = shrink.MinimizeTolerant(naive(), "", shrink.Reruns{Run: flaky(), Need: 2, Of: 3, MaxRuns: 400, Over: over})
		require.NoError(t, err, rerun)
		assert.True(t, res.Exhausted, rerun)
	})
	for _, tc := range []struct {
		name string
		cfg  world.Config
		r    shrink.Reruns
		want string
	}{
		{"no-violation", withStrategy(t, "naive"), shrink.Reruns{Run: flaky(), Need: 2, Of: 3, MaxRuns: 50}, "no violation"},
		{"need-above-of", naive(), shrink.Reruns{Run: flaky(), Need: 4, Of: 3, MaxRuns: 50}, "want 1 <= need <= reruns"},
		{"budget-below-of", naive(), shrink.Reruns{Run: flaky(), Need: 2, Of: 3, MaxRuns: 2}, "too small"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := shrink.MinimizeTolerant(tc.cfg, "", tc.r)
			require.Error(t, err, rerun)
			assert.Contains(t, err.Error(), tc.want, rerun)
		})
	}
}
