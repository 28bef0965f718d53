package shrink

import (
	"fmt"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/sim/world"
)

// Reruns says how MinimizeTolerant runs and judges a world whose runs are
// not deterministic, such as a live run against a service of the user's:
// the same world may show a violation in one run and not in the next, so
// a candidate is kept when its violation shows in Need of Of runs.
type Reruns struct {
	// Run runs one world (an error counts as a run that showed nothing).
	Run func(world.Config) (*world.Result, error)
	// Need and Of: a candidate holds when Need of Of runs show the
	// violation; its runs stop as soon as that is decided either way.
	Need, Of int
	// MaxRuns bounds the runs of the whole shrink.
	MaxRuns int
	// Over reports that the caller's time budget is spent; nil: never.
	// (This package keeps no clock: the caller's is asked.)
	Over func() bool
}

// Tolerant is a shrink by MinimizeTolerant.
type Tolerant struct {
	// Config is the minimal world: its faults are Config.Faults.Replay.
	Config   world.Config
	Kind     check.Kind
	From, To Size
	Runs     int
	// Shown and Judged: the minimal world showed the violation in Shown
	// of its last Judged runs.
	Shown, Judged int
	// Exhausted: the budget of runs or of time ran out before shrinking
	// was done.
	Exhausted bool
}

// MinimizeTolerant shrinks cfg as Minimize does, with its steps for what
// a world of one service can lose (faults and the attempts they name,
// client queues, racing workers, operations; first of all, each round,
// everything but the queue and operation a violation showed on), for
// worlds that are not
// deterministic: a candidate is kept when the violation of kind shows in
// r.Need of r.Of runs, not when one replay shows it. A cfg whose faults
// are a list (Faults.Replay set) is shrunk from that list; else it is run
// until a run shows a violation (at most r.Of times) and the faults that
// fired in that run are the list. kind "" is the first kind that run
// shows (see Minimize).
func MinimizeTolerant(cfg world.Config, kind check.Kind, r Reruns) (*Tolerant, error) {
	if r.Need < 1 || r.Of < r.Need {
		return nil, fmt.Errorf("shrink: %d of %d reruns: want 1 <= need <= reruns", r.Need, r.Of)
	}
	if r.MaxRuns < r.Of {
		return nil, fmt.Errorf("shrink: a budget of %d runs is too small: judging the run to shrink takes up to %d", r.MaxRuns, r.Of)
	}
	cfg.KeepTrace = false
	s := &shrinker{kind: kind, maxRuns: r.MaxRuns}
	out := func() bool {
		if r.Over != nil && r.Over() {
			s.exhausted = true
			return true
		}
		return false
	}
	if cfg.Faults.Replay == nil {
		var first *world.Result
		var lastErr error
		failed := 0
		for i := 0; i < r.Of && first == nil && !out() && s.spend(); i++ {
			res, err := r.Run(cfg)
			if err != nil {
				lastErr = err
				failed++
				continue
			}
			if k := kind; k != "" && len(shown(res, k)) > 0 || k == "" && firstKind(res) != "" {
				first = res
			}
		}
		if first == nil && failed == s.runs && lastErr != nil {
			return nil, lastErr // no run finished: what stopped them is the news
		}
		if first == nil {
			return nil, fmt.Errorf("%w (of kind %s) in %d runs", ErrNoViolation, orAny(kind), s.runs)
		}
		if s.kind == "" {
			s.kind = firstKind(first)
		}
		cfg.Faults = explicit(cfg.Faults, first.Faults)
	}
	from := sizeOf(cfg, len(cfg.Faults.Replay))
	// What the last candidate kept showed, for the result, and the
	// operations its last run showed the violation on.
	var keptShown, keptJudged int
	var witnesses []violationKey
	s.judge = func(c *world.Config) bool {
		got, tried := 0, 0
		for tried < r.Of && got < r.Need && tried-got <= r.Of-r.Need {
			if out() || !s.spend() {
				return false
			}
			tried++
			res, err := r.Run(*c)
			if err != nil {
				continue
			}
			if s.kind == "" {
				s.kind = firstKind(res)
			}
			if v := shown(res, s.kind); s.kind != "" && len(v) > 0 {
				got++
				witnesses = v
			}
		}
		if got < r.Need {
			return false
		}
		keptShown, keptJudged = got, tried
		return true
	}
	if !s.holds(&cfg) {
		if s.exhausted {
			return nil, fmt.Errorf("shrink: the budget ran out while judging the run to shrink (%d runs)", s.runs)
		}
		return nil, fmt.Errorf("%w (of kind %s) in at least %d of %d runs of its %d faults: too rare to shrink (a larger --reruns or a smaller --need may do)",
			ErrNoViolation, orAny(s.kind), r.Need, r.Of, len(cfg.Faults.Replay))
	}
	for round := 0; round < 4 && !s.exhausted; round++ {
		before := sizeOf(cfg, len(cfg.Faults.Replay))
		s.witness(&cfg, witnesses)
		s.faultList(&cfg)
		s.attempts(&cfg)
		s.queues(&cfg)
		s.slots(&cfg)
		s.ops(&cfg)
		if sizeOf(cfg, len(cfg.Faults.Replay)) == before {
			break
		}
	}
	return &Tolerant{Config: cfg, Kind: s.kind, From: from, To: sizeOf(cfg, len(cfg.Faults.Replay)), Runs: s.runs,
		Shown: keptShown, Judged: keptJudged, Exhausted: s.exhausted}, nil
}

// Shows reports whether res shows a violation of kind: one the audit
// names, or for check.NonLinearizable a partition porcupine finds illegal.
func Shows(res *world.Result, kind check.Kind) bool { return len(shown(res, kind)) > 0 }

// witness tries, before the smaller steps, the world cut down to the
// queue of each violation the last run kept showed, one at a time, with
// the violation's operation alone, then with the operations up to it (a
// key reused, or a crash that came earlier, may need them): when the
// violation does not depend on the rest, this is the minimal world in one
// or two candidates instead of the many ddmin takes, each of which costs
// several runs against a live service.
func (s *shrinker) witness(cfg *world.Config, on []violationKey) {
	base := *cfg
	all := identity(base)
	for _, v := range on {
		q, i := int(v.op.Queue), int(v.op.Index)
		if q < 1 || q > len(all.queues) || i < 1 || i > base.OpsPerClient {
			continue
		}
		for _, ops := range [][]int{{i}, seq(i)} {
			if len(all.queues) == 1 && len(ops) == base.OpsPerClient {
				continue // nothing to cut
			}
			if s.try(cfg, base, all.withQueues([]int{q}).withOps(ops)) {
				return
			}
			if i == 1 {
				break // 1..i is {i}
			}
		}
	}
}
