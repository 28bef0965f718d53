package live_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/internal/livetest"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/live"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/world"
)

// services are the throwaway PostgreSQL and Redis a test's live runs
// share, each run in a database of its own.
type services struct {
	pg *livetest.Postgres
	rd *livetest.Redis
}

// startServices starts them, or skips the test under -short.
func startServices(t *testing.T) services {
	if testing.Short() {
		t.Skip("live: starts PostgreSQL and Redis")
	}
	return services{pg: livetest.StartPostgres(t), rd: livetest.StartRedis(t)}
}

// run runs cfg live; the run must end with its clients done, within a
// minute.
func (s services) run(t *testing.T, cfg world.Config) *live.Result {
	rerun := testcmd.Rerun(t, "./live")
	res, err := live.Run(context.Background(), live.Config{World: cfg, PostgresDSN: s.pg.DatabaseDSN("postgres"), RedisAddr: s.rd.Addr(), Limit: time.Minute})
	require.NoError(t, err, rerun)
	require.Equal(t, live.StopDone, res.Stop, rerun)
	return res
}

// oneOp is a world of one client's one operation on one server running
// strategy, with constant latencies, so that a fault's moment falls at
// the same step simulated and live.
func oneOp(t *testing.T, strategy string) world.Config {
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

// verdict is an audit's counts without its zero entries.
func verdict(res *world.Result) map[check.Kind]int {
	out := map[check.Kind]int{}
	for k, n := range check.Audit(res).Counts {
		if n > 0 {
			out[k] = n
		}
	}
	return out
}
