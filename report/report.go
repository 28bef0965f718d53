package report

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"

	"github.com/idemsim/idemsim/internal/crash"
	"github.com/idemsim/idemsim/models"
)

// Options say where the results are and how hard to shrink.
type Options struct {
	// Dir is the results directory: it holds NAME/cells.json per
	// experiment, claims.txt and edge-cases.md; the plots and the
	// experiment's page go beside each cells.json, the swarm's
	// counterexamples into counterexamples/, the strategies' pages into
	// strategies/, and the index, index.html, into Dir.
	Dir string
	// MaxShrinkRuns bounds the worlds tried per counterexample (0:
	// DefaultMaxShrinkRuns).
	MaxShrinkRuns int
}

// Summary is what Build read and wrote.
type Summary struct {
	Experiments     []*Experiment
	Headline        *Table // nil without the isolation experiment
	Claims          []Claim
	Counterexamples []Counterexample
	Pages           int      // HTML pages written
	Written         []string // every file written, the index page last
}

// Build draws every experiment's figures, shrinks the swarm's failures,
// and writes the pages: the index, one per experiment, one per strategy,
// the claims and the edge cases. Plots and pages an earlier build wrote
// that this one does not are removed. Reading fails before anything is
// written: a missing or malformed cells.json, a stale claims.txt or an
// edge-cases.md without a table is an error naming it; a results
// directory without claims.txt or edge-cases.md gets pages that say how
// to make them.
func Build(o Options) (*Summary, error) {
	if o.MaxShrinkRuns == 0 {
		o.MaxShrinkRuns = DefaultMaxShrinkRuns
	}
	xs, err := Load(o.Dir)
	if err != nil {
		return nil, err
	}
	claimsPath := filepath.Join(o.Dir, ClaimsFile)
	var cl []Claim
	_, err = os.Stat(claimsPath)
	claimsMissing := errors.Is(err, fs.ErrNotExist)
	if !claimsMissing {
		if cl, err = ReadClaims(claimsPath); err != nil {
			return nil, err
		}
	}
	edge, err := ReadEdgeCases(filepath.Join(o.Dir, EdgeCasesFile))
	if err != nil {
		return nil, err
	}
	sum := &Summary{Experiments: xs, Claims: cl}
	index := indexData{page: page{Title: "idemsim: what a server should do with a repeated idempotency key"},
		ClaimsMissing: claimsMissing, Claims: cl, EdgeMissing: edge == nil, HeadlineMissing: true}
	for _, x := range xs {
		if x.Name != HeadlineExperiment {
			continue
		}
		h, err := HeadlineOf(x)
		if err != nil {
			return nil, err
		}
		sum.Headline, index.HeadlineMissing = &h, false
		index.Headline = h.HTML("headline-table", "")
	}
	var score *Table
	if len(xs) > 0 {
		t := ScorecardOf(xs)
		score = &t
		index.Scorecard = t.HTML("scorecard-table", "")
	}
	if edge != nil {
		index.Edge = edge.TableHTML("")
	}
	for _, name := range Order {
		if !slices.ContainsFunc(xs, func(x *Experiment) bool { return x.Name == name }) {
			index.Missing = append(index.Missing, name)
		}
	}
	write := func(files ...File) error {
		if err := WriteFiles(files...); err != nil {
			return err
		}
		for _, f := range files {
			sum.Written = append(sum.Written, f.Path)
		}
		return nil
	}
	figures := make([][]Figure, len(xs))
	for i, x := range xs {
		figures[i] = Figures(x)
		files, err := renderFigures(filepath.Dir(x.Path), figures[i])
		if err != nil {
			return nil, fmt.Errorf("report: %s: %w", x.Name, err)
		}
		if err := write(files...); err != nil {
			return nil, err
		}
		if err := removeStale(filepath.Dir(x.Path), []string{"*.png", "*.svg"}, files); err != nil {
			return nil, err
		}
		index.Experiments = append(index.Experiments, experimentSummaryOf(x, figures[i]))
		if x.Swarm != nil {
			index.SwarmRan = true
			cx, err := counterexamples(x, o.MaxShrinkRuns)
			if err != nil {
				return nil, err
			}
			sum.Counterexamples = append(sum.Counterexamples, cx...)
		}
	}
	if index.SwarmRan {
		written, err := writeCounterexamples(filepath.Join(o.Dir, CounterexamplesDir), sum.Counterexamples)
		if err != nil {
			return nil, err
		}
		sum.Written = append(sum.Written, written...)
	}
	index.Counterexamples = sum.Counterexamples
	index.Strategies = strategiesTable().HTML("strategies-table", "")

	var pagesOut []File
	add := func(rel, tmpl string, data any) error {
		b, err := render(tmpl, data)
		if err != nil {
			return err
		}
		pagesOut = append(pagesOut, File{Path: filepath.Join(o.Dir, filepath.FromSlash(rel)), Data: b})
		return nil
	}
	for i, x := range xs {
		_, err := os.Stat(filepath.Join(filepath.Dir(x.Path), "cells.csv"))
		if err := add(ExperimentPage(x.Name), "experiment", newExperimentData(x, figures[i], err == nil, sum.Counterexamples)); err != nil {
			return nil, err
		}
	}
	if err := mkdir(filepath.Join(o.Dir, StrategiesDir)); err != nil {
		return nil, err
	}
	var strategyFiles []File
	for _, name := range models.Names() {
		d, err := strategyPage(name, xs, score, edge, sum.Counterexamples, cl, claimsMissing)
		if err != nil {
			return nil, err
		}
		if err := add(StrategyPage(name), "strategy", d); err != nil {
			return nil, err
		}
		strategyFiles = append(strategyFiles, pagesOut[len(pagesOut)-1])
	}
	if err := add(ClaimsPage, "claims", claimsData{page: page{Title: "idemsim: the thread's claims", Crumb: "claims"}, Claims: cl}); err != nil {
		return nil, err
	}
	if edge != nil {
		body := edgeData{page: page{Title: "idemsim: the edge cases", Crumb: "edge cases"}, Body: blocksHTML(edge.Blocks, "")}
		if err := add(EdgeCasesPage, "edge", body); err != nil {
			return nil, err
		}
	}
	if err := add(PageFile, "index", index); err != nil {
		return nil, err
	}
	if err := write(pagesOut...); err != nil {
		return nil, err
	}
	sum.Pages = len(pagesOut)
	if err := removeStale(filepath.Join(o.Dir, StrategiesDir), []string{"*.html"}, strategyFiles); err != nil {
		return nil, err
	}
	if edge == nil {
		if err := removeStale(o.Dir, []string{EdgeCasesPage}, nil); err != nil {
			return nil, err
		}
	}
	return sum, nil
}

