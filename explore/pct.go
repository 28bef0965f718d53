package explore

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/world"
)

// PCT samples schedules past the bounds a search can exhaust, with the
// probabilistic concurrency testing scheduler of Burckhardt, Kothari,
// Musuvathi and Nagarakatte (ASPLOS 2010) over the explorer's chooser.
// Each run gives every owner of a same-instant event (sim.Tie.Owner: an
// actor, a node a message goes to) a random priority, distinct and above
// Depth, and draws Depth-1 change points among the run's ties; at a tie
// the event of the highest-priority owner runs first (events of one owner
// keep their scheduling order), and at the i-th change point the owner
// that would run drops to priority Depth-i. A bug of depth d (d ordering
// constraints) is then hit with probability at least 1/(n k^(d-1)) for n
// owners and k ties. Faults and delays are drawn the same way: each run
// takes a number of faults uniform in 0..Bounds.Faults, at positions drawn
// among the fault points of the run with no fault, and likewise delays
// (their class uniform among those the stream has).
//
// All randomness comes from PCG streams seeded with the world's seed and
// the run's index, never from the clock: the same options give the same
// runs, and run i does not depend on the runs before it.
type PCTOptions struct {
	Menu   Menu
	Bounds Bounds // the fault and delay budgets of a run (Runs is not read)
	Depth  int    // the bug depth aimed at (1: no change point)
	Runs   int    // how many runs
}

// PCTResult is what the sampling covered and found.
type PCTResult struct {
	Options PCTOptions
	// Owners and Ties are the tie owners and same-instant ties of the run
	// with no fault and no delay: k, over which change points are drawn,
	// is its ties.
	Owners, RootTies int
	// FaultPoints and DelayPoints are that run's choice points of each
	// kind, over which faults and delays are drawn.
	FaultPoints, DelayPoints int
	// Runs counts the runs made (up to the first violation), Ties the
	// ties met over them, Reordered those whose first event was not the
	// earliest scheduled.
	Runs, Ties, Reordered int
	// States counts the distinct final states (as a search counts them).
	States int
	// Found is the first counterexample, Run its run's index (from 1).
	Found *Counterexample
	Run   int
}

// pctStream tells the PCT streams from any other PCG seeded with the
// world's seed.
const pctStream = 0x5043545f73636864

// pctChooser is one PCT run's chooser: faults, delays and tie orders as
// the run's draws say, every other draw from the seed's streams.
type pctChooser struct {
	base     *sim.Seeded
	menu     *Menu
	timeoutQ *[numStreams]float64
	rng      *rand.Rand
	depth    int

	// faultAt and delayAt are the indices of the fault points and delay
	// points that take a fault or leave the median.
	faultAt, delayAt []int
	// change are the indices of the ties that are change points, in
	// increasing order.
	change []int

	prio              map[string]int
	owners            int
	faults, delayN    int // fault points and delay points met
	latency           int // draws on latency streams, the trail's index
	ties, reordered   int
	nextChange, lower int
	trail             Trail
}

// Flip implements sim.Chooser: a fault point takes its fault when the run
// drew its index.
func (c *pctChooser) Flip(s sim.Stream, p float64) bool {
	if _, ok := c.menu.kindOf(p); !faultStream(s) || !ok {
		return c.base.Flip(s, p)
	}
	i := c.faults
	c.faults++
	return slices.Contains(c.faultAt, i)
}

// Quantile implements sim.Chooser: a delay point leaves the median, for a
// class drawn among its stream's, when the run drew its index.
func (c *pctChooser) Quantile(s sim.Stream) float64 {
	if !latencyStream(s) {
		return c.base.Quantile(s)
	}
	n := c.latency
	c.latency++
	i := c.delayN
	c.delayN++
	if !slices.Contains(c.delayAt, i) {
		return medianQ
	}
	classes := []Class{Early, Late}
	if c.timeoutQ[s] > 0 {
		classes = append(classes, PastTimeout)
	}
	cl := classes[c.rng.IntN(len(classes))]
	q := (&chooser{timeoutQ: c.timeoutQ}).quantile(s, cl)
	c.trail.Delays = append(c.trail.Delays, Delay{N: n, Stream: s, Q: q, Class: cl})
	return q
}

// Pick implements sim.Chooser.
func (c *pctChooser) Pick(s sim.Stream, n int) int { return c.base.Pick(s, n) }

// Bits implements sim.Chooser.
func (c *pctChooser) Bits(s sim.Stream) uint64 { return c.base.Bits(s) }

