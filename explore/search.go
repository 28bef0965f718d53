package explore

import (
	"fmt"
	"hash/fnv"
	"slices"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/world"
)

// Bounds are a search's budgets: at most Faults faults and Delays delays
// per schedule, and at most Runs runs in all (0: no cut).
type Bounds struct {
	Faults, Delays int
	Runs           int
}

// Result is what a search covered and what it found.
type Result struct {
	Bounds Bounds
	Menu   Menu
	// Root counts the choice points of the run with no fault and no
	// delay, by fault kind and by latency stream, and its ties.
	RootFaults [numFaults]int
	RootDelays [numStreams]int
	RootTies   int
	// Runs counts every run, Schedules the distinct ones (a schedule is
	// run again at each deeper budget, and counted once).
	Runs, Schedules int
	// Ties counts the same-instant ties met over the schedules.
	Ties int
	// FaultPoints and DelayPoints count the choice points of each kind
	// met over the schedules.
	FaultPoints, DelayPoints int
	// States counts the distinct final states: the ledger (each effect's
	// source, id, operation, amount and whether it was deleted) and every
	// client's conclusion (belief, status and resource), times left out.
	States int
	// Cut: the search stopped at Bounds.Runs before it was exhausted.
	Cut bool
	// TieMode is how ties were explored. TiePoints counts the ties met
	// over the schedules that had two live events or more (the choice
	// points; the others' order changes nothing), RootTiePoints those of
	// the first run. With TiesDPOR each schedule is one class of
	// equivalent orders, and Blocked counts the runs a sleep set showed
	// redundant before they ended (run, neither audited nor counted as
	// schedules).
	TieMode       TieMode
	TiePoints     int
	RootTiePoints int
	Blocked       int
	// Found is the first counterexample, or nil.
	Found *Counterexample
	// SplitRuns counts the runs made, on one goroutine, to cut each
	// budget's tree into units for the workers: each is the first run
	// of a unit, and in Runs once that unit is searched. Wasted counts
	// the runs workers spent past the first counterexample or the cut,
	// which are not in Runs: Runs is the same for every worker count
	// and shard count.
	SplitRuns, Wasted int
	// Estimate is Knuth's estimate of the bounds' size when the search
	// was cut, or nil.
	Estimate *Estimate
}

// Counterexample is a schedule whose run the oracles find wrong.
type Counterexample struct {
	Faults     []faults.Fault // the faults that fired, replayable
	Trail      Trail
	Violations []string
	TraceHash  uint64
}

// Options are what a search runs beside its bounds.
type Options struct {
	Menu   Menu
	Bounds Bounds
	// Workers search a budget's subtrees at once (0: GOMAXPROCS).
	Workers int
	// Probes is how many random runs per budget Knuth's estimate of a
	// cut search takes (0: defaultProbes; < 0: no estimate).
	Probes int
	// Ties is how same-instant orders are explored (the zero value keeps
	// the kernel's).
	Ties TieMode
	// visit, for tests, sees each schedule's run.
	visit func(res *world.Result, points int)
}

// leaf is one run of the search.
type leaf struct {
	res    *world.Result
	ch     *chooser
	faults int
	delays int
}

// searcher runs the schedules of one prepared world.
type searcher struct {
	cfg   world.Config // prepared by the menu
	menu  *Menu
	tq    *[numStreams]float64
	visit func(res *world.Result, points int)
	// firsts are the runs the cut of a tree into units made, each the
	// first run of a unit, by its prefix (parallel.go); read only while
	// the units are searched.
	firsts map[string]*leaf
	ties   TieMode
	// past: go on past a violation (tests that compare whole trees).
	past bool
	// audited, for tests, sees each audited schedule's run and chooser.
	audited func(l *leaf)
}

// run runs the world with the prefix and budgets.
func (s *searcher) run(prefix []int, maxF, maxD int) (*leaf, error) {
	if l, ok := s.firsts[prefixKey(prefix, maxF, maxD)]; ok {
		return l, nil
	}
	return s.runPath(prefix, maxF, maxD, nil)
}