// removeStale removes the files in dir that match one of patterns and
// are not among kept: what an earlier build wrote and this one no longer
// does (a plot of a metric that now has nothing to show, the page of a
// strategy that is gone). Only regular files go: a directory, a symbolic
// link or a device of the same name is not one the report wrote.
func removeStale(dir string, patterns []string, kept []File) error {
	keep := map[string]bool{}
	for _, f := range kept {
		keep[filepath.Clean(f.Path)] = true
	}
	for _, p := range patterns {
		old, err := filepath.Glob(filepath.Join(dir, p))
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		for _, f := range old {
			if !keep[filepath.Clean(f)] {
				if err := removeRegular(f); err != nil {
					return fmt.Errorf("report: %w", err)
				}
			}
		}
	}
	return nil
}

// mkdir makes dir if it is missing; something else of its name (a file, a
// named pipe) is bad input, an *InputError.
func mkdir(dir string) error {
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return inputErr("report: %s is not a directory (accepted: a directory, or none: it is made)", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// removeRegular removes path if it is a regular file, and leaves anything
// else that has its name.
func removeRegular(path string) error {
	st, err := os.Lstat(path)
	if err != nil || !st.Mode().IsRegular() {
		return nil
	}
	return os.Remove(path)
}

// parallel runs f(0..n-1) on up to GOMAXPROCS goroutines and returns the
// first error by index, so the outcome does not depend on scheduling. A
// panic of f panics again on the caller's goroutine (the first by index),
// where the command recovers it.
func parallel(n int, f func(i int) error) error {
	errs := make([]error, n)
	crashes := make([]*crash.Panic, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(n, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				crashes[i] = crash.Catch(func() { errs[i] = f(i) })
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, p := range crashes {
		if p != nil {
			panic(p)
		}
	}
	return errors.Join(errs...)
}

// renderFigures draws every figure as SVG and PNG, files in dir.
func renderFigures(dir string, figs []Figure) ([]File, error) {
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
