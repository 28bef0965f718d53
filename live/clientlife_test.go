package live_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/world"
)

// Goal: a client crash happens live as in the simulation, and the run
// gets the simulator's verdict: claim 14's two scenarios, where the client
// crashes while it waits for a response that was lost, and comes back with
// a new key (a second payment) or the same one (a replay). Method: each
// world runs simulated, then live on one throwaway PostgreSQL and Redis;
// the live run must log the client crash, record the attempt in flight as
// interrupted, number the attempt after the restart 1 (the first of the
// new life), use the key the setting says, and give the simulated run's
// violations.
func TestLiveClientCrash(t *testing.T) {
	sv := startServices(t)
	for _, tc := range []struct {
		name   string
		keys   world.KeyOnRestart
		newKey bool
		want   map[check.Kind]int
	}{
		{"a new key pays twice", world.KeyRegenerate, true, map[check.Kind]int{check.Duplicate: 1}},
		{"the same key replays", world.KeyPersist, false, map[check.Kind]int{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./live")
			cfg := oneOp(t, "select-for-update")
			cfg.Client.KeyOnRestart = tc.keys
			drop, err := faults.ParseFault("drop-response c1/o1.1/a1")
			require.NoError(t, err, rerun)
			cfg.Faults.Replay = []faults.Fault{drop}
			cfg.Faults.ClientCrashes = []faults.Crash{{Node: "c1", At: sim.Time(500 * time.Millisecond), Downtime: 100 * time.Millisecond}}
			simulated, err := world.Run(cfg)
			require.NoError(t, err, rerun)
			require.Equal(t, tc.want, verdict(simulated), "the simulator's verdict; %s", rerun)

			res := sv.run(t, cfg)
			var crashes []faults.Fault
			for _, f := range res.Faults {
				if f.Kind == faults.ClientCrashFault {
					crashes = append(crashes, f)
				}
			}
			require.Len(t, crashes, 1, "%v; %s", res.Faults, rerun)
			assert.Equal(t, "c1", crashes[0].Crash.Node, rerun)
			assert.Equal(t, 100*time.Millisecond, crashes[0].Crash.Downtime, rerun)
			assert.Empty(t, res.Unfired, rerun)

			require.Len(t, res.History, 2, "%+v; %s", res.History, rerun)
			first, second := res.History[0], res.History[1]
			assert.True(t, first.Interrupted && first.TimedOut, "the first attempt is abandoned at the crash: %+v; %s", first, rerun)
			assert.Equal(t, crashes[0].At, first.Return, rerun)
			assert.Equal(t, 1, second.N, "the attempt after the restart is the new life's first; %s", rerun)
			assert.GreaterOrEqual(t, second.Call, crashes[0].At.Add(100*time.Millisecond), "the client comes back after its downtime; %s", rerun)
			assert.Equal(t, tc.newKey, first.Key != second.Key, "keys %s then %s; %s", first.Key, second.Key, rerun)
			require.Len(t, res.Outcomes, 1, rerun)
			assert.Equal(t, world.BelievedDone, res.Outcomes[0].Belief, rerun)
			assert.Equal(t, 2, res.Outcomes[0].Attempts, rerun)

			assert.Equal(t, tc.want, verdict(res.Result), "the live verdict; %s", rerun)
		})
	}
}
