package experiments_test

import (
	"context"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/experiments/catalog"
	"github.com/idemsim/idemsim/internal/gctune"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
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
//
// no-service is the same workload with a server that answers without
// calling a service: the world's own cost, comparable with the figures
// from before the database was wired in.
func BenchmarkStandardWorkload(b *testing.B) {
	for _, s := range append(models.All(), noService) {
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

// oneTransaction is the request the database benchmark times: begin, select
// by key, insert, commit — the shape of most of the thread's strategies.
var oneTransaction = api.Strategy{
	Name: "one-transaction", Rule: "begin, look the key up, insert, commit", Position: "benchmark", Contract: api.ContractNone,
	Schema: []string{"create table payments (idempotency_key text primary key, amount bigint)"},
	Ledger: []string{"payments"},
	Boot: func(api.Settings) api.Server {
		return api.Server{Create: func(env api.Env, req api.Request) api.Response {
			tx, err := env.DB().Begin(api.DefaultLevel)
			if err != nil {
				return api.Response{Status: api.StatusServiceUnavailable}
			}
			if _, err := tx.Exec("select amount from payments where idempotency_key = $1", api.Text(req.Key)); err != nil {
				return api.Response{Status: api.StatusServiceUnavailable}
			}
			if _, err := tx.Exec("insert into payments (idempotency_key, amount) values ($1, $2)", api.Text(req.Key), api.Int(req.Payload.Amount)); err != nil {
				return api.Response{Status: api.StatusConflict}
			}
			if err := tx.Commit(); err != nil {
				return api.Response{Status: api.StatusServiceUnavailable}
			}
			return api.Response{Status: api.StatusCreated}
		}}
	},
}

// noService answers without calling any service: the request that costs
// only the client, the network and the server.
var noService = api.Strategy{
	Name: "no-service", Rule: "answer 201", Position: "benchmark", Contract: api.ContractNone,
	Boot: func(api.Settings) api.Server {
		return api.Server{Create: func(api.Env, api.Request) api.Response { return api.Response{Status: api.StatusCreated} }}
	},
}

// BenchmarkRequest times one request end to end through the world — the
// client, the network, the server and, for one-transaction, four round
// trips to the database — and reports events/s and the wall time per
// request. One iteration is a world of 4 clients x 250 requests without
// faults.
func BenchmarkRequest(b *testing.B) {
	for _, s := range []api.Strategy{noService, oneTransaction} {
		b.Run(s.Name, func(b *testing.B) {
			cfg := world.Defaults()
			cfg.Strategy = s
			cfg.Servers, cfg.Clients, cfg.OpsPerClient = 1, 4, 250
			var events uint64
			requests := 0
			for b.Loop() {
				cfg.Seed++
				res, err := world.Run(cfg)
				if err != nil {
					b.Fatal(err)
				}
				events += res.Kernel.Events
				requests += len(res.History)
			}
			wall := b.Elapsed().Seconds()
			b.ReportMetric(float64(events)/wall, "events/s")
			b.ReportMetric(wall/float64(requests)*1e6, "us/request")
			b.ReportMetric(float64(events)/float64(requests), "events/request")
		})
	}
}

// BenchmarkSweepMemory sweeps 1,000 and 100,000 seeds of a small world on
// two workers and reports the peak heap in use (sampled at every result
// handed over): a sweep aggregates as it goes, so the peak must not grow
// with the number of seeds.
func BenchmarkSweepMemory(b *testing.B) {
	for _, n := range []uint64{1000, 100_000} {
		b.Run(strconv.FormatUint(n, 10)+"-seeds", func(b *testing.B) {
			cfg := experiments.Standard(models.Naive, 0)
			cfg.Servers, cfg.Clients, cfg.OpsPerClient = 2, 2, 2
			var heap heapPeak
			var dups int
			for b.Loop() {
				heap.reset()
				err := experiments.Sweep(cfg, 1, n, 2, func(r experiments.SeedResult) {
					dups += r.Counts[0]
					heap.sample(r.Seed)
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			heap.report(b, n)
		})
	}
}

// runnerCells are the swarm's cells at read committed: every strategy
// once, each seed a small world with its own fault mix.
func runnerCells(b *testing.B) (*experiments.Experiment, []int) {
	e, err := catalog.Lookup("swarm")
	if err != nil {
		b.Fatal(err)
	}
	var only []int
	for i, c := range e.Cells {
		if c.Level.Slug() == "read-committed" {
			only = append(only, i)
		}
	}
	return e, only
}

// BenchmarkRunner runs every strategy's swarm cell at read committed, 20
// seeds each (500 worlds, both oracles on every one), through the
// experiment runner on 1 and 2 workers, and reports seeds/s and
// "sim-speedup", virtual time simulated per wall time. Run it with -cpu 2
// (or more): the runner's speed-up is workers-2's seeds/s over
// workers-1's. The collector is set as idemsim sets it (gctune); GOGC=100
// in the environment measures Go's default.
func BenchmarkRunner(b *testing.B) {
	gctune.Apply() // as idemsim runs
	e, only := runnerCells(b)
	for _, workers := range []int{1, 2} {
		b.Run("workers-"+strconv.Itoa(workers), func(b *testing.B) {
			var virtual sim.Time
			seeds := 0
			for b.Loop() {
				_, err := experiments.Run(context.Background(), e, experiments.Options{Seeds: 20, Workers: workers, Only: only,
					OnSeed: func(s *experiments.Seed) { virtual += s.End; seeds++ }})
				if err != nil {
					b.Fatal(err)
				}
			}
			wall := b.Elapsed().Seconds()
			b.ReportMetric(float64(seeds)/wall, "seeds/s")
			b.ReportMetric(float64(virtual)/1e9/wall, "sim-speedup")
		})
	}
}

// BenchmarkRunnerMemory runs one swarm cell (naive) over 1,000 and
// 100,000 seeds on two workers and reports the peak heap in use, sampled
// every 100 seeds: the runner adds each seed into its cell's sums and
// keeps no seed, so the peak must not grow with the seeds.
func BenchmarkRunnerMemory(b *testing.B) {
	gctune.Apply() // as idemsim runs
	e, _ := runnerCells(b)
	for _, n := range []uint64{1000, 100_000} {
		b.Run(strconv.FormatUint(n, 10)+"-seeds", func(b *testing.B) {
			var heap heapPeak
			for b.Loop() {
				heap.reset()
				_, err := experiments.Run(context.Background(), e, experiments.Options{Seeds: n, Workers: 2, Only: []int{0},
					OnSeed: func(s *experiments.Seed) { heap.sample(s.Seed) }})
				if err != nil {
					b.Fatal(err)
				}
			}
			heap.report(b, n)
		})
	}
}

// heapPeak is the peak of the heap in use during a sweep, sampled every
// 100 seeds (reading the memory statistics stops the world).
type heapPeak struct {
	ms   runtime.MemStats
	peak uint64
}

// reset collects the garbage before a sweep and forgets the last peak.
func (h *heapPeak) reset() {
	runtime.GC()
	h.peak = 0
}

func (h *heapPeak) sample(seed uint64) {
	if seed%100 == 0 {
		runtime.ReadMemStats(&h.ms)
		h.peak = max(h.peak, h.ms.HeapInuse)
	}
}

// report gives the peak and the seeds per second of the sweeps of n seeds.
func (h *heapPeak) report(b *testing.B, n uint64) {
	b.ReportMetric(float64(h.peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "seeds/s")
}
