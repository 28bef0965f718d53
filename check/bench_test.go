package check_test

import (
	"testing"
	"time"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim/world"
)

// BenchmarkLinearize sets what porcupine's check of a run costs beside what
// simulating it costs, per strategy, on the standard workload (3 servers,
// 16 clients x 50 operations, 5% drops each way, 2% duplicates): each
// iteration simulates a new seed, then audits and linearizes it. It reports
// the wall time of each per run ("sim-ms/run", "check-ms/run"), their
// ratio, and the share of partitions whose check ran out of time
// ("unknown-%").
func BenchmarkLinearize(b *testing.B) {
	for _, s := range models.All() {
		b.Run(s.Name, func(b *testing.B) {
			var simulate, linearize time.Duration
			var partitions, unknown int
			seed := uint64(0)
			for b.Loop() {
				seed++
				start := time.Now()
				res, err := world.Run(experiments.Standard(s, seed))
				if err != nil {
					b.Fatal(err)
				}
				simulate += time.Since(start)
				start = time.Now()
				lin, err := check.Linearize(res, 0)
				if err != nil {
					b.Fatal(err)
				}
				linearize += time.Since(start)
				partitions += len(lin.Partitions)
				unknown += lin.Counts[check.Unknown]
			}
			runs := float64(b.N)
			b.ReportMetric(simulate.Seconds()*1e3/runs, "sim-ms/run")
			b.ReportMetric(linearize.Seconds()*1e3/runs, "check-ms/run")
			b.ReportMetric(linearize.Seconds()/simulate.Seconds(), "check/sim")
			b.ReportMetric(100*float64(unknown)/float64(partitions), "unknown-%")
		})
	}
}

// BenchmarkLinearizeOnly sets what the check alone costs, apart from the
// simulation (whose time swamps it, and on a loaded machine varies more
// than it does): ten worlds of the standard workload per strategy are
// simulated once, then each iteration audits nothing and linearizes all
// ten. Run it with -benchmem: allocations are the figure that the checker's
// reuse of memory is about.
func BenchmarkLinearizeOnly(b *testing.B) {
	for _, name := range []string{"naive", "unique-409", "stripe-replay", "client-id", "async-202", "etag-412"} {
		b.Run(name, func(b *testing.B) {
			s, err := models.Lookup(name)
			if err != nil {
				b.Fatal(err)
			}
			var runs []*world.Result
			for seed := uint64(1); seed <= 10; seed++ {
				res, err := world.Run(experiments.Standard(s, seed))
				if err != nil {
					b.Fatal(err)
				}
				runs = append(runs, res)
			}
			b.ResetTimer()
			for b.Loop() {
				for _, res := range runs {
					if _, err := check.Linearize(res, 0); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
