package live_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	sv := startServices(t)
	rerun := testcmd.Rerun(t, "./live")
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
	res := sv.run(t, cfg)
	assert.Equal(t, verdict(simulated), verdict(res.Result), "the verdicts, simulated then live; %s", rerun)
}