// priority is owner's priority, drawn when the owner is first met: a
// random value above depth, distinct from every other owner's.
func (c *pctChooser) priority(owner string) int {
	p, ok := c.prio[owner]
	if !ok {
		// Distinct values drawn at random put the owners met so far in
		// a uniformly random order, however late each is met.
		c.owners++
		p = c.depth + 1 + c.rng.IntN(1<<30)
		for c.taken(p) {
			p++
		}
		c.prio[owner] = p
	}
	return p
}

func (c *pctChooser) taken(p int) bool {
	for _, v := range c.prio {
		if v == p {
			return true
		}
	}
	return false
}

// PickTie implements sim.TieChooser: the event of the highest-priority
// owner runs first (the earliest scheduled among its events); at a change
// point, that owner then drops below every initial priority.
func (c *pctChooser) PickTie(ties []sim.Tie) int {
	n := c.ties
	c.ties++
	best, bestP := 0, -1
	for i, t := range ties {
		if p := c.priority(t.Owner); p > bestP {
			best, bestP = i, p
		}
	}
	if c.nextChange < len(c.change) && c.change[c.nextChange] == n {
		c.nextChange++
		c.prio[ties[best].Owner] = c.depth - c.nextChange
	}
	if best != 0 {
		c.reordered++
		c.trail.Ties = append(c.trail.Ties, TieChoice{N: n, K: best})
	}
	return best
}

// draw is k distinct indices in [0, n), in increasing order (fewer when
// n < k).
func draw(rng *rand.Rand, k, n int) []int {
	if n <= 0 || k <= 0 {
		return nil
	}
	out := rng.Perm(n)[:min(k, n)]
	slices.Sort(out)
	return out
}

// PCTSample runs cfg opt.Runs times under PCT schedules within the
// options' budgets, auditing each run, and stops at the first violation.
func PCTSample(cfg world.Config, opt PCTOptions) (*PCTResult, error) {
	if opt.Depth < 1 || opt.Runs < 1 {
		return nil, fmt.Errorf("explore: PCT needs a depth and a number of runs of at least 1 (depth %d, runs %d)", opt.Depth, opt.Runs)
	}
	cfg = opt.Menu.Prepare(cfg)
	tq := timeouts(&cfg)
	r := &PCTResult{Options: opt}
	// The run with no fault, no delay and the kernel's order says how
	// many points and ties a run has, over which the draws are made.
	root := &pctChooser{base: sim.NewSeeded(cfg.Seed), menu: &opt.Menu, timeoutQ: tq, rng: rand.New(rand.NewPCG(cfg.Seed, pctStream)), depth: opt.Depth, prio: map[string]int{}}
	rootFirst := func(ties []sim.Tie) int {
		root.ties++
		for _, t := range ties {
			root.priority(t.Owner)
		}
		return 0
	}
	if _, err := world.RunWith(cfg, &tieFunc{root, rootFirst}); err != nil {
		return nil, err
	}
	r.Owners, r.RootTies, r.FaultPoints, r.DelayPoints = root.owners, root.ties, root.faults, root.delayN
	states := map[uint64]bool{}
	for i := range opt.Runs {
		rng := rand.New(rand.NewPCG(cfg.Seed, pctStream+1+uint64(i)))
		c := &pctChooser{base: sim.NewSeeded(cfg.Seed), menu: &opt.Menu, timeoutQ: tq, rng: rng, depth: opt.Depth, prio: map[string]int{}}
		c.faultAt = draw(rng, rng.IntN(opt.Bounds.Faults+1), r.FaultPoints)
		c.delayAt = draw(rng, rng.IntN(opt.Bounds.Delays+1), r.DelayPoints)
		c.change = draw(rng, opt.Depth-1, r.RootTies)
		res, err := world.RunWith(cfg, c)
		if err != nil {
			return r, err
		}
		r.Runs++
		r.Ties += c.ties
		r.Reordered += c.reordered
		states[finalState(res)] = true
		r.States = len(states)
		if v := Violations(res); len(v) > 0 {
			r.Found = &Counterexample{Faults: res.Faults, Trail: c.trail, Violations: v, TraceHash: res.TraceHash}
			r.Run = i + 1
			return r, nil
		}
	}
	return r, nil
}

// tieFunc is a pctChooser whose ties pick decides: the root run counts
// ties and owners and keeps the kernel's order.
type tieFunc struct {
	*pctChooser
	pick func([]sim.Tie) int
}

// PickTie implements sim.TieChooser.
func (t *tieFunc) PickTie(ties []sim.Tie) int { return t.pick(ties) }
