package world

import (
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/network"
)

// stepFaults are the crashes, pauses and store restarts that fall at a
// step of the run rather than at a moment (faults.Plan's step rates, and
// replayed faults with an Anchor). A moment is a poor handle on a window
// a few events wide: a timed fault replayed at the same instant runs
// before or after the events that shared it depending on when it was
// scheduled, while a step is the same in every run that reaches it.
type stepFaults struct {
	// handlers are the replayed anchored crashes and pauses of servers,
	// each fired at most once.
	handlers []faults.StepFault
	fired    []bool
	// kv are the replayed anchored store restarts, by the store call
	// they come before.
	kv map[faults.Ref]faults.Fault
}

// arm collects the replayed anchored faults.
func (st *stepFaults) arm(plan *faults.Plan) {
	for _, f := range plan.Replay {
		switch {
		case !f.Anchored() || f.Kind != faults.CrashFault && f.Kind != faults.PauseFault:
		case f.Crash.Node == "kv":
			if st.kv == nil {
				st.kv = make(map[faults.Ref]faults.Fault)
			}
			st.kv[f.Anchor] = f
		default:
			st.handlers = append(st.handlers, f.Step())
		}
	}
	st.fired = make([]bool, len(st.handlers))
}

// made is how many service calls the actor has made.
func (c *callCounts) made() int {
	n := 0
	for _, v := range c {
		n += int(v)
	}
	return n
}

// atStep is a step of a request's handler: it is about to make a service
// call, or to answer, having made the calls its counts say. A step crash
// kills the handler there (it never returns); a step pause freezes its
// server, the handler with it, from there. Background workers have no
// steps: they poll for as long as the run lasts.
func (e *env) atStep() {
	s := e.s
	w := s.w
	plan := &w.cfg.Faults
	if e.ref.Worker != "" {
		return
	}
	after := e.calls.made()
	var kind faults.Kind
	var length sim.Duration
	switch {
	case plan.Replay != nil:
		i := w.steps.find(s.name, e.ref, after)
		if i < 0 {
			return
		}
		w.steps.fired[i] = true
		kind, length = w.steps.handlers[i].Kind, w.steps.handlers[i].Downtime
	case flip(w, plan.StepCrashRate):
		kind, length = faults.CrashFault, plan.Downtime
	case flip(w, plan.StepPauseRate):
		kind, length = faults.PauseFault, plan.StepPause
	default:
		return
	}
	now := w.k.Now()
	f := faults.Fault{Kind: kind, At: now, Crash: faults.Crash{Node: s.name, At: now, Downtime: length}, Anchor: e.ref, After: after}
	if kind == faults.CrashFault {
		s.crashWith(f.Crash.Downtime, f)
		return
	}
	w.pause(s.group, s.id, f)
	// The handler is running: it parks for no time and, its process
	// frozen, resumes at the thaw.
	e.p.Sleep(0)
}

// find is the unfired replayed fault at a handler's step, or -1.
func (st *stepFaults) find(server string, req faults.Ref, after int) int {
	for i, f := range st.handlers {
		if !st.fired[i] && f.Fires(server, req, after) {
			return i
		}
	}
	return -1
}

// flip decides a step fault of rate on the faults stream (nothing is
// drawn at rate 0, so a plan without step faults draws as before).
func flip(w *World, rate float64) bool {
	return rate > 0 && (rate >= 1 || w.ch.Flip(sim.StreamFaults, rate))
}

// restartBefore is a store call arriving: the store restarts first when a
// replayed fault says so or, not replaying, with the plan's rate, drawn on
// the store's fault stream. Only requests' calls count, as for a server's
// steps.
func (n *kvNode) restartBefore(m *network.Msg) {
	w := n.w
	plan := &w.cfg.Faults
	if !n.up || m.Ref.Worker != "" {
		return
	}
	var down sim.Duration
	switch {
	case plan.Replay != nil:
		r, ok := w.steps.kv[m.Ref]
		if !ok {
			return
		}
		down = r.Crash.Downtime
	case plan.KVRestartRate > 0 && (plan.KVRestartRate >= 1 || w.ch.Flip(sim.StreamKVFaults, plan.KVRestartRate)):
		down = plan.Downtime
	default:
		return
	}
	now := w.k.Now()
	n.restartWith(faults.Fault{Kind: faults.CrashFault, At: now, Crash: faults.Crash{Node: "kv", At: now, Downtime: down}, Anchor: m.Ref})
}
