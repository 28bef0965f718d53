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
	// Ties counts the same-instant ties met over the schedules, each left
	// in the kernel's order: what a schedule search would explore.
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
	// Found is the first counterexample, or nil.
	Found *Counterexample
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

// run runs cfg (prepared) with the prefix and budgets.
func run(cfg world.Config, menu *Menu, tq *[numStreams]float64, prefix []int, maxF, maxD int) (*leaf, error) {
	ch := &chooser{base: sim.NewSeeded(cfg.Seed), menu: menu, prefix: prefix, timeoutQ: tq, faultsLeft: maxF, delaysLeft: maxD}
	res, err := world.RunWith(cfg, ch)
	if err != nil {
		return nil, err
	}
	return &leaf{res: res, ch: ch, faults: maxF - ch.faultsLeft, delays: maxD - ch.delaysLeft}, nil
}

// Search explores cfg (a world as the run flags build it) within the
// options' bounds. Budgets are deepened one step at a time, faults 0..K
// and within each delays 0..D, and each budget's tree is searched depth
// first: a schedule is new at the first budget that allows exactly its
// faults and delays, so the first violation found has the fewest faults,
// then the fewest delays. It stops at the first violation.
func Search(cfg world.Config, opt Options) (*Result, error) {
	cfg = opt.Menu.Prepare(cfg)
	tq := timeouts(&cfg)
	r := &Result{Bounds: opt.Bounds, Menu: opt.Menu}
	states := map[uint64]bool{}
	for f := 0; f <= opt.Bounds.Faults; f++ {
		for d := 0; d <= opt.Bounds.Delays; d++ {
			done, err := r.searchBudget(cfg, &opt, tq, f, d, states)
			if err != nil || done {
				return r, err
			}
		}
	}
	return r, nil
}

// searchBudget searches the tree of budget (f, d) depth first, auditing
// the schedules with exactly f faults and d delays. It reports whether the
// search is over (a counterexample, or the run budget spent).
func (r *Result) searchBudget(cfg world.Config, opt *Options, tq *[numStreams]float64, f, d int, states map[uint64]bool) (bool, error) {
	var prefix []int
	for {
		if r.Bounds.Runs > 0 && r.Runs >= r.Bounds.Runs {
			r.Cut = true
			return true, nil
		}
		l, err := run(cfg, &opt.Menu, tq, prefix, f, d)
		if err != nil {
			return true, err
		}
		r.Runs++
		if r.Runs == 1 {
			r.root(l.ch)
		}
		if l.faults == f && l.delays == d {
			r.Schedules++
			r.Ties += l.ch.ties
			for _, p := range l.ch.points {
				if p.Kind == FaultPoint {
					r.FaultPoints++
				} else {
					r.DelayPoints++
				}
			}
			states[finalState(l.res)] = true
			r.States = len(states)
			if opt.visit != nil {
				opt.visit(l.res, len(l.ch.points))
			}
			if v := Violations(l.res); len(v) > 0 {
				r.Found = &Counterexample{Faults: l.res.Faults, Trail: Trail{Delays: l.ch.trail}, Violations: v, TraceHash: l.res.TraceHash}
				return true, nil
			}
		}
		var ok bool
		if prefix, ok = next(l.ch.points, l.ch.taken); !ok {
			return false, nil
		}
	}
}

// next is the depth-first successor of a run that met points and took
// taken: the deepest point with an alternative left takes it, and what
// came after it is dropped. ok is false when the tree is exhausted.
func next(points []Point, taken []int) ([]int, bool) {
	for i := len(points) - 1; i >= 0; i-- {
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
		if p.Kind == FaultPoint {
			r.RootFaults[p.Fault]++
		} else {
			r.RootDelays[p.Stream]++
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
