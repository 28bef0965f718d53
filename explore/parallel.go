package explore

import (
	"runtime"
	"slices"
	"sync"
)

// minUnits is how many subtrees a budget's tree is cut into at least (when
// it has that many): enough for 8 workers to take several each, so that a
// large subtree on one worker does not leave the others idle for long. It
// does not depend on the worker count, so the cut, and what a shard of it
// is, are the same on every machine.
const minUnits = 64

// plan is a budget's tree cut into units: the subtrees below the prefixes
// of one depth, and the schedules that end above it, in depth-first order.
// Searching every unit in order and adding their tallies is searching the
// tree.
type plan struct {
	roots [][]int
	// first is the run with no fault and no delay, the tree's first.
	first *chooser
	// trace is the trace hash of that run: it names the world.
	trace uint64
	// runs is what the expansion cost: one run per unit, each of which
	// the unit's search runs again as its first.
	runs int
}

// node is a prefix of the expansion with the run that takes it and then
// every default.
type node struct {
	prefix []int
	l      *leaf
}

// split expands the tree of budget (f, d) from the root, taking every
// alternative at every point, one depth at a time, until a depth holds
// at least target nodes or no run goes deeper. A node whose run met no
// point at its depth is a whole schedule and becomes a unit of its own
// (its taken choices as the root); every other node is the root of a
// unit. The rule reads only the tree, never the clock or the workers.
func (s *searcher) split(f, d, target int) (*plan, error) {
	l, err := s.run(nil, f, d)
	if err != nil {
		return nil, err
	}
	p := &plan{first: l.ch, trace: l.res.TraceHash, runs: 1}
	level := []node{{prefix: nil, l: l}}
	for depth := 0; len(level) < target; depth++ {
		var deeper []node
		grew := false
		for _, n := range level {
			if len(n.l.ch.points) <= depth {
				deeper = append(deeper, n)
				continue
			}
			grew = true
			// The default child takes the node's own run.
			deeper = append(deeper, node{prefix: n.l.ch.taken[:depth+1], l: n.l})
			for a := 1; a < n.l.ch.points[depth].Alts; a++ {
				prefix := append(slices.Clone(n.prefix), a)
				l, err := s.run(prefix, f, d)
				if err != nil {
					return nil, err
				}
				p.runs++
				deeper = append(deeper, node{prefix: prefix, l: l})
			}
		}
		level = deeper
		if !grew {
			break
		}
	}
	for _, n := range level {
		if len(n.l.ch.points) <= len(n.prefix) {
			p.roots = append(p.roots, slices.Clone(n.l.ch.taken))
		} else {
			p.roots = append(p.roots, slices.Clone(n.prefix))
		}
	}
	return p, nil
}

// done is one unit's search.
type done struct {
	t   *tally
	cut bool
	err error
	// limit is the run budget the unit was searched with (-1: none).
	limit int
}

// units searches the units of p whose indices are listed, on up to
// workers goroutines, each with a world of its own, and hands their
// tallies to merge in the order listed, which is depth-first. merge
// stops the search by returning false (a counterexample, a cut, an
// error); units already started then finish, and their runs are
// returned as wasted. limit bounds the runs of the listed units in that
// order (-1: no bound), so a cut falls where a single search would cut:
// a unit is searched with what its predecessors left at worst, and
// searched again with what they left exactly if it ran past that.
func (s *searcher) units(p *plan, f, d int, list []int, workers, limit int, merge func(i int, u done) bool) (wasted int) {
	if workers < 1 {
		workers = 1
	}
	workers = min(workers, len(list))
	var (
		mu       sync.Mutex
		next     int   // the next position of list to start
		finished []int // runs of each finished position, -1 until then
		stopped  bool
		results  = make([]chan done, len(list))
	)
	finished = make([]int, len(list))
	for i := range list {
		finished[i] = -1
		results[i] = make(chan done, 1)
	}
	// bound is the most runs position i may need: the limit less the
	// runs of its predecessors that have finished (the others may end
	// up taking some too).
	bound := func(i int) int {
		if limit < 0 {
			return -1
		}
		left := limit
		for _, r := range finished[:i] {
			if r > 0 {
				left -= r
			}
		}
		return max(left, 0)
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if stopped || next == len(list) {
					mu.Unlock()
					return
				}
				i := next
				next++
				lim := bound(i)
				mu.Unlock()
				t := newTally()
				cut, err := s.subtree(p.roots[list[i]], f, d, lim, t)
				mu.Lock()
				finished[i] = t.Runs
				mu.Unlock()
				results[i] <- done{t: t, cut: cut, err: err, limit: lim}
			}
		}()
	}
	left := limit
	i := 0
	for ; i < len(list); i++ {
		u := <-results[i]
		if limit >= 0 && u.err == nil && (u.t.Runs > left || (u.cut && u.limit != left)) {
			// It ran past what its predecessors left: search it
			// again within that, as a single search would have.
			wasted += u.t.Runs
			u.t = newTally()
			u.cut, u.err = s.subtree(p.roots[list[i]], f, d, left, u.t)
		}
		if limit >= 0 {
			left -= u.t.Runs
		}
		if !merge(list[i], u) {
			break
		}
	}
	mu.Lock()
	stopped = true
	mu.Unlock()
	wg.Wait()
	// What was started past the stop is spent for nothing.
	for j := i + 1; j < len(list); j++ {
		select {
		case u := <-results[j]:
			wasted += u.t.Runs
		default:
		}
	}
	return wasted
}

func allUnits(n int) []int {
	list := make([]int, n)
	for i := range list {
		list[i] = i
	}
	return list
}

// workersOf is the worker count of opt: GOMAXPROCS when unset, and one
// when a test watches the schedules (visit is not safe on goroutines and
// sees them in order).
func workersOf(opt Options) int {
	switch {
	case opt.visit != nil:
		return 1
	case opt.Workers > 0:
		return opt.Workers
	}
	return runtime.GOMAXPROCS(0)
}
