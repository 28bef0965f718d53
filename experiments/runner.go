package experiments

import (
	"context"
	"fmt"
	"slices"

	"github.com/idemsim/idemsim/sim/world"
)

// Shard is one slice of an experiment's seeds: shard I of N runs, in every
// cell, the seeds s of 1..Seeds with (s-1) mod N = I — seeds I+1, I+1+N,
// I+1+2N, ... Striding rather than cutting in blocks gives each shard a
// like share of every cell, so shards take about as long as each other.
// The zero Shard (N 0) is the whole run.
type Shard struct{ I, N uint64 }

// Whole reports whether s is the whole run.
func (s Shard) Whole() bool { return s.N <= 1 }

func (s Shard) String() string {
	if s.Whole() {
		return "0/1"
	}
	return fmt.Sprintf("%d/%d", s.I, s.N)
}

// Count is how many of seeds 1..seeds the shard runs per cell.
func (s Shard) Count(seeds uint64) uint64 {
	if s.Whole() {
		return seeds
	}
	if s.I >= seeds {
		return 0
	}
	return (seeds - s.I + s.N - 1) / s.N
}

// Seed is the shard's k-th seed.
func (s Shard) Seed(k uint64) uint64 {
	if s.Whole() {
		return 1 + k
	}
	return 1 + s.I + k*s.N
}

// Options tune a run of an experiment.
type Options struct {
	Seeds   uint64 // per cell; 0: the experiment's default
	Workers int
	Shard   Shard
	// Done holds cells finished by an earlier, interrupted run (by key):
	// they are not run again.
	Done map[CellKey]*Acc
	// Only, if set, are the cells (indices into the experiment's cells) to
	// run; the others are neither run nor returned.
	Only []int
	// OnSeed is called with each seed's reduction as it is added, in
	// order (progress, speed).
	OnSeed func(*Seed)
	// OnCell is called when cell i (an index into the experiment's cells)
	// has all its seeds, in cell order.
	OnCell func(i int, acc *Acc)
}

// Run runs the experiment's cells, seeds and cells in parallel on
// opts.Workers goroutines, and returns every cell's sums in cell order.
// Each cell's seeds are added in seed order and cells finish in cell
// order, whatever the number of workers; since the sums are of integers,
// any grouping of seeds into shards or resumed runs gives the same sums.
// When ctx is cancelled Run stops starting worlds and returns the cells
// that finished (nil for the others) with ctx's error.
func Run(ctx context.Context, e *Experiment, opts Options) ([]*Acc, error) {
	if opts.Seeds == 0 {
		opts.Seeds = e.Seeds
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	cells := e.Cells
	out := make([]*Acc, len(cells))
	var todo []int
	for i := range cells {
		if opts.Only != nil && !slices.Contains(opts.Only, i) {
			continue
		}
		if acc, ok := opts.Done[cells[i].Key(e)]; ok {
			out[i] = acc
			continue
		}
		todo = append(todo, i)
	}
	per := opts.Shard.Count(opts.Seeds)
	finish := func(i int) {
		if out[i] == nil {
			out[i] = &Acc{}
		}
		if opts.OnCell != nil {
			opts.OnCell(i, out[i])
		}
	}
	if per == 0 {
		for _, i := range todo {
			finish(i)
		}
		return out, nil
	}
	n := uint64(len(todo)) * per
	configOf := func(t uint64) world.Config {
		return cells[todo[t/per]].Config(opts.Shard.Seed(t % per))
	}
	err := runTasks(ctx, n, configOf, opts.Workers, ReduceSeed, func(t uint64, s Seed) {
		i := todo[t/per]
		if out[i] == nil {
			out[i] = &Acc{}
		}
		out[i].Add(&s)
		if opts.OnSeed != nil {
			opts.OnSeed(&s)
		}
		if t%per == per-1 {
			finish(i)
		}
	})
	if err != nil {
		// A cell cut short is not kept: only whole cells are results.
		for _, i := range todo {
			if out[i] != nil && out[i].Seeds < int64(per) {
				out[i] = nil
			}
		}
		return out, err
	}
	return out, nil
}

// TotalSeeds is how many worlds a run of opts will run: the cells not
// done, times the shard's seeds per cell.
func TotalSeeds(e *Experiment, opts Options) uint64 {
	seeds := opts.Seeds
	if seeds == 0 {
		seeds = e.Seeds
	}
	n := uint64(0)
	for i := range e.Cells {
		if _, ok := opts.Done[e.Cells[i].Key(e)]; !ok {
			n++
		}
	}
	return n * opts.Shard.Count(seeds)
}
