package live_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/internal/livetest"
	"github.com/idemsim/idemsim/live"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/world"
)

// benchCmd reproduces BenchmarkLiveVsSim.
const benchCmd = "reproduce: go test -run '^$' -bench LiveVsSim -benchtime 1x ./live"

// BenchmarkLiveVsSim runs the same world live and simulated and reports
// how many business operations each checks per wall-clock second: the run
// (live: its database, schema and servers included) and both oracles
// (check.Audit, check.Linearize). The worlds: unique-409 and naive, 8
// clients on the default 3 servers, 10% of responses lost, each client
// thinking exp:20ms or const:0 before each operation, enough operations
// for about five seconds live; and unique-409 with no response lost, which measures
// what the live machinery can carry (a lost response holds its client for
// the whole attempt timeout, a second by default, as in the simulation, so
// the lossy worlds measure mostly that wait). One throwaway PostgreSQL and
// Redis serve every live run; their start is timed once, before the
// benchmark's timer, and reported as services-start-s. Metrics per world:
// live-ops/s, live-attempts/s (attempts over the clients' time,
// Result.Elapsed), sim-ops/s (world.Run and the oracles, repeated for
// about a second), x-faster (sim-ops/s over live-ops/s), and each side's
// duplicates per operation, to show that both find the same thing. Run it
// with go test -run '^$' -bench LiveVsSim -benchtime 1x ./live
func BenchmarkLiveVsSim(b *testing.B) {
	if testing.Short() {
		b.Skip("live: starts PostgreSQL and Redis")
	}
	began := time.Now()
	pg := livetest.StartPostgres(b)
	rd := livetest.StartRedis(b)
	started := time.Since(began)
	for _, tc := range []struct {
		strategy string
		drop     float64 // the rate of lost responses
		think    sim.Dist
		ops      int // per client
	}{
		{"unique-409", 0.1, sim.Exp(20 * time.Millisecond), 30},
		{"unique-409", 0.1, sim.Const(0), 30},
		{"naive", 0.1, sim.Exp(20 * time.Millisecond), 30},
		{"naive", 0.1, sim.Const(0), 30},
		// The live side's capacity: no response lost, so that no client
		// waits out its attempt timeout.
		{"unique-409", 0, sim.Const(0), 250},
	} {
		b.Run(fmt.Sprintf("%s/drop=%v/think=%v", tc.strategy, tc.drop, tc.think), func(b *testing.B) {
			s, err := models.Lookup(tc.strategy)
			require.NoError(b, err, benchCmd)
			cfg := world.Defaults()
			cfg.Strategy = s
			cfg.Clients, cfg.OpsPerClient = 8, tc.ops
			cfg.Client.Think = tc.think
			cfg.Faults.Link.DropResponseRate = tc.drop
			ops := float64(cfg.Clients * cfg.OpsPerClient)
			var liveWall, clients, simWall time.Duration
			var attempts, simRuns int
			var liveDup, simDup int
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				res, err := live.Run(context.Background(), live.Config{World: cfg, PostgresDSN: pg.DatabaseDSN("postgres"), RedisAddr: rd.Addr(), Limit: 2 * time.Minute})
				require.NoError(b, err, benchCmd)
				require.Equal(b, live.StopDone, res.Stop, benchCmd)
				liveDup += judge(b, res.Result)
				liveWall += time.Since(t0)
				clients += res.Elapsed
				attempts += len(res.History)

				// The simulated twin, repeated until it has taken about a
				// second, so that its rate is not one short measurement.
				t0 = time.Now()
				for n := 0; n == 0 || time.Since(t0) < time.Second; n++ {
					sres, err := world.Run(cfg)
					require.NoError(b, err, benchCmd)
					dup := judge(b, sres)
					if n == 0 {
						simDup += dup
					}
					simRuns++
				}
				simWall += time.Since(t0)
			}
			liveRate := ops * float64(b.N) / liveWall.Seconds()
			simRate := ops * float64(simRuns) / simWall.Seconds()
			b.ReportMetric(liveRate, "live-ops/s")
			b.ReportMetric(float64(attempts)/clients.Seconds(), "live-attempts/s")
			b.ReportMetric(simRate, "sim-ops/s")
			b.ReportMetric(simRate/liveRate, "x-faster")
			b.ReportMetric(float64(liveDup)/(ops*float64(b.N)), "live-dup/op")
			b.ReportMetric(float64(simDup)/(ops*float64(b.N)), "sim-dup/op")
			b.ReportMetric(started.Seconds(), "services-start-s")
		})
	}
}

// judge runs both oracles on a run, as idemsim run does, and returns the
// duplicates the audit found.
func judge(b *testing.B, res *world.Result) int {
	rep := check.Audit(res)
	_, err := check.Linearize(res, check.DefaultTimeout)
	require.NoError(b, err, benchCmd)
	return rep.Counts[check.Duplicate]
}
