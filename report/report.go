package report

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
)

// Options say where the results are and how hard to shrink.
type Options struct {
	// Dir is the results directory: it holds NAME/cells.json per
	// experiment and claims.txt; the plots go beside each cells.json, the
	// swarm's counterexamples into counterexamples/, and the page,
	// index.html, into Dir.
	Dir string
	// MaxShrinkRuns bounds the worlds tried per counterexample (0:
	// DefaultMaxShrinkRuns).
	MaxShrinkRuns int
}

// Summary is what Build read and wrote.
type Summary struct {
	Experiments     []*Experiment
	Headline        *Headline // nil without the isolation experiment
	Claims          []Claim
	Counterexamples []Counterexample
	Written         []string // every file written, the page last
}

// Build draws every experiment's figures, shrinks the swarm's failures,
// and writes the page. Reading fails before anything is written: a
// missing or malformed cells.json or claims.txt is an error naming it.
func Build(o Options) (*Summary, error) {
	if o.MaxShrinkRuns == 0 {
		o.MaxShrinkRuns = DefaultMaxShrinkRuns
	}
	xs, err := Load(o.Dir)
	if err != nil {
		return nil, err
	}
	cl, err := ReadClaims(filepath.Join(o.Dir, ClaimsFile))
	if err != nil {
		return nil, err
	}
	sum := &Summary{Experiments: xs, Claims: cl}
	data := pageData{Claims: cl}
	for _, name := range Order {
		if !slices.ContainsFunc(xs, func(x *Experiment) bool { return x.Name == name }) {
			data.Missing = append(data.Missing, name)
		}
	}
	for _, x := range xs {
		figs := Figures(x)
		files, err := render(filepath.Dir(x.Path), figs)
		if err != nil {
			return nil, fmt.Errorf("report: %s: %w", x.Name, err)
		}
		if err := WriteFiles(files...); err != nil {
			return nil, err
		}
		for _, f := range files {
			sum.Written = append(sum.Written, f.Path)
		}
		data.Experiments = append(data.Experiments, newPageExperiment(x, figs))
		if x.Name == "isolation" {
			h := HeadlineOf(x)
			sum.Headline, data.Headline = &h, &h
		}
		if x.Swarm != nil {
			data.SwarmRan = true
			cx, err := counterexamples(x, o.MaxShrinkRuns)
			if err != nil {
				return nil, err
			}
			sum.Counterexamples = append(sum.Counterexamples, cx...)
		}
	}
	if data.SwarmRan {
		written, err := writeCounterexamples(filepath.Join(o.Dir, CounterexamplesDir), sum.Counterexamples)
		if err != nil {
			return nil, err
		}
		sum.Written = append(sum.Written, written...)
	}
	data.Counterexamples = sum.Counterexamples
	html, err := page(data)
	if err != nil {
		return nil, err
	}
	index := filepath.Join(o.Dir, PageFile)
	if err := WriteFiles(File{Path: index, Data: html}); err != nil {
		return nil, err
	}
	sum.Written = append(sum.Written, index)
	return sum, nil
}

// parallel runs f(0..n-1) on up to GOMAXPROCS goroutines and returns the
// first error by index, so the outcome does not depend on scheduling.
func parallel(n int, f func(i int) error) error {
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(n, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = f(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}

// render draws every figure as SVG and PNG, files in dir.
func render(dir string, figs []Figure) ([]File, error) {
	files := make([]File, 2*len(figs))
	err := parallel(len(figs), func(i int) error {
		svg, err := figs[i].SVG()
		if err != nil {
			return fmt.Errorf("%s.svg: %w", figs[i].Name, err)
		}
		png, err := figs[i].PNG()
		if err != nil {
			return fmt.Errorf("%s.png: %w", figs[i].Name, err)
		}
		files[2*i] = File{Path: filepath.Join(dir, figs[i].Name+".svg"), Data: svg}
		files[2*i+1] = File{Path: filepath.Join(dir, figs[i].Name+".png"), Data: png}
		return nil
	})
	return files, err
}

// counterexamples shrinks each of the swarm's failures, in its order, and
// keeps the shortest of each strategy.
func counterexamples(x *Experiment, maxRuns int) ([]Counterexample, error) {
	fs := x.Swarm.Failures
	all := make([]*Counterexample, len(fs))
	err := parallel(len(fs), func(i int) error {
		c, err := shrinkFailure(fs[i], maxRuns)
		if err != nil {
			return fmt.Errorf("report: %s: swarm.failures[%d] (%s at %s, seed %d): %w", x.Path, i, fs[i].Strategy, fs[i].Isolation, fs[i].Seed, err)
		}
		all[i] = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Each wrong strategy once, by its shortest counterexample: the fewest
	// faults, then operations, then clients; the first listed on a tie.
	var out []Counterexample
	best := map[string]int{}
	for _, c := range all {
		i, seen := best[c.Strategy]
		switch {
		case !seen:
			best[c.Strategy] = len(out)
			out = append(out, *c)
		case shorter(c, &out[i]):
			out[i] = *c
		}
	}
	return out, nil
}

// shorter reports whether a is a shorter counterexample than b.
func shorter(a, b *Counterexample) bool {
	ka := [3]int{a.To.Faults, a.To.Clients * a.To.Ops, a.To.Clients}
	kb := [3]int{b.To.Faults, b.To.Clients * b.To.Ops, b.To.Clients}
	return slices.Compare(ka[:], kb[:]) < 0
}
