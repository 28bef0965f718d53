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
