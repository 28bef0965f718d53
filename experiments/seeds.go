package experiments

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/crash"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// Standard is the standard workload: 3 servers, 16 clients with 50
// operations each, 5% of requests and 5% of responses dropped, 2% of messages
// duplicated, lognormal latency (median 5ms, sigma 0.5).
func Standard(s api.Strategy, seed uint64) world.Config {
	cfg := world.Defaults()
	cfg.Strategy = s
	cfg.Seed = seed
	cfg.Servers, cfg.Clients, cfg.OpsPerClient = 3, 16, 50
	cfg.Faults.Link = faults.Link{
		Delay:            sim.LogNormal(5*time.Millisecond, 0.5),
		DropRequestRate:  0.05,
		DropResponseRate: 0.05,
		DuplicateRate:    0.02,
	}
	return cfg
}

// SeedResult is one seed's run, reduced to what a sweep keeps: counts, not
// the run's history or its list of violations, so that a sweep's memory
// does not grow with its seeds.
type SeedResult struct {
	Seed        uint64
	TraceHash   uint64
	Counts      [check.NumKinds]int // violations by kind, in check.Kinds order
	Beliefs     [4]int              // submissions by conclusion, indexed by world.Belief
	OrphanCents int64               // the money of the orphan charges
	Ops         int
	Attempts    int
	Effects     int
	End         sim.Time
	Stop        sim.StopReason
	Kernel      sim.Stats
}

func reduce(seed uint64, res *world.Result) SeedResult {
	rep := check.Audit(res)
	r := SeedResult{Seed: seed, TraceHash: res.TraceHash, Beliefs: rep.Beliefs, Ops: rep.Ops,
		Attempts: rep.Attempts, Effects: rep.Effects, End: res.End, Stop: res.Stop, Kernel: res.Kernel}
	for i, k := range check.Kinds {
		r.Counts[i] = rep.Counts[k]
	}
	r.OrphanCents = rep.OrphanCents
	return r
}

// Sweep runs cfg once for each of the seeds first, first+1, ...,
// first+n-1 on workers goroutines, and calls each with the results in seed
// order, whatever order they finish in: the outcome does not depend on the
// number of workers. At most a few results per worker wait to be handed
// over, so memory stays flat however many seeds run.
func Sweep(cfg world.Config, first, n uint64, workers int, each func(SeedResult)) error {
	return sweep(withSeed(cfg), n, func(i uint64) uint64 { return first + i }, workers, reduce, each)
}

// SweepConfigs is Sweep with a world per seed: configOf(seed) (a fault mix
// drawn from the seed, as Chaos does).
func SweepConfigs(configOf func(seed uint64) world.Config, first, n uint64, workers int, each func(SeedResult)) error {
	return sweep(configOf, n, func(i uint64) uint64 { return first + i }, workers, reduce, each)
}

// SweepFunc is SweepConfigs that keeps what the caller wants of each run:
// reduce(seed, res) runs on the worker that ran the seed, while the whole
// result is at hand (a second oracle, a timing), and each receives the
// reductions in seed order. The result must not be kept: it is the run's
// whole history.
func SweepFunc[T any](configOf func(seed uint64) world.Config, first, n uint64, workers int,
	reduce func(seed uint64, res *world.Result) T, each func(T)) error {
	return sweep(configOf, n, func(i uint64) uint64 { return first + i }, workers, reduce, each)
}

// withSeed is cfg with each seed in turn.
func withSeed(cfg world.Config) func(uint64) world.Config {
	return func(seed uint64) world.Config {
		c := cfg
		c.Seed = seed
		return c
	}
}

func sweep[T any](configOf func(seed uint64) world.Config, n uint64, seedOf func(i uint64) uint64, workers int,
	reduce func(uint64, *world.Result) T, each func(T)) error {
	if workers < 1 {
		return fmt.Errorf("experiments: workers %d must be >= 1", workers)
	}
	if n == 0 {
		return nil
	}
	if cfg := configOf(seedOf(0)); cfg.Validate() != nil {
		return fmt.Errorf("experiments: %w", cfg.Validate())
	}
	return runTasks(context.Background(), n, func(i uint64) world.Config { return configOf(seedOf(i)) }, workers,
		reduce, func(_ uint64, r T) { each(r) })
}

// runTasks runs the worlds configOf(0), ..., configOf(n-1) on workers
// goroutines, reduces each on the worker that ran it, and hands the
// reductions to each in task order, whatever order they finish in. At most
// a few tasks per worker are ahead of the next one to hand over, so memory
// does not grow with n. When ctx is cancelled no new task starts; those
// running finish, the reductions that are next in order are still handed
// over, and runTasks returns ctx's error (unless every task was handed
// over).
func runTasks[T any](ctx context.Context, n uint64, configOf func(i uint64) world.Config, workers int,
	reduce func(uint64, *world.Result) T, each func(i uint64, r T)) error {
	if workers < 1 {
		return fmt.Errorf("experiments: workers %d must be >= 1", workers)
	}
	window := 4 * workers
	tokens := make(chan struct{}, window) // a task is dispatched only while the window has room
	next := make(chan uint64)
	type done struct {
		i     uint64
		r     T
		err   error
		crash *crash.Panic // a panic of the task, panicked again on the caller's goroutine
	}
	results := make(chan done, window)
	stop := make(chan struct{}) // closed on the first error: dispatch no more
	var stopOnce sync.Once
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				d := done{i: i}
				d.crash = crash.Catch(func() {
					c := configOf(i)
					res, err := world.Run(c)
					if err != nil {
						d.err = err
						return
					}
					d.r = reduce(c.Seed, res)
				})
				results <- d
			}
		}()
	}
	go func() {
	dispatch:
		for i := uint64(0); i < n; i++ {
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				break dispatch
			case <-stop:
				break dispatch
			}
			next <- i
		}
		close(next)
		wg.Wait()
		close(results)
	}()
	pending := make(map[uint64]done, window)
	var emitted uint64
	var firstErr error
	var firstCrash *crash.Panic
	for d := range results {
		pending[d.i] = d
		for {
			p, ok := pending[emitted]
			if !ok {
				break
			}
			delete(pending, emitted)
			emitted++
			<-tokens
			if (p.err != nil || p.crash != nil) && firstErr == nil && firstCrash == nil {
				firstErr, firstCrash = p.err, p.crash
				stopOnce.Do(func() { close(stop) })
			}
			if firstErr == nil && firstCrash == nil {
				each(p.i, p.r)
			}
		}
	}
	if firstCrash != nil {
		panic(firstCrash) // on the caller's goroutine, where the command recovers it
	}
	if firstErr == nil && emitted < n {
		firstErr = ctx.Err()
	}
	return firstErr
}

// RunSeeds runs cfg once per seed and returns the results in seed order:
// for a handful of seeds (tests). A sweep over many seeds should use Sweep
// and aggregate as it goes.
func RunSeeds(cfg world.Config, seeds []uint64, workers int) ([]SeedResult, error) {
	out := make([]SeedResult, 0, len(seeds))
	err := sweep(withSeed(cfg), uint64(len(seeds)), func(i uint64) uint64 { return seeds[i] }, workers, reduce, func(r SeedResult) { out = append(out, r) })
	if err != nil {
		return nil, err
	}
	return out, nil
}
