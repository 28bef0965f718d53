package shrink

import (
	"slices"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// attempt names one client's attempt at an operation, as a fault on a
// message of it does (c1/o1.1/a3, c1/o1.1/a3/copy, c1/o1.1/a3/db2).
type attempt struct {
	client string
	op     api.OpID
	n      int32
}

// attemptOf is the client attempt a fault hits, if it hits one (not a
// background worker's call, nor a node at a moment).
func attemptOf(f faults.Fault) (attempt, bool) {
	if !f.Kind.OnMessage() || f.Msg.Worker != "" {
		return attempt{}, false
	}
	return attempt{f.Msg.Caller, f.Msg.Op, f.Msg.Attempt}, true
}

// attempts shrinks what faults name by attempt number. Removing the fault
// that made attempt 1 fail removes attempts 2 and on with it, so the
// faults on those attempts would name attempts that are never made, and
// ddmin (faultList) cannot take a fault off an early attempt: the
// violation built on the later ones goes too. Two moves fix that, each
// kept when the violation survives:
//
//   - collapse: without the faults of one attempt, and every later fault
//     of the same client and operation one attempt earlier (what was
//     attempt 3 is attempt 2 once attempt 1 succeeds where it failed);
//   - earlier: one fault moved to the operation's first attempt, when no
//     fault of its kind is there already.
//
// A fault's at= moment is where it fired; a fault that moves fires at
// another moment, which the list of faults that fired (holds) records.
func (s *shrinker) attempts(cfg *world.Config) {
	for s.runs < s.maxRuns && s.firstThat(cfg, collapses(cfg.Faults.Replay)) {
	}
	for s.runs < s.maxRuns && s.firstThat(cfg, earlier(cfg.Faults.Replay)) {
	}
}

// firstThat tries each candidate fault list in turn and keeps the first
// that shows the violation.
func (s *shrinker) firstThat(cfg *world.Config, lists [][]faults.Fault) bool {
	for _, list := range lists {
		c := *cfg
		c.Faults.Replay = list
		if s.holds(&c) {
			*cfg = c
			return true
		}
	}
	return false
}

// collapses is list with each attempt that some fault hits taken out, in
// the order the list first names them: that attempt's faults gone, the
// later attempts' faults of its client and operation renumbered one down.
func collapses(list []faults.Fault) [][]faults.Fault {
	var named []attempt
	for _, f := range list {
		if a, ok := attemptOf(f); ok && !slices.Contains(named, a) {
			named = append(named, a)
		}
	}
	out := make([][]faults.Fault, 0, len(named))
	for _, gone := range named {
		next := make([]faults.Fault, 0, len(list))
		for _, f := range list {
			a, ok := attemptOf(f)
			switch {
			case !ok || a.client != gone.client || a.op != gone.op || a.n < gone.n:
			case a.n == gone.n:
				continue
			default:
				f.Msg.Attempt--
			}
			next = append(next, f)
		}
		out = append(out, next)
	}
	return out
}

// earlier is list with each fault on a later attempt moved to its
// operation's first attempt, one at a time, where that makes no fault
// the list already holds.
func earlier(list []faults.Fault) [][]faults.Fault {
	var out [][]faults.Fault
	for i, f := range list {
		if a, ok := attemptOf(f); !ok || a.n == 1 {
			continue
		}
		g := f
		g.Msg.Attempt = 1
		if slices.ContainsFunc(list, func(h faults.Fault) bool { return h.Identity() == g.Identity() }) {
			continue
		}
		next := slices.Clone(list)
		next[i] = g
		out = append(out, next)
	}
	return out
}
