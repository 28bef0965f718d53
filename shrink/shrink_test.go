package shrink_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/shrink"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/world"
)

func withStrategy(t *testing.T, name string) world.Config {
	t.Helper()
	for _, s := range models.All() {
		if s.Name == name {
			cfg := world.Defaults()
			cfg.Strategy = s
			return cfg
		}
	}
	require.Failf(t, "no such strategy", "%s", name)
	return world.Config{}
}

// Goal: shrinking keeps the violation's kind, ends 1-minimal in its faults
// (no single fault can go), and the minimal run replays with the same
// trace hash every time. The cases: txn-check-insert at read
// committed under network duplicates, and early-409 under crashes at its
// step, each to at most three faults, from the full-size world (16 clients
// x 50 operations) and from chaos worlds.
// Method: Minimize, then run the result three times and drop each of its
// faults in turn.
func TestMinimize(t *testing.T) {
	rerun := testcmd.Rerun(t, "./shrink")
	for _, tc := range []struct {
		name      string
		cfg       func() world.Config
		kind      check.Kind
		maxFaults int
	}{
		{"txn-check-insert-duplicates", func() world.Config {
			cfg := withStrategy(t, "txn-check-insert")
			cfg.Faults.Link.DuplicateRate = 0.1
			return cfg
		}, check.Duplicate, 3},
		{"early-409-crash-at-claim", func() world.Config {
			cfg := withStrategy(t, "early-409")
			cfg.Faults.CrashPoints = []faults.CrashPoint{{Node: "any", Point: "after-claim", Prob: 0.05, Downtime: time.Second}}
			return cfg
		}, check.Lost, 3},
		{"early-409-chaos-1", func() world.Config { return experiments.Chaos(withStrategy(t, "early-409").Strategy, 1) }, check.Lost, 3},
		{"early-409-chaos-12", func() world.Config { return experiments.Chaos(withStrategy(t, "early-409").Strategy, 12) }, check.Lost, 3},
		{"naive-lost-responses", func() world.Config {
			cfg := withStrategy(t, "naive")
			cfg.Faults.Link.DropResponseRate = 0.2
			return cfg
		}, check.Duplicate, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := shrink.Minimize(tc.cfg(), "", 3000)
			require.NoError(t, err, rerun)
			msg := func(what string) string {
				return what + ": " + res.From.String() + " -> " + res.To.String() + "\n" + rerun
			}
			assert.Equal(t, tc.kind, res.Kind, msg("the first kind the run shows"))
			assert.LessOrEqual(t, res.To.Faults, tc.maxFaults, msg("faults left"))
			assert.Equal(t, 1, res.To.Clients, msg("clients left"))
			assert.Equal(t, 1, res.To.Servers, msg("servers left"))
			assert.Less(t, res.To.Deadline, res.From.Deadline, msg("an earlier deadline"))
			for range 3 {
				again, err := world.Run(res.Config)
				require.NoError(t, err, rerun)
				assert.Equal(t, res.TraceHash, again.TraceHash, msg("the same trace hash"))
				rep := check.Audit(again)
				assert.True(t, rep.Violated(res.Kind), msg("the violation again"))
			}
			for i := range res.Config.Faults.Replay {
				c := res.Config
				c.Faults.Replay = append(append([]faults.Fault{}, c.Faults.Replay[:i]...), c.Faults.Replay[i+1:]...)
				r, err := world.Run(c)
				require.NoError(t, err, rerun)
				rep := check.Audit(r)
				assert.False(t, rep.Violated(res.Kind), msg("fault "+res.Config.Faults.Replay[i].String()+" could go"))
			}
		})
	}
}

// Goal: a run without the violation asked for is refused with
// ErrNoViolation, and so is a run with none at all.
func TestMinimizeNothingToShrink(t *testing.T) {
	rerun := testcmd.Rerun(t, "./shrink")
	cfg := withStrategy(t, "naive")
	cfg.Clients, cfg.OpsPerClient = 2, 2
	_, err := shrink.Minimize(cfg, "", 100)
	assert.ErrorIs(t, err, shrink.ErrNoViolation, rerun)
	cfg.Faults.Link.DropResponseRate = 0.5
	_, err = shrink.Minimize(cfg, check.Lost, 100)
	assert.ErrorIs(t, err, shrink.ErrNoViolation, rerun)
}

// Goal: the run budget bounds the work, and what is returned still shows
// the violation.
func TestMinimizeBudget(t *testing.T) {
	rerun := testcmd.Rerun(t, "./shrink")
	cfg := withStrategy(t, "naive")
	cfg.Faults.Link.DropResponseRate = 0.2
	res, err := shrink.Minimize(cfg, check.Duplicate, 5)
	require.NoError(t, err, rerun)
	assert.LessOrEqual(t, res.Runs, 7, rerun) // the budget, the first run and the final one
	r, err := world.Run(res.Config)
	require.NoError(t, err, rerun)
	rep := check.Audit(r)
	assert.True(t, rep.Violated(check.Duplicate), rerun)
	assert.Equal(t, sim.Duration(24*time.Hour), res.To.Deadline, "no budget left for the deadline; "+rerun)
}
