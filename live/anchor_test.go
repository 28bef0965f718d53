package live_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/livetest"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/live"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// scenarioWorld is the world of the claim scenarios with one request
// (claims/scenarios/04-409-in-progress.txt and its neighbours): two
// servers, one client with one operation, 5 ms links, 1 ms of service
// time.
func scenarioWorld(t *testing.T, strategy string, switches []string) world.Config {
	s, err := models.Lookup(strategy)
	require.NoError(t, err, testcmd.Rerun(t, "./live"))
	cfg := world.Defaults()
	cfg.Strategy = s
	cfg.Servers, cfg.Clients, cfg.OpsPerClient = 2, 1, 1
	cfg.Client.Think = sim.Const(0)
	cfg.Faults.Link.Delay = sim.Const(5 * time.Millisecond)
	cfg.ServiceTime = sim.Const(time.Millisecond)
	cfg.Switches = switches
	return cfg
}

func at(d time.Duration) sim.Time { return sim.Time(d) }

// Goal: a timed crash or pause of a server is anchored to the step of
// the handler where the simulated run had it: after the last service call
// that took effect, before the one the fault cut off; a fault that finds
// its server idle, or names no one server, stays timed. Method: Anchor on
// the one-request worlds of the claim scenarios, with the fault at the
// scenarios' moments and at moments before the request arrives, during
// its service time and after it is answered; the steps expected are read
// off the simulated timelines (idemsim run ... --trace).
func TestAnchor(t *testing.T) {
	for _, tc := range []struct {
		name     string
		strategy string
		switches []string
		crash    []faults.Crash
		pause    []faults.Crash
		want     []string // the steps, as StepFault.String prints them
		notes    []string // a part of each note, in order
	}{
		// The five claim scenarios whose timed fault live timing rarely
		// puts where the simulation has it (simVsLiveNotes).
		{name: "early-409 crash after the claim", strategy: "early-409",
			crash: []faults.Crash{{Node: "s1", At: at(6500 * time.Microsecond), Downtime: 3 * time.Second}},
			want:  []string{"crash s1+3s after c1/o1.1/a1/db1"},
			notes: []string{"crash s1@6.5ms+3s -> crash s1+3s after c1/o1.1/a1/db1"}},
		{name: "stripe-replay crash without lease", strategy: "stripe-replay", switches: []string{"lease=none"},
			crash: []faults.Crash{{Node: "s1", At: at(6500 * time.Microsecond), Downtime: 3 * time.Second}},
			want:  []string{"crash s1+3s after c1/o1.1/a1/db1"}},
		{name: "redis-lock crash without ttl: the lock's SET on its way runs", strategy: "redis-lock", switches: []string{"lease=none"},
			crash: []faults.Crash{{Node: "s1", At: at(6500 * time.Microsecond), Downtime: 3 * time.Second}},
			want:  []string{"crash s1+3s after c1/o1.1/a1/kv1"}},
		{name: "redis-lock pause after the lock and the lookup", strategy: "redis-lock", switches: []string{"lease=1s"},
			pause: []faults.Crash{{Node: "s1", At: at(7 * time.Millisecond), Downtime: 3 * time.Second}},
			want:  []string{"pause s1+3s after c1/o1.1/a1/kv2"}},
		// Where else a fault can land.
		{name: "during the service time", strategy: "early-409",
			crash: []faults.Crash{{Node: "s1", At: at(5500 * time.Microsecond), Downtime: time.Second}},
			want:  []string{"crash s1+1s as c1/o1.1/a1 starts"}},
		{name: "a statement on its way is refused", strategy: "early-409",
			crash: []faults.Crash{{Node: "s1", At: at(6100 * time.Microsecond), Downtime: time.Second}},
			want:  []string{"crash s1+1s as c1/o1.1/a1 starts, before its db1"}},
		{name: "a store command on its way runs", strategy: "redis-lock",
			crash: []faults.Crash{{Node: "s1", At: at(6100 * time.Microsecond), Downtime: time.Second}},
			want:  []string{"crash s1+1s after c1/o1.1/a1/kv1"}},
		{name: "a pause lets the call in flight finish", strategy: "early-409",
			pause: []faults.Crash{{Node: "s1", At: at(6100 * time.Microsecond), Downtime: time.Second}},
			want:  []string{"pause s1+1s after c1/o1.1/a1/db1"}},
		{name: "before the request arrives", strategy: "early-409",
			crash: []faults.Crash{{Node: "s1", At: at(2 * time.Millisecond), Downtime: time.Millisecond}},
			notes: []string{"crash s1@2ms+1ms stays timed: s1 was handling no request then"}},
		{name: "after the answer", strategy: "early-409",
			pause: []faults.Crash{{Node: "s1", At: at(500 * time.Millisecond), Downtime: time.Second}},
			notes: []string{"pause s1@500ms+1s stays timed: s1 was handling no request then"}},
		{name: "a server already down, the store", strategy: "early-409",
			crash: []faults.Crash{{Node: "s1", At: at(6500 * time.Microsecond), Downtime: 3 * time.Second},
				{Node: "s1", At: at(7 * time.Millisecond), Downtime: time.Second}, {Node: "kv", At: at(6 * time.Millisecond), Downtime: time.Second}},
			want: []string{"crash s1+3s after c1/o1.1/a1/db1"},
			notes: []string{"crash s1@6.5ms+3s -> ", "crash s1@7ms+1s stays timed: it did not hit s1 in the simulation (down already)",
				"crash kv@6ms+1s stays timed: it names no one server"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./live")
			cfg := scenarioWorld(t, tc.strategy, tc.switches)
			cfg.Faults.Crashes, cfg.Faults.Pauses = tc.crash, tc.pause
			a, err := live.Anchor(cfg)
			require.NoError(t, err, rerun)
			var got []string
			for _, s := range a.Steps {
				got = append(got, s.String())
				assert.Equal(t, api.NoService, s.Request.Service, rerun)
			}
			assert.Equal(t, tc.want, got, rerun)
			if tc.notes != nil {
				require.Len(t, a.Notes, len(tc.notes), "%q; %s", a.Notes, rerun)
				for i, n := range tc.notes {
					assert.True(t, strings.HasPrefix(a.Notes[i], n), "note %q, want it to start %q; %s", a.Notes[i], n, rerun)
				}
			}
		})
	}
}