// runPath is run for a DPOR search, whose nodes of the path the prefix
// names are stack.
func (s *searcher) runPath(prefix []int, maxF, maxD int, stack []*node) (*leaf, error) {
	ch := &chooser{base: sim.NewSeeded(s.cfg.Seed), menu: s.menu, prefix: prefix, timeoutQ: s.tq, faultsLeft: maxF, delaysLeft: maxD, mode: s.ties}
	var sc sim.Chooser = ch
	if s.ties == TiesDPOR {
		ch.dpor = &dporRun{stack: stack, streams: &streamResources, rec: recorder{cur: -1, events: make([]event, 0, 128), parents: make([]uint64, 0, 256), owners: map[string]uint64{}}}
		sc = dporChooser{ch}
	}
	res, err := world.RunWith(s.cfg, sc)
	if err != nil {
		return nil, err
	}
	return &leaf{res: res, ch: ch, faults: maxF - ch.faultsLeft, delays: maxD - ch.delaysLeft}, nil
}

// tally is what searching part of a tree counted. The tallies of disjoint
// subtrees add up (add), so that workers can search subtrees apart.
type tally struct {
	Runs, Schedules int
	Ties            int
	FaultPoints     int
	DelayPoints     int
	TiePoints       int
	Blocked         int
	states          map[uint64]bool
	// Found is the first counterexample in depth-first order.
	Found *Counterexample
	// first is the tree's first run, whose choice points the result
	// reports as the root's; only the subtree with the empty root has it.
	first *chooser
}

func newTally() *tally { return &tally{states: map[uint64]bool{}} }

// add counts u's schedules in t. The caller adds subtrees in depth-first
// order, and stops at the first that found a counterexample, so Found is
// the one a single search would have found.
func (t *tally) add(u *tally) {
	t.Runs += u.Runs
	t.Schedules += u.Schedules
	t.Ties += u.Ties
	t.FaultPoints += u.FaultPoints
	t.DelayPoints += u.DelayPoints
	t.TiePoints += u.TiePoints
	t.Blocked += u.Blocked
	for h := range u.states {
		t.states[h] = true
	}
	if t.Found == nil {
		t.Found = u.Found
	}
	if t.first == nil {
		t.first = u.first
	}
}

// Search explores cfg (a world as the run flags build it) within the
// options' bounds. Budgets are deepened one step at a time, faults 0..K
// and within each delays 0..D, and each budget's tree is searched depth
// first: a schedule is new at the first budget that allows exactly its
// faults and delays, so the first violation found has the fewest faults,
// then the fewest delays. It stops at the first violation. Each budget's
// tree is cut into subtrees that opt.Workers search at once
// (parallel.go); the result does not depend on how many.
func Search(cfg world.Config, opt Options) (*Result, error) {
	p, err := searchPart(cfg, opt, Shard{})
	if err != nil {
		return nil, err
	}
	return mergeParts([]*part{p})
}

// report fills r from what the search counted.
func (r *Result) report(t *tally) {
	r.Runs, r.Schedules, r.Ties = t.Runs, t.Schedules, t.Ties
	r.FaultPoints, r.DelayPoints = t.FaultPoints, t.DelayPoints
	r.TiePoints, r.Blocked = t.TiePoints, t.Blocked
	r.States = len(t.states)
	r.Found = t.Found
	if t.first != nil {
		r.root(t.first)
	}
}

