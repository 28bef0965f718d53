package world

import (
	"errors"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/network"
)

// Landing is where a crash or pause of a server fell in a simulated run,
// told in the steps of the handlers it hit rather than in time: a live
// run can then fire the same fault at the same step (live/anchor.go),
// however its own timing differs.
type Landing struct {
	Kind  faults.Kind  // CrashFault or PauseFault
	Fault faults.Crash // the server, the moment it fired and its downtime or length
	// Handlers are the requests the server was handling at that moment,
	// in the order they arrived; none when it was idle.
	Handlers []HandlerStep
}

// HandlerStep is how far one handler had got when a fault hit its server.
type HandlerStep struct {
	Request faults.Ref // the request served: client, operation, attempt, copy
	// Calls is how many service calls the handler had made up to the
	// last one that took effect at its service: one it ran before the
	// fault, or, for a crash, one still on its way that a service runs
	// whatever became of the caller (a store command, a charge; the
	// database refuses a statement on the crashed process's closed
	// connection). For a pause, a call in flight completes while the
	// process is frozen, so it counts too.
	Calls int
	// Last is the last call counted (zero Ref when none), Next the call
	// the handler had sent that did not take effect (zero when none).
	Last, Next faults.Ref
}

// Landings lists where every crash and pause of a server fell, in the
// order they fired. It needs Config.KeepTrace.
func (r *Result) Landings() ([]Landing, error) {
	if !r.Config.KeepTrace || r.w == nil {
		return nil, errors.New("world: Landings needs a run with Config.KeepTrace")
	}
	w := r.w
	servers := make(map[network.NodeID]bool, len(w.servers))
	for _, s := range w.servers {
		servers[s.id] = true
	}
	recs := w.trace.Records()
	var out []Landing
	for i, rec := range recs {
		l := Landing{}
		var node network.NodeID
		switch ev := decode(rec).(type) {
		case crashed:
			l.Kind, node, l.Fault.Downtime = faults.CrashFault, ev.Node, ev.Downtime
		case paused:
			l.Kind, node, l.Fault.Downtime = faults.PauseFault, ev.Node, ev.For
		default:
			continue
		}
		if !servers[node] {
			continue // a client's or the store's
		}
		l.Fault.Node, l.Fault.At = w.net.Name(node), rec.At
		l.Handlers = w.handlersAt(recs, i, node, l.Kind == faults.CrashFault)
		out = append(out, l)
	}
	return out, nil
}

// handlerCalls is one handler's service calls as the trace shows them.
type handlerCalls struct {
	step  HandlerStep
	sent  []network.MsgID
	taken []bool // per sent call: it took effect
}

// handlersAt reads the handlers running on node when record at fired:
// the requests delivered to it and not yet answered, and each one's
// calls. A crash's calls still on their way take effect when they reach
// a service other than the database.
func (w *World) handlersAt(recs []sim.Record, at int, node network.NodeID, crash bool) []HandlerStep {
	var order []*handlerCalls
	byRef := make(map[faults.Ref]*handlerCalls)
	callOf := func(id network.MsgID) (*handlerCalls, int) {
		ref := w.net.Ref(id)
		ref.Service, ref.Call = api.NoService, 0
		h := byRef[ref]
		if h == nil {
			return nil, -1
		}
		for j, s := range h.sent {
			if s == id {
				return h, j
			}
		}
		return h, -1
	}
	for _, rec := range recs[:at] {
		m, ok := network.DecodeMsg(rec)
		if !ok || m.ID.Worker() {
			continue
		}
		svc, req := m.ID.Service(), m.ID.Dir() == network.Request
		switch {
		case svc == api.NoService && req && m.Dst == node && m.Fate == network.TraceDeliver:
			h := &handlerCalls{step: HandlerStep{Request: w.net.Ref(m.ID)}}
			byRef[h.step.Request] = h
			order = append(order, h)
		case svc == api.NoService && !req && m.Src == node:
			// Answered (sent, lost or reset): the handler is done.
			ref := w.net.Ref(m.ID)
			if h := byRef[ref]; h != nil {
				delete(byRef, ref)
				order = removeHandler(order, h)
			}
		case svc != api.NoService && req && m.Src == node:
			h, j := callOf(m.ID)
			switch {
			case h == nil:
			case j < 0:
				h.sent, h.taken = append(h.sent, m.ID), append(h.taken, false)
			case m.Fate == network.TraceDeliver:
				h.taken[j] = true
			}
		}
	}
	for _, rec := range recs[at+1:] {
		m, ok := network.DecodeMsg(rec)
		if !ok || m.Fate != network.TraceDeliver || m.ID.Dir() != network.Request || m.Src != node || m.ID.Service() == api.NoService {
			continue
		}
		if crash && m.ID.Service() == api.ServiceDB {
			continue
		}
		if h, j := callOf(m.ID); h != nil && j >= 0 {
			h.taken[j] = true
		}
	}
	var out []HandlerStep
	for _, h := range order {
		// A live handler counts every call it made, one that failed
		// included, so Calls is the place of the last call that took
		// effect.
		for j, id := range h.sent {
			if h.taken[j] {
				h.step.Calls, h.step.Last = j+1, w.net.Ref(id)
			}
		}
		if h.step.Calls < len(h.sent) {
			h.step.Next = w.net.Ref(h.sent[h.step.Calls])
		}
		out = append(out, h.step)
	}
	return out
}

func removeHandler(order []*handlerCalls, h *handlerCalls) []*handlerCalls {
	for i, o := range order {
		if o == h {
			return append(order[:i], order[i+1:]...)
		}
	}
	return order
}
