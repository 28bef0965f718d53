package live_test

import (
	"context"
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
	"github.com/idemsim/idemsim/sim/world"
)

// Goal: a live run gives the verdicts the strategies are known for, with
// every kind of fault live mode injects really firing: the naive server
// charges twice when responses are lost; unique-409 holds under lost
// responses, duplicated requests, dropped database connections and lost
// commit acknowledgements; a strategy whose worker drains a job table
// (async-202) and one whose worker drains the queue (async-202-dual-write)
// have their workers' effects attributed to the right operations;
// unique-409 holds through a server crash and a pause; a crash point
// after a charge leaves an orphan charge. Method: each case runs live on one
// throwaway PostgreSQL and Redis (each run in a database of its own),
// with a short think time, and the same oracles as a simulated run judge
// it. The fault decisions hash the seed and message references, so the
// faults are the same from run to run; only thread timing varies, which
// is why the expectations are "at least one" and "none".
func TestLiveVerdicts(t *testing.T) {
	if testing.Short() {
		t.Skip("live: starts PostgreSQL and Redis")
	}
	pg := livetest.StartPostgres(t)
	rd := livetest.StartRedis(t)
	for _, tc := range []struct {
		name     string
		strategy string
		set      func(*world.Config)
		fired    []faults.Kind // each fires at least once
		found    check.Kind    // "" : no violation of any kind
	}{
		{"naive loses responses", "naive", func(c *world.Config) { c.Faults.Link.DropResponseRate = 0.3 },
			[]faults.Kind{faults.DropResponse}, check.Duplicate},
		{"unique-409 under every message and database fault", "unique-409", func(c *world.Config) {
			c.Faults.Link.DropResponseRate, c.Faults.Link.DuplicateRate = 0.3, 0.3
			c.Faults.DBDropConnectionRate, c.Faults.DBLostCommitAckRate = 0.2, 0.3
		}, []faults.Kind{faults.DropResponse, faults.DuplicateRequest, faults.DBDropConnection, faults.DBLostCommitAck}, ""},
		{"async-202 job table worker", "async-202", func(c *world.Config) { c.Faults.Link.DropResponseRate = 0.2 },
			[]faults.Kind{faults.DropResponse}, ""},
		{"async-202-dual-write queue worker", "async-202-dual-write", func(c *world.Config) {}, nil, ""},
		{"unique-409 survives a server crash and a pause", "unique-409", func(c *world.Config) {
			c.Faults.Crashes = []faults.Crash{{Node: "s1", At: sim.Time(300 * time.Millisecond), Downtime: 300 * time.Millisecond}}
			c.Faults.Pauses = []faults.Crash{{Node: "s2", At: sim.Time(200 * time.Millisecond), Downtime: 300 * time.Millisecond}}
		}, []faults.Kind{faults.CrashFault, faults.PauseFault}, ""},
		{"persist-then-gateway at a crash point", "atomic-phases", func(c *world.Config) {
			c.Charge = true
			c.Faults.CrashPoints = []faults.CrashPoint{{Node: "any", Point: "after-charge", Nth: 2, Downtime: 200 * time.Millisecond}}
		}, []faults.Kind{faults.CrashAtFault}, check.OrphanCharge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./live")
			s, err := models.Lookup(tc.strategy)
			require.NoError(t, err, rerun)
			cfg := world.Defaults()
			cfg.Strategy = s
			cfg.Clients, cfg.OpsPerClient, cfg.Servers = 4, 4, 2
			cfg.Client.Think = sim.Exp(100 * time.Millisecond)
			cfg.Settle = 2 * time.Second
			tc.set(&cfg)
			res, err := live.Run(context.Background(), live.Config{World: cfg, PostgresDSN: pg.DatabaseDSN("postgres"), RedisAddr: rd.Addr(), Limit: 2 * time.Minute})
			require.NoError(t, err, rerun)
			require.Equal(t, live.StopDone, res.Stop, rerun)
			fired := map[faults.Kind]int{}
			for _, f := range res.Faults {
				fired[f.Kind]++
			}
			for _, k := range tc.fired {
				assert.Positive(t, fired[k], "%s never fired (fired: %v); %s", k, fired, rerun)
			}
			rep := check.Audit(res.Result)
			assert.Equal(t, cfg.Clients*cfg.OpsPerClient, rep.Ops, rerun)
			if tc.found == "" {
				assert.Empty(t, rep.Violations, "%v; %s", rep.Violations, rerun)
				assert.Equal(t, cfg.Clients*cfg.OpsPerClient, rep.Beliefs[world.BelievedDone], rerun)
			} else {
				assert.Positive(t, rep.Counts[tc.found], "no %s (%v); %s", tc.found, rep.Counts, rerun)
			}
			lin, err := check.Linearize(res.Result, check.DefaultTimeout)
			require.NoError(t, err, rerun)
			if tc.found == "" {
				assert.Empty(t, lin.IllegalOps(), rerun)
			}
		})
	}
}

// Goal: what live mode cannot do yet is refused with the setting named,
// before anything starts. Method: Check on worlds asking for each.
func TestCheckRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(*world.Config)
		want string
	}{
		{"a service's clock", func(c *world.Config) { c.Clocks = []world.Clock{{Node: "kv", Offset: time.Second, Drift: 1}} }, "the clock of kv"},
		{"a client's pause", func(c *world.Config) {
			c.Faults.Pauses = []faults.Crash{{Node: "c1", At: sim.Time(time.Second), Downtime: time.Second}}
		}, "a client's pause"},
		{"store failover", func(c *world.Config) {
			c.Faults.Failovers = []sim.Time{sim.Time(time.Second)}
		}, "--kv-failover"},
		{"replica lag", func(c *world.Config) { c.DB.ReplicaLag = time.Second }, "--db-replica-lag"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := world.Defaults()
			cfg.Strategy = models.Naive
			tc.set(&cfg)
			assert.ErrorContains(t, live.Check(&cfg), tc.want, testcmd.Rerun(t, "./live"))
		})
	}
}
