package explore

import (
	"runtime"
	"slices"
	"strconv"

	"github.com/idemsim/idemsim/internal/ordered"
)

// unitsPerWorker is how many units a budget's tree is cut into per
// worker (no unit looking larger than that share), so that a large unit
// met late leaves the others little to wait for; unitsPerShard the same
// for a shard, whose cut must not depend on the workers of the machine
// it runs on. With 4 per worker, two workers share the budget (1, 1)
// tree of select-for-update (1,455 runs) in 763 runs each, expansion
// included (TestUnitsBalanceTwoWorkers); finer cuts cost more expansion
// than they save.
const (
	unitsPerWorker = 4
	unitsPerShard  = 8
)

// plan is a budget's tree cut into units: the subtrees below prefixes
// none of which extends another, together the whole tree, in depth-first
// order. Searching every unit in order and adding their tallies is
// searching the tree.
type plan struct {
	roots [][]int
	// first is the run with no fault and no delay, the tree's first.
	first *chooser
	// trace is the trace hash of that run: it names the world.
	trace uint64
	// runs is what the expansion cost: at most one run per unit, each
	// then the first run of a unit's search (searcher.firsts), so
	// counted in its runs too; fewer than units since a unit that
	// keeps its first point's default starts with its parent's run.
	runs int
}

// splitNode is a unit of the expansion: the subtree below prefix, with the
// run that takes prefix and then every default; at is the first point
// past prefix with an alternative (-1: none, the subtree is that one
// schedule), and size a guess at its schedules (comb).
type splitNode struct {
	prefix []int
	l      *leaf
	at     int
	size   float64
}

func newSplitNode(prefix []int, l *leaf) splitNode {
	n := splitNode{prefix: prefix, l: l, at: -1}
	var points [3]int
	most, orders := 1, 1.0
	for i := len(prefix); i < len(l.ch.points); i++ {
		pt := l.ch.points[i]
		if pt.Alts > 1 {
			if n.at < 0 {
				n.at = i
			}
			points[pt.Kind]++
			switch pt.Kind {
			case DelayPoint:
				most = max(most, pt.Alts-1)
			case TiePoint:
				// Every order, an upper bound: a reduced search
				// runs fewer.
				orders = min(orders*float64(pt.Alts), 1e6)
			}
		}
	}
	n.size = combs(points[FaultPoint], l.ch.faultsLeft, 1) * combs(points[DelayPoint], l.ch.delaysLeft, most) * orders
	return n
}

// maxSplitRuns bounds what the expansion may spend, per unit wanted.
const maxSplitRuns = 16

// smallTree is the size below which a tree is not cut: it takes a few
// tens of milliseconds on one core, and the expansion, made on one
// goroutine before the workers start, would take a good share of that.
const smallTree = 256

// split cuts the tree of budget (f, d) into units: from the root, it
// replaces the unit that looks largest (first in depth-first order among
// equals) by its children at its first point with alternatives, until
// none looks larger than a target-th of the tree, or the expansion has
// spent maxSplitRuns runs per unit wanted. How large a subtree looks is what a comb of its points would
// hold within its budget left: a search's tree is mostly the subtree
// that keeps every default, which a cut at one depth would leave whole.
// The rule reads only the tree, never the clock or the workers.
func (s *searcher) split(f, d, target int) (*plan, error) {
	l, err := s.run(nil, f, d)
	if err != nil {
		return nil, err
	}
	p := &plan{first: l.ch, trace: l.res.TraceHash, runs: 1}
	nodes := []splitNode{newSplitNode(nil, l)}
	// Each unit's search starts with the run its splitNode already made.
	defer func() {
		s.firsts = map[string]*leaf{}
		for _, n := range nodes {
			s.firsts[prefixKey(n.prefix, f, d)] = n.l
		}
	}()
	for p.runs < maxSplitRuns*target {
		best, total := -1, 0.0
		for i, n := range nodes {
			total += n.size
			if n.at >= 0 && (best < 0 || n.size > nodes[best].size) {
				best = i
			}
		}
		if best < 0 || total < smallTree || nodes[best].size*float64(target) <= total {
			break
		}
		n := nodes[best]
		children := make([]splitNode, n.l.ch.points[n.at].Alts)
		for a := range children {
			prefix := append(slices.Clone(n.l.ch.taken[:n.at]), a)
			l := n.l // the default child takes the splitNode's own run
			if a > 0 {
				if l, err = s.run(prefix, f, d); err != nil {
					return nil, err
				}
				p.runs++
			}
			children[a] = newSplitNode(prefix, l)
		}
		nodes = slices.Replace(nodes, best, best+1, children...)
	}
	for _, n := range nodes {
		p.roots = append(p.roots, n.prefix)
	}
	return p, nil
}

// done is one unit's search.
type done struct {
	t   *tally
	cut bool
	err error
}

// units searches the units of p whose indices are listed, on up to
// workers goroutines (internal/ordered), each with a world of its own,
// and hands their tallies to merge in the order listed, which is
// depth-first. merge stops the search by returning false (a
// counterexample, a cut, an error); units already started then finish,
// and their runs are returned as wasted. limit bounds the runs of the
// listed units in that order (-1: no bound), so a cut falls where a
// single search would cut: a unit is searched with what its finished
// predecessors left, which is at least what it is due, and searched
// again with what they all left if it ran past that.
func (s *searcher) units(p *plan, f, d int, list []int, workers, limit int, merge func(i int, u done) bool) (wasted int) {
	left := limit
	spilled := ordered.Run(len(list), workers, func(i int, before []*done) done {
		lim := limit
		if limit >= 0 {
			for _, b := range before {
				if b != nil {
					lim -= b.t.Runs
				}
			}
			lim = max(lim, 0)
		}
		t := newTally()
		cut, err := s.subtree(p.roots[list[i]], f, d, lim, t)
		return done{t: t, cut: cut, err: err}
	}, func(i int, u done) bool {
		if limit >= 0 && u.err == nil && u.t.Runs > left {
			// It ran past what its predecessors left: search it
			// again within that, as a single search would have.
			wasted += u.t.Runs
			u.t = newTally()
			u.cut, u.err = s.subtree(p.roots[list[i]], f, d, left, u.t)
		}
		if limit >= 0 {
			left -= u.t.Runs
		}
		return merge(list[i], u)
	})
	for _, u := range spilled {
		wasted += u.t.Runs
	}
	return wasted
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

// prefixKey names a prefix of a budget's tree in searcher.firsts.
func prefixKey(prefix []int, f, d int) string {
	b := strconv.AppendInt(nil, int64(f), 10)
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(d), 10)
	for _, a := range prefix {
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(a), 10)
	}
	return string(b)
}
