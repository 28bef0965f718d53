package explore

import (
	"math/rand/v2"

	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/world"
)

// defaultProbes is how many random runs per budget a cut search's
// estimate takes when the options do not say: a few hundredths of a
// second per budget of a small world on one core, and within 20% of the
// truth on the small trees of knuth_test.go.
const defaultProbes = 100

func probesOf(opt Options) int {
	if opt.Probes > 0 {
		return opt.Probes
	}
	return defaultProbes
}

// Estimate is Knuth's estimate of how large a search's bounds are: per
// budget, the mean over Probes random runs of the weight of the leaf each
// reached (the inverse of the probability of reaching it), an unbiased
// estimate of the budget tree's leaves; summed over the budgets.
type Estimate struct {
	Probes int `json:"probes"` // per budget
	// Runs estimates the runs a search of every budget makes (a
	// schedule is run again at each deeper budget).
	Runs float64 `json:"runs"`
	// Schedules estimates the schedules within the bounds (each with
	// exactly its budget's faults and delays, so counted once).
	Schedules float64 `json:"schedules"`
}

// knuth is the estimator: probe runs once, asking pick for the
// alternative of each point it meets, and says whether its leaf is one
// of those counted. pick takes the default (0) with probability p0 and
// each other alternative with an equal share of the rest; the leaf's
// weight is the product of the inverse probabilities of the picks. With
// p0 = 1/alts that is Knuth's product of the branching factors. It
// returns the mean weight over every probe (the leaves) and over the
// counted ones, the rest weighing 0 (the counted leaves).
func knuth(probes int, rng *rand.Rand, probe func(pick func(alts int, p0 float64) int) (counted bool, err error)) (leaves, counted float64, err error) {
	for range probes {
		w := 1.0
		ok, err := probe(func(alts int, p0 float64) int {
			if alts <= 1 {
				return 0
			}
			if rng.Float64() < p0 {
				w /= p0
				return 0
			}
			w *= float64(alts-1) / (1 - p0)
			return 1 + rng.IntN(alts-1)
		})
		if err != nil {
			return 0, 0, err
		}
		leaves += w
		if ok {
			counted += w
		}
	}
	return leaves / float64(probes), counted / float64(probes), nil
}

// budgetShare is the probability a probe keeps the default at a point
// with alts alternatives, k of its kind's budget left and about n points
// of its kind still to come, this one included: the share of the leaves
// below that keep it, if the tree were a full comb of n points each
// taking one of alts-1 other alternatives while the budget lasts. A
// uniform pick (Knuth's own) leaves the default at every point with
// probability 1/alts and so almost never reaches the deep leaves, which
// are most of a budget's tree: measured on select-for-update at one
// fault and one delay, 400 uniform probes a budget estimated 184 runs
// for 1,368.
func budgetShare(alts, k, n int) float64 {
	if n <= 1 || k <= 0 {
		return 1 / float64(alts)
	}
	return combs(n-1, k, alts-1) / combs(n, k, alts-1)
}

// combs counts the ways n points can take at most k deviations, each one
// of m alternatives.
func combs(n, k, m int) float64 {
	total, c := 0.0, 1.0 // c: n choose j times m^j
	for j := 0; j <= min(k, n); j++ {
		total += c
		c *= float64(n-j) / float64(j+1) * float64(m)
	}
	return total
}

// estimate is Knuth's estimate of the bounds' trees, probes per budget,
// each budget's probes drawn from a generator seeded by the world's seed
// and the budget, never the clock, so that every shard and every repeat
// gives the same figures. The points still to come are guessed from the
// run with no fault and no delay. The probes keep the kernel's order at
// every same-instant tie: the estimate counts the schedules of faults and
// delays, not the orders a search with --ties explores among them.
func (s *searcher) estimate(b Bounds, probes int) (*Estimate, error) {
	root, err := s.run(nil, 0, 0)
	if err != nil {
		return nil, err
	}
	var kinds [3]int // fault points, delay points (and tie points) of the root's run
	for _, p := range root.ch.points {
		kinds[p.Kind]++
	}
	e := &Estimate{Probes: probes}
	for f := 0; f <= b.Faults; f++ {
		for d := 0; d <= b.Delays; d++ {
			rng := rand.New(rand.NewPCG(s.cfg.Seed, uint64(f)<<32|uint64(d)))
			leaves, exact, err := knuth(probes, rng, func(pick func(int, float64) int) (bool, error) {
				var ch *chooser
				var seen [2]int
				ch = &chooser{base: sim.NewSeeded(s.cfg.Seed), menu: s.menu, timeoutQ: s.tq, faultsLeft: f, delaysLeft: d, probe: func(alts int) int {
					// A point has alternatives only while its
					// kind's budget lasts: 2 for a fault, 3 or 4
					// for a delay.
					switch {
					case alts == 2:
						seen[FaultPoint]++
						return pick(alts, budgetShare(alts, ch.faultsLeft, kinds[FaultPoint]-seen[FaultPoint]+1))
					case alts > 2:
						seen[DelayPoint]++
						return pick(alts, budgetShare(alts, ch.delaysLeft, kinds[DelayPoint]-seen[DelayPoint]+1))
					}
					return 0
				}}
				if _, err := world.RunWith(s.cfg, ch); err != nil {
					return false, err
				}
				return ch.faultsLeft == 0 && ch.delaysLeft == 0, nil
			})
			if err != nil {
				return nil, err
			}
			e.Runs += leaves
			e.Schedules += exact
		}
	}
	return e, nil
}
