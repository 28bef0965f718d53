package world

import (
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/network"
)

// server is one replica behind the balancer. Its handler and everything the
// strategy's Boot closure holds is process memory, lost on a crash.
type server struct {
	w       *World
	id      network.NodeID
	name    string
	up      bool
	handle  Handler
	workers []*worker // live workers, killed by a crash
	idle    []*worker
}

// worker is one request-handling actor; idle workers are reused, so a request
// costs a wake, not a new coroutine.
type worker struct {
	s    *server
	proc *sim.Proc
	req  *network.Msg
}

func (s *server) boot() {
	s.up = true
	s.handle = s.w.cfg.Strategy.Boot()
}

// deliver receives a request from the network.
func (s *server) deliver(m *network.Msg) {
	w := s.w
	if !s.up {
		// The balancer cannot reach the backend and answers for it.
		w.record(TraceUnavailable, s.id, m.Src, m.Op, m.Attempt, 0, 0)
		w.net.Reply(m, &Response{Status: StatusBadGateway})
		return
	}
	var wk *worker
	if n := len(s.idle); n > 0 {
		wk = s.idle[n-1]
		s.idle = s.idle[:n-1]
	} else {
		wk = &worker{s: s}
		wk.proc = w.k.Spawn(s.name+"/worker", wk.run)
		s.workers = append(s.workers, wk)
	}
	wk.req = m
	w.k.Wake(wk.proc)
}

func (wk *worker) run(p *sim.Proc) {
	s := wk.s
	w := s.w
	e := &env{p: p, s: s}
	for {
		for wk.req == nil {
			p.Wait()
		}
		m := wk.req
		wk.req = nil
		req := m.Payload.(*Request)
		w.record(TraceHandle, s.id, m.Src, m.Op, m.Attempt, int64(req.keyID), int64(req.Kind))
		p.Sleep(w.cfg.ServiceTime.Sample(w.ch, sim.StreamService))
		e.m = m
		resp := s.handle(e, *req)
		w.record(TraceRespond, s.id, m.Src, m.Op, m.Attempt, int64(resp.Status), int64(resp.Row))
		w.net.Reply(m, &resp)
		s.idle = append(s.idle, wk)
	}
}

// crash takes the server down: in-flight handlers die, memory is lost.
func (s *server) crash(downtime sim.Duration) bool {
	if !s.up {
		return false
	}
	w := s.w
	s.up = false
	s.handle = nil
	for _, wk := range s.workers {
		w.k.Kill(wk.proc)
	}
	s.workers, s.idle = nil, nil
	w.log.Add(faults.Fault{Kind: faults.CrashFault, At: w.k.Now(), Crash: faults.Crash{Node: s.name, At: w.k.Now(), Downtime: downtime}})
	w.record(TraceCrash, s.id, 0, OpID{}, 0, int64(downtime), 0)
	w.k.After(downtime, sim.Func(func() {
		s.boot()
		w.record(TraceRestart, s.id, 0, OpID{}, 0, 0, 0)
	}))
	return true
}

// env is a handler's view of the world.
type env struct {
	p *sim.Proc
	s *server
	m *network.Msg
}

func (e *env) Now() sim.Time { return e.p.Kernel().Now() }

func (e *env) Sleep(d sim.Duration) { e.p.Sleep(d) }

func (e *env) Server() string { return e.s.name }

func (e *env) Ledger() Ledger { return e }

// Charge implements Ledger.
func (e *env) Charge(op OpID, amount int64, key string) RowID {
	e.p.Alive()
	w := e.s.w
	id := w.ledger.charge(op, amount, key, e.s.name, w.k.Now())
	w.record(TraceCharge, e.s.id, e.m.Src, op, e.m.Attempt, int64(id), amount)
	return id
}
