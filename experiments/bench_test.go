package experiments_test

import (
	"slices"
	"testing"
	"time"

	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/world"
)

// bareCosts measures, in this benchmark run, what one queue event and one
// hand-off cost with no simulation around them (seconds each): the median of
// five timed loops of each, since testing.Benchmark cannot nest.
func bareCosts() (perEvent, perHandoff float64) {
	const n = 200_000
	median := func(loop func()) float64 {
		var ts []float64
		for i := 0; i < 5; i++ {
			start := time.Now()
			loop()
			ts = append(ts, time.Since(start).Seconds()/n)
		}
		slices.Sort(ts)
		return ts[2]
	}
	return median(func() { sim.BareQueue(n, 1000) }), median(func() { sim.BareHandoff(n) })
}

// BenchmarkStandardWorkload runs the standard workload (3 servers, 16
// clients x 50 operations, 5% drops each way, 2% duplicates, lognormal
// latency) once per iteration, a new seed each time, and reports events/s,
// hand-offs/s, seeds/s, virtual time per wall time ("sim-speedup"), and
// "limit-%": the share of the bare-loop limit reached — the time the same
// events and hand-offs would take in the bare queue and bare hand-off loops,
// over the time the whole run took.
func BenchmarkStandardWorkload(b *testing.B) {
	for _, s := range models.All() {
		b.Run(s.Name, func(b *testing.B) {
			perEvent, perHandoff := bareCosts()
			var events, handoffs uint64
			var virtual sim.Time
			seed := uint64(0)
			b.ResetTimer()
			for b.Loop() {
				seed++
				res, err := world.Run(experiments.Standard(s, seed))
				if err != nil {
					b.Fatal(err)
				}
				events += res.Kernel.Events
				handoffs += res.Kernel.Handoffs
				virtual += res.End
			}
			wall := b.Elapsed().Seconds()
			limit := float64(events)*perEvent + float64(handoffs)*perHandoff
			b.ReportMetric(float64(events)/wall, "events/s")
			b.ReportMetric(float64(handoffs)/wall, "handoffs/s")
			b.ReportMetric(float64(b.N)/wall, "seeds/s")
			b.ReportMetric(float64(virtual)/1e9/wall, "sim-speedup")
			b.ReportMetric(100*limit/wall, "limit-%")
		})
	}
}
