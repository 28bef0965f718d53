package world

import (
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
)

// crashPoints arms the steps strategies name with Env.Crash: explicit
// occurrences (s1:after-charge#3) and replayed ones always, random ones
// (~p) only when not replaying. Occurrences are counted per server and point
// across restarts, so a fault line names the same moment in a replay.
type crashPoints struct {
	specs    []faults.CrashPoint
	random   bool
	counts   map[string]int // "s1:after-charge" -> times reached
	anyCount map[string]int // point -> times reached by any server
}

func (c *crashPoints) arm(w *World) {
	plan := &w.cfg.Faults
	c.counts, c.anyCount = make(map[string]int), make(map[string]int)
	c.random = plan.Replay == nil
	for _, cp := range plan.CrashPoints {
		if cp.Nth > 0 || c.random {
			c.specs = append(c.specs, cp)
		}
	}
	for _, f := range plan.Replay {
		if f.Kind == faults.CrashAtFault {
			c.specs = append(c.specs, f.Point)
		}
	}
}

// reach is server s reaching point: it crashes there if a spec says so,
// and then the calling actor never returns.
func (c *crashPoints) reach(e *env, point string) {
	s := e.s
	w := s.w
	declared := false
	for _, p := range w.cfg.Strategy.CrashPoints {
		declared = declared || p == point
	}
	if !declared {
		panic("strategy " + w.cfg.Strategy.Name + " reached crash point " + point + ", which it does not declare in CrashPoints")
	}
	c.counts[s.name+":"+point]++
	c.anyCount[point]++
	n := c.counts[s.name+":"+point]
	flip := func(p float64) bool { return w.ch.Flip(sim.StreamCrashPoints, p) }
	for _, cp := range c.specs {
		if cp.Fires(s.name, point, n, c.anyCount[point], flip) {
			fired := faults.CrashPoint{Node: s.name, Point: point, Nth: n, Downtime: cp.Downtime}
			w.add(crashPoint{Server: s.id, Op: tagOp(e.tag), Point: w.intern(point), Nth: n}.record())
			s.crashWith(cp.Downtime, faults.Fault{Kind: faults.CrashAtFault, At: w.k.Now(), Point: fired})
			return
		}
	}
}