// Goal: anchored at the simulator's step, a crash that live timing
// rarely puts in its window gives the simulator's verdict in every run:
// early-409's server crashes after committing its claim on the key, the
// retry is told 409 and the payment is lost (claim scenario
// early-409-first-crashes, which the timed crash mostly misses live).
// Method: the scenario's world simulated once (its verdict is lost), then
// run live 3 times with live.Anchor's steps on one throwaway PostgreSQL
// and Redis; each run must fire the one crash and lose the payment.
func TestAnchoredCrashLive(t *testing.T) {
	if testing.Short() {
		t.Skip("live: starts PostgreSQL and Redis")
	}
	rerun := testcmd.Rerun(t, "./live")
	cfg := scenarioWorld(t, "early-409", nil)
	cfg.Faults.Crashes = []faults.Crash{{Node: "s1", At: at(6500 * time.Microsecond), Downtime: 3 * time.Second}}
	simulated, err := world.Run(cfg)
	require.NoError(t, err, rerun)
	require.Equal(t, 1, check.Audit(simulated).Counts[check.Lost], "the simulator no longer loses the payment; "+rerun)
	a, err := live.Anchor(cfg)
	require.NoError(t, err, rerun)
	require.Len(t, a.Steps, 1, rerun)

	pg := livetest.StartPostgres(t)
	rd := livetest.StartRedis(t)
	for run := 1; run <= 3; run++ {
		res, err := live.Run(context.Background(), live.Config{World: cfg, Steps: a.Steps,
			PostgresDSN: pg.DatabaseDSN("postgres"), RedisAddr: rd.Addr(), Limit: time.Minute})
		require.NoError(t, err, rerun)
		require.Equal(t, live.StopDone, res.Stop, rerun)
		var crashes []faults.Fault
		for _, f := range res.Faults {
			if f.Kind == faults.CrashFault {
				crashes = append(crashes, f)
			}
		}
		assert.Len(t, crashes, 1, "run %d: crashes %v; %s", run, crashes, rerun)
		rep := check.Audit(res.Result)
		assert.Equal(t, 1, rep.Counts[check.Lost], "run %d: %v; %s", run, rep.Counts, rerun)
	}
}