// subtree searches depth first the tree of budget (f, d) below root: every
// schedule whose first len(root) choices are root's (the points above are
// never changed), auditing those with exactly f faults and d delays into
// t. It stops at the first violation, or, when limit >= 0, after limit
// runs, and then reports cut.
func (s *searcher) subtree(root []int, f, d, limit int, t *tally) (cut bool, err error) {
	prefix := slices.Clone(root)
	var stack []*node // a DPOR search's nodes of the path
	for {
		if limit >= 0 && t.Runs >= limit {
			return true, nil
		}
		l, err := s.runPath(prefix, f, d, stack)
		if err != nil {
			return false, err
		}
		t.Runs++
		if len(root) == 0 && t.first == nil {
			t.first = l.ch
		}
		blocked := false
		if dp := l.ch.dpor; dp != nil {
			stack = absorb(dp, l.ch.points, l.ch.taken, stack, len(root))
			blocked = dp.blocked
		}
		switch {
		case l.faults != f || l.delays != d:
		case blocked:
			t.Blocked++
		default:
			t.Schedules++
			t.Ties += l.ch.ties
			for _, p := range l.ch.points {
				switch p.Kind {
				case FaultPoint:
					t.FaultPoints++
				case DelayPoint:
					t.DelayPoints++
				case TiePoint:
					t.TiePoints++
				}
			}
			t.states[finalState(l.res)] = true
			if s.audited != nil {
				s.audited(l)
			}
			if s.visit != nil {
				s.visit(l.res, len(l.ch.points))
			}
			if v := Violations(l.res); len(v) > 0 {
				if t.Found == nil {
					t.Found = &Counterexample{Faults: l.res.Faults, Trail: Trail{Delays: l.ch.trail, Ties: l.ch.tieTrail}, Violations: v, TraceHash: l.res.TraceHash}
				}
				if !s.past {
					return false, nil
				}
			}
		}
		var ok bool
		if stack == nil {
			prefix, ok = next(l.ch.points, l.ch.taken, len(root))
		} else {
			prefix, stack, ok = nextDPOR(l.ch.points, l.ch.taken, stack, len(root))
		}
		if !ok {
			return false, nil
		}
	}
}

// next is the depth-first successor of a run that met points and took
// taken: the deepest point at or below floor with an alternative left
// takes it, and what came after it is dropped. ok is false when the
// subtree below the first floor points is exhausted.
func next(points []Point, taken []int, floor int) ([]int, bool) {
	for i := len(points) - 1; i >= floor; i-- {
		if taken[i]+1 < points[i].Alts {
			prefix := slices.Clone(taken[:i+1])
			prefix[i]++
			return prefix, true
		}
	}
	return nil, false
}

func (r *Result) root(c *chooser) {
	for _, p := range c.points {
		switch p.Kind {
		case FaultPoint:
			r.RootFaults[p.Fault]++
		case DelayPoint:
			r.RootDelays[p.Stream]++
		case TiePoint:
			r.RootTiePoints++
		}
	}
	r.RootTies = c.ties
}

// finalState hashes what a run ended with: its ledger and its clients'
// conclusions, without the moments, so that two schedules that differ
// only in timing count once.
func finalState(res *world.Result) uint64 {
	h := fnv.New64a()
	for _, row := range res.Ledger {
		fmt.Fprintf(h, "%s|%s|%s|%d|%t\n", row.Source, row.ID, row.Op, row.Amount, row.Deleted)
	}
	for _, o := range res.Outcomes {
		fmt.Fprintf(h, "%s|%s|%d|%d|%s\n", o.Client, o.Op, o.Belief, o.Status, o.Resource)
	}
	return h.Sum64()
}

// safety are the audit's kinds a counterexample is made of: those that
// break what a client was promised. Stuck and unconfirmed operations are
// about availability, as in the scorecard, and do not count.
var safety = []check.Kind{check.Duplicate, check.Lost, check.WrongAnswer, check.OrphanCharge}

// Violations is what the oracles find wrong in a run: the audit's
// violations of the safety kinds, and every partition porcupine finds
// illegal (searched within a budget of steps, not of time, so that the
// verdict depends on the run alone). A run stopped at a limit is a
// violation too: it never finished.
func Violations(res *world.Result) []string {
	var out []string
	if world.StoppedShort(res.Stop) {
		out = append(out, "stopped at "+string(res.Stop)+" before it finished")
	}
	rep := check.Audit(res)
	for _, v := range rep.Violations {
		if slices.Contains(safety, v.Kind) {
			out = append(out, v.String())
		}
	}
	lin, err := check.LinearizeWithin(res, 0)
	if err != nil {
		return append(out, "porcupine: "+err.Error())
	}
	for _, p := range lin.Partitions {
		if p.Verdict == check.Illegal {
			out = append(out, fmt.Sprintf("nonlinearizable %v: porcupine finds no order the contract allows (breach %s)", p.Ops, p.Breach))
		}
	}
	return out
}
