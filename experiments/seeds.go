package experiments

import (
	"fmt"
	"sync"
	"time"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/faults"
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

// SeedResult is one seed's run, reduced to what a sweep keeps.
type SeedResult struct {
	Seed      uint64
	TraceHash uint64
	Report    check.Report
	End       sim.Time
	Kernel    sim.Stats
}

// RunSeeds runs cfg once per seed on workers goroutines and returns the
// results in seed order, so the outcome does not depend on workers.
func RunSeeds(cfg world.Config, seeds []uint64, workers int) ([]SeedResult, error) {
	if workers < 1 {
		return nil, fmt.Errorf("experiments: workers %d must be >= 1", workers)
	}
	out := make([]SeedResult, len(seeds))
	errs := make([]error, len(seeds))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				c := cfg
				c.Seed = seeds[i]
				res, err := world.Run(c)
				if err != nil {
					errs[i] = err
					continue
				}
				out[i] = SeedResult{Seed: seeds[i], TraceHash: res.TraceHash, Report: check.Audit(res), End: res.End, Kernel: res.Kernel}
			}
		}()
	}
	for i := range seeds {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
