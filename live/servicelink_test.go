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

// Goal: faults on the links between servers and services happen live at
// the call the simulated world would fault, with its verdict, and the
// list a live run logs replays in the simulator. Method: one client's
// operations on one server; (a) one named fault per case (a lost
// gateway answer, a reset database answer, a lost store request, a lost
// queue answer), simulated and live, must fire in both and give the same
// violations; (b) random rates on the link to the database (--link), live,
// must fire each kind, and the simulator replaying the live run's fault
// list must fire every fault in it and give the live verdict.
func TestLiveServiceLinkFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("live: starts PostgreSQL and Redis")
	}
	pg := livetest.StartPostgres(t)
	rd := livetest.StartRedis(t)
	small := func(t *testing.T, strategy string) world.Config {
		s, err := models.Lookup(strategy)
		require.NoError(t, err, testcmd.Rerun(t, "./live"))
		cfg := world.Defaults()
		cfg.Strategy = s
		cfg.Servers, cfg.Clients, cfg.OpsPerClient = 1, 1, 1
		cfg.Client.Think = sim.Const(0)
		cfg.Faults.Link.Delay = sim.Const(5 * time.Millisecond)
		cfg.ServiceTime = sim.Const(time.Millisecond)
		cfg.Settle = time.Second
		return cfg
	}
	run := func(t *testing.T, cfg world.Config) *live.Result {
		res, err := live.Run(context.Background(), live.Config{World: cfg, PostgresDSN: pg.DatabaseDSN("postgres"), RedisAddr: rd.Addr(), Limit: time.Minute})
		require.NoError(t, err, testcmd.Rerun(t, "./live"))
		require.Equal(t, live.StopDone, res.Stop, testcmd.Rerun(t, "./live"))
		return res
	}
	for _, tc := range []struct {
		strategy string
		charge   bool
		fault    string
	}{
		{"naive", true, "drop-response c1/o1.1/a1/gateway1"},
		{"unique-409", false, "reset c1/o1.1/a1/db3"},
		{"redis-lock", false, "drop-request c1/o1.1/a1/kv1"},
		{"async-202-dual-write", false, "drop-response c1/o1.1/a1/queue1"},
	} {
		t.Run(tc.fault, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./live")
			cfg := small(t, tc.strategy)
			cfg.Charge = tc.charge
			f, err := faults.ParseFault(tc.fault)
			require.NoError(t, err, rerun)
			cfg.Faults.Replay = []faults.Fault{f}
			simulated, err := world.Run(cfg)
			require.NoError(t, err, rerun)
			require.Empty(t, simulated.Unfired, "the simulated fault fired; %s", rerun)
			res := run(t, cfg)
			assert.Empty(t, res.Unfired, "the live fault fired; %s", rerun)
			assert.Equal(t, nonZero(check.Audit(simulated).Counts), nonZero(check.Audit(res.Result).Counts), "the verdicts, simulated then live; %s", rerun)
		})
	}

	t.Run("random rates replay in the simulator", func(t *testing.T) {
		rerun := testcmd.Rerun(t, "./live")
		cfg := small(t, "unique-409")
		cfg.OpsPerClient = 6
		rule, err := faults.ParseLinkRule("servers-db:drop-request=0.15;drop-response=0.15;reset=0.15")
		require.NoError(t, err, rerun)
		cfg.Faults.Links = []faults.LinkRule{rule}
		res := run(t, cfg)
		fired := map[faults.Kind]int{}
		for _, f := range res.Faults {
			fired[f.Kind]++
		}
		for _, k := range []faults.Kind{faults.DropRequest, faults.DropResponse, faults.Reset} {
			assert.Positive(t, fired[k], "%s never fired (fired: %v); %s", k, fired, rerun)
		}
		cfg.Faults.Replay = res.Faults
		replayed, err := world.Run(cfg)
		require.NoError(t, err, rerun)
		assert.Empty(t, replayed.Unfired, "live faults the simulator's replay did not fire; %s", rerun)
		assert.Equal(t, nonZero(check.Audit(res.Result).Counts), nonZero(check.Audit(replayed).Counts), "the verdicts, live then replayed; %s", rerun)
	})
}
