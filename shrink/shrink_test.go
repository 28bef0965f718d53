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
	"github.com/idemsim/idemsim/sim/api"
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
// (no single fault can go: without it the violation would not show, at the
// deadline or in the whole run), and the minimal run replays with the same
// trace hash every time. The cases: txn-check-insert at read
// committed under network duplicates, and early-409 under crashes at its
// step, each to at most three faults, from the full-size world (16 clients
// x 50 operations) and from chaos worlds; and two failures only porcupine
// sees.
// Method: Minimize, then run the result three times and drop each of its
// faults in turn.
func TestMinimize(t *testing.T) {
	rerun := testcmd.Rerun(t, "./shrink")
	for _, tc := range []struct {
		name       string
		cfg        func() world.Config
		kind       check.Kind
		maxFaults  int
		maxClients int // 1 if 0
	}{
		{"txn-check-insert-duplicates", func() world.Config {
			cfg := withStrategy(t, "txn-check-insert")
			cfg.Faults.Link.DuplicateRate = 0.1
			return cfg
		}, check.Duplicate, 3, 0},
		{"early-409-crash-at-claim", func() world.Config {
			cfg := withStrategy(t, "early-409")
			cfg.Faults.CrashPoints = []faults.CrashPoint{{Node: "any", Point: "after-claim", Prob: 0.05, Downtime: time.Second}}
			return cfg
		}, check.Lost, 3, 0},
		{"early-409-chaos-1", func() world.Config { return experiments.Chaos(withStrategy(t, "early-409").Strategy, 1) }, check.Lost, 3, 0},
		{"early-409-chaos-12", func() world.Config { return experiments.Chaos(withStrategy(t, "early-409").Strategy, 12) }, check.Lost, 3, 0},
		{"naive-lost-responses", func() world.Config {
			cfg := withStrategy(t, "naive")
			cfg.Faults.Link.DropResponseRate = 0.2
			return cfg
		}, check.Duplicate, 1, 0},
		// Failures only porcupine sees: a read that names a payment whose
		// transaction then rolled back (dirty reads); the accepted job the
		// dual write never sent (the audit calls it stuck, once the client
		// gives up, which shrinking would not wait for).
		{"etag-412-dirty-reads-chaos-460", func() world.Config {
			cfg := experiments.Chaos(withStrategy(t, "etag-412").Strategy, 460)
			cfg.DB.Isolation = api.DirtyReads
			return cfg
		}, check.NonLinearizable, 3, 4},
		{"async-202-dual-write-chaos-2", func() world.Config {
			return experiments.Chaos(withStrategy(t, "async-202-dual-write").Strategy, 2)
		}, check.NonLinearizable, 3, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ask := check.Kind("")
			if tc.kind == check.NonLinearizable {
				ask = tc.kind
			}
			res, err := shrink.Minimize(tc.cfg(), ask, 3000)
			require.NoError(t, err, rerun)
			msg := func(what string) string {
				return what + ": " + res.From.String() + " -> " + res.To.String() + "\n" + rerun
			}
			assert.Equal(t, tc.kind, res.Kind, msg("the first kind the run shows"))
			assert.LessOrEqual(t, res.To.Faults, tc.maxFaults, msg("faults left"))
			assert.LessOrEqual(t, res.To.Clients, max(tc.maxClients, 1), msg("clients left"))
			assert.Equal(t, 1, res.To.Servers, msg("servers left"))
			assert.Less(t, res.To.Deadline, res.From.Deadline, msg("an earlier deadline"))
			for range 3 {
				again, err := world.Run(res.Config)
				require.NoError(t, err, rerun)
				assert.Equal(t, res.TraceHash, again.TraceHash, msg("the same trace hash"))
				assert.True(t, shows(t, again, res.Kind), msg("the violation again"))
			}
			for i := range res.Config.Faults.Replay {
				c := res.Config
				c.Faults.Replay = append(append([]faults.Fault{}, c.Faults.Replay[:i]...), c.Faults.Replay[i+1:]...)
				r, err := world.Run(c)
				require.NoError(t, err, rerun)
				// A fault can go when the violation shows without it, both
				// at the deadline and in the whole run (a run stopped
				// earlier must not show what the whole run would not).
				whole := c
				whole.Deadline = res.From.Deadline
				w, err := world.Run(whole)
				require.NoError(t, err, rerun)
				assert.False(t, shows(t, r, res.Kind) && shows(t, w, res.Kind), msg("fault "+res.Config.Faults.Replay[i].String()+" could go"))
			}
		})
	}
}

// shows reports whether a run shows a violation of kind: the audit's, or a
// partition porcupine finds illegal.
func shows(t *testing.T, res *world.Result, kind check.Kind) bool {
	if kind != check.NonLinearizable {
		rep := check.Audit(res)
		return rep.Violated(kind)
	}
	lin, err := check.Linearize(res, 0)
	require.NoError(t, err)
	return lin.Counts[check.Illegal] > 0
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
