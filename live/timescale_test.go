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

// Goal: a world of hours, scaled down, runs live in seconds and gives the
// simulator's verdict on the same scaled world: claim 12's retention
// window, where a retry after the window pays again if the expired key is
// accepted, and is refused if a tombstone is kept. Method: the claim's
// world (one client whose first response is lost, a 30h timeout, a 24h
// retention) scaled by 1/100000 (timeout 1.08s, retention 864ms, the
// reaper sweeping every 86.4ms), simulated and then run live on one
// throwaway PostgreSQL and Redis; the two verdicts must be equal and the
// claim's. About 2s of real time per case.
func TestLiveScaledRetentionWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("live: starts PostgreSQL and Redis")
	}
	pg := livetest.StartPostgres(t)
	rd := livetest.StartRedis(t)
	for _, tc := range []struct {
		retention string
		want      string // the audit's violation kind, "" for none
	}{
		{"retention=24h:accept", string(check.Duplicate)},
		{"retention=24h:reject", ""},
	} {
		t.Run(tc.retention, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./live")
			cfg := world.Defaults()
			cfg.Strategy = models.StripeReplay
			cfg.Switches = []string{tc.retention}
			cfg.Servers, cfg.Clients, cfg.OpsPerClient = 1, 1, 1
			cfg.Client.Think = sim.Const(0)
			cfg.Faults.Link.Delay = sim.Const(5 * time.Millisecond)
			cfg.ServiceTime = sim.Const(time.Millisecond)
			cfg.Faults.Replay = []faults.Fault{mustFault(t, "drop-response c1/o1.1/a1")}
			cfg.Client.TimeoutPerAttempt, cfg.Deadline = 30*time.Hour, 100*time.Hour
			cfg.Settle = 200 * time.Millisecond
			f, err := world.ParseTimeScale("1/100000")
			require.NoError(t, err, rerun)
			cfg, err = cfg.Scaled(f)
			require.NoError(t, err, rerun)
			require.NoError(t, cfg.Validate(), rerun)
			require.NoError(t, live.Check(&cfg), rerun)

			simRes, err := world.Run(cfg)
			require.NoError(t, err, rerun)
			simRep := check.Audit(simRes)
			lr, err := live.Run(context.Background(), live.Config{World: cfg, PostgresDSN: pg.DatabaseDSN("postgres"), RedisAddr: rd.Addr(), Limit: time.Minute})
			require.NoError(t, err, rerun)
			require.Equal(t, live.StopDone, lr.Stop, rerun)
			rep := check.Audit(lr.Result)
			assert.Equal(t, kindsOf(&simRep), kindsOf(&rep), "live against simulated, on the world scaled by %s; %s", cfg.TimeScale, rerun)
			assert.Equal(t, tc.want, kindsOf(&rep), rerun)
			assert.Equal(t, 2, rep.Attempts, "the first attempt and the retry after the timeout; %s", rerun)
		})
	}
}

// kindsOf is the violation kinds a report found, joined ("" for none).
func kindsOf(rep *check.Report) string {
	out := ""
	for _, k := range check.Kinds {
		if rep.Counts[k] > 0 {
			if out != "" {
				out += ","
			}
			out += string(k)
		}
	}
	return out
}

func mustFault(t *testing.T, line string) faults.Fault {
	t.Helper()
	f, err := faults.ParseFault(line)
	require.NoError(t, err, testcmd.Rerun(t, "./live"))
	return f
}
