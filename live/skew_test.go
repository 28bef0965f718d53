package live_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/internal/livetest"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/live"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/world"
)

// Goal: a world whose servers' clocks are skewed and drift runs live and
// gets the simulator's verdict (live/server's TestSkewAndServiceLink shows
// that Env.Now reads the skewed clock). Method: two servers, one ahead and
// fast, one behind and slow, with lost responses, simulated and then live.
func TestLiveSkewedServers(t *testing.T) {
	if testing.Short() {
		t.Skip("live: starts PostgreSQL and Redis")
	}
	rerun := testcmd.Rerun(t, "./live")
	pg := livetest.StartPostgres(t)
	rd := livetest.StartRedis(t)
	cfg := world.Defaults()
	cfg.Strategy = models.Unique409
	cfg.Servers, cfg.Clients, cfg.OpsPerClient = 2, 2, 2
	cfg.Client.Think = sim.Exp(20 * time.Millisecond)
	cfg.Faults.Link.DropResponseRate = 0.3
	cfg.Client.TimeoutPerAttempt = 300 * time.Millisecond // each lost response costs a timeout
	cfg.Clocks = []world.Clock{{Node: "s1", Offset: 3 * time.Second, Drift: 1.01}, {Node: "s2", Offset: -2 * time.Second, Drift: 0.99}}
	require.NoError(t, live.Check(&cfg), rerun)
	simulated, err := world.Run(cfg)
	require.NoError(t, err, rerun)
	res, err := live.Run(context.Background(), live.Config{World: cfg, PostgresDSN: pg.DatabaseDSN("postgres"), RedisAddr: rd.Addr(), Limit: time.Minute})
	require.NoError(t, err, rerun)
	require.Equal(t, live.StopDone, res.Stop, rerun)
	assert.Equal(t, nonZero(check.Audit(simulated).Counts), nonZero(check.Audit(res.Result).Counts), "the verdicts, simulated then live; %s", rerun)
}
