package shrink_test

import (
	"slices"
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
// deadline or in the whole run), stops the run early only where that
// changes nothing the kept operations show (their violations, of every
// kind, are those of the whole run), and the minimal run replays with the
// same trace hash every time. The cases: txn-check-insert at read
// committed under network duplicates, and early-409 under crashes at its
// step, from the full-size world (16 clients x 50 operations) and from
// chaos worlds; naive and local-cache from chaos world 1, which must end
// at one fault, one client and one operation (a fault renamed by attempt
// number, a balancer's random choice: see the attempts and balancer
// passes); and two failures only porcupine sees, where the audit's stuck
// must show too when the whole run shows it.
// Method: Minimize, then run the result three times, run it to the
// original deadline, and drop each of its faults in turn.
func TestMinimize(t *testing.T) {
	rerun := testcmd.Rerun(t, "./shrink")
	for _, tc := range []struct {
		name       string
		cfg        func() world.Config
		kind       check.Kind
		maxFaults  int
		maxClients int        // 1 if 0
		maxServers int        // 1 if 0
		exact      bool       // exactly maxFaults faults, maxClients clients, one operation
		alsoShows  check.Kind // another kind the minimal run must show
	}{
		{name: "txn-check-insert-duplicates", cfg: func() world.Config {
			cfg := withStrategy(t, "txn-check-insert")
			cfg.Faults.Link.DuplicateRate = 0.1
			return cfg
		}, kind: check.Duplicate, maxFaults: 3},
		{name: "early-409-crash-at-claim", cfg: func() world.Config {
			cfg := withStrategy(t, "early-409")
			cfg.Faults.CrashPoints = []faults.CrashPoint{{Node: "any", Point: "after-claim", Prob: 0.05, Downtime: time.Second}}
			return cfg
		}, kind: check.Lost, maxFaults: 3},
		{name: "early-409-chaos-1", cfg: chaos(t, "early-409", 1, 0), kind: check.Lost, maxFaults: 3},
		{name: "early-409-chaos-12", cfg: chaos(t, "early-409", 12, 0), kind: check.Lost, maxFaults: 3},
		{name: "naive-lost-responses", cfg: func() world.Config {
			cfg := withStrategy(t, "naive")
			cfg.Faults.Link.DropResponseRate = 0.2
			return cfg
		}, kind: check.Duplicate, maxFaults: 1},
		// Three faults before: two dropped requests, then the third
		// attempt duplicated; the duplicate alone on the first does it.
		{name: "naive-chaos-1", cfg: chaos(t, "naive", 1, api.ReadCommitted), kind: check.Duplicate, maxFaults: 1, exact: true},
		// The dropped response of the first attempt, and the retry on the
		// other server of two, which has not seen the key.
		{name: "local-cache-chaos-1", cfg: chaos(t, "local-cache", 1, api.ReadCommitted), kind: check.Duplicate, maxFaults: 1, maxServers: 2, exact: true},
		// Failures only porcupine sees: a read that names a payment whose
		// transaction then rolled back (dirty reads); the accepted job the
		// dual write never sent, which the audit calls stuck once the
		// client gives up: the minimal run must last that long.
		{name: "etag-412-dirty-reads-chaos-460", cfg: chaos(t, "etag-412", 460, api.DirtyReads), kind: check.NonLinearizable, maxFaults: 3, maxClients: 4},
		{name: "async-202-dual-write-chaos-2", cfg: chaos(t, "async-202-dual-write", 2, api.ReadCommitted), kind: check.NonLinearizable, maxFaults: 1, exact: true, alsoShows: check.Stuck},
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
			if tc.exact {
				assert.Equal(t, tc.maxFaults, res.To.Faults, msg("faults left"))
				assert.Equal(t, max(tc.maxClients, 1), res.To.Clients, msg("clients left"))
				assert.Equal(t, 1, res.To.Ops, msg("operations left"))
			}
			assert.LessOrEqual(t, res.To.Faults, tc.maxFaults, msg("faults left"))
			assert.LessOrEqual(t, res.To.Clients, max(tc.maxClients, 1), msg("clients left"))
			assert.LessOrEqual(t, res.To.Servers, max(tc.maxServers, 1), msg("servers left"))
			assert.Less(t, res.To.Deadline, res.From.Deadline, msg("an earlier deadline"))
			for range 3 {
				again, err := world.Run(res.Config)
				require.NoError(t, err, rerun)
				assert.Equal(t, res.TraceHash, again.TraceHash, msg("the same trace hash"))
				assert.True(t, shows(t, again, res.Kind), msg("the violation again"))
				if tc.alsoShows != "" {
					assert.True(t, shows(t, again, tc.alsoShows), msg("the "+string(tc.alsoShows)+" too"))
				}
			}
			final, err := world.Run(res.Config)
			require.NoError(t, err, rerun)
			whole := res.Config
			whole.Deadline = res.From.Deadline
			all, err := world.Run(whole)
			require.NoError(t, err, rerun)
			cut, full := everything(t, final), everything(t, all)
			for op, kinds := range cut {
				if slices.Contains(kinds, res.Kind) {
					assert.Equal(t, full[op], kinds, msg("what the kept "+op.String()+" shows at the deadline and in the whole run"))
				}
				for _, k := range kinds {
					assert.Contains(t, full[op], k, msg("the whole run shows the "+string(k)+" of "+op.String()))
				}
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

// chaos is the chaos world seed of the strategy named, at level (or the
// world's own level if 0).
func chaos(t *testing.T, name string, seed uint64, level api.Level) func() world.Config {
	return func() world.Config {
		cfg := experiments.Chaos(withStrategy(t, name).Strategy, seed)
		if level != 0 {
			cfg.DB.Isolation = level
		}
		return cfg
	}
}

// everything is what a run shows, by operation: the kinds of its
// violations, the audit's and porcupine's, sorted.
func everything(t *testing.T, res *world.Result) map[api.OpID][]check.Kind {
	out := map[api.OpID][]check.Kind{}
	for _, v := range check.Audit(res).Violations {
		out[v.Op] = append(out[v.Op], v.Kind)
	}
	lin, err := check.Linearize(res, 0)
	if err == nil {
		for _, op := range lin.IllegalOps() {
			out[op] = append(out[op], check.NonLinearizable)
		}
	}
	for op := range out {
		slices.Sort(out[op])
	}
	return out
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

// Goal: Minimize answers truly about a shrink cut short: a budget too
// small to replay the run is refused as that, not reported as a replay
// bug; a budget that runs out marks the result Exhausted; and a run that
// stops at the event limit shrinks like any other (its candidates may
// stop there too), its result saying where the minimal run stops.
// Method: naive with 20% of responses lost, at budgets 1, 2 and the
// default, with and without an event limit of 5,000 (the run stops there
// at about 18 s of virtual time).
func TestMinimizeCutShort(t *testing.T) {
	rerun := testcmd.Rerun(t, "./shrink")
	for _, tc := range []struct {
		name          string
		maxRuns       int
		maxEvents     uint64
		err           string
		exhausted     bool
		stop          sim.StopReason
		shrunk        bool // fewer faults than fired
		faultsAtStart int
	}{
		{name: "budget-1", maxRuns: 1, err: "a budget of 1 runs is too small: the failing run and its replay take 2"},
		{name: "budget-2", maxRuns: 2, exhausted: true, stop: sim.Quiescent, faultsAtStart: 196},
		{name: "budget-2-event-limit", maxRuns: 2, maxEvents: 5000, exhausted: true, stop: sim.EventLimit, faultsAtStart: 99},
		{name: "event-limit", maxRuns: 2000, maxEvents: 5000, shrunk: true, stop: sim.Deadline, faultsAtStart: 99},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := withStrategy(t, "naive")
			cfg.Faults.Link.DropResponseRate = 0.2
			cfg.MaxEvents = tc.maxEvents
			res, err := shrink.Minimize(cfg, "", tc.maxRuns)
			if tc.err != "" {
				require.Error(t, err, rerun)
				assert.Contains(t, err.Error(), tc.err, rerun)
				assert.NotContains(t, err.Error(), "replay bug", rerun)
				return
			}
			require.NoError(t, err, rerun)
			assert.Equal(t, check.Duplicate, res.Kind, rerun)
			assert.Equal(t, tc.exhausted, res.Exhausted, rerun)
			assert.Equal(t, tc.stop, res.Stop, rerun)
			assert.Equal(t, tc.faultsAtStart, res.From.Faults, rerun)
			assert.Equal(t, tc.shrunk, res.To.Faults < res.From.Faults, rerun)
			again, err := world.Run(res.Config)
			require.NoError(t, err, rerun)
			assert.Equal(t, res.TraceHash, again.TraceHash, rerun)
		})
	}
}
