package world

import (
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/network"
)

// server is one replica behind the balancer. Its handlers and everything
// the strategy's Boot closure holds is process memory, lost on a crash, as
// are its background workers and its database connections.
type server struct {
	w        *World
	id       network.NodeID
	name     string
	up       bool
	group    *sim.Group // the process's actors, which a pause freezes
	clock    Clock
	handlers api.Server
	workers  []*worker // live request workers, killed by a crash
	idle     []*worker
	bg       []*sim.Proc // background workers
	pool     *pool
	boxes    []api.Response // see box
}

// worker is one request-handling actor; idle workers are reused, so a request
// costs a wake, not a new coroutine.
type worker struct {
	s    *server
	proc *sim.Proc
	req  *network.Msg
}

// httpRequest is a request as it travels: what the server sees, and the key
// id the trace prints.
type httpRequest struct {
	api.Request
	keyID int
}

func (s *server) boot() {
	w := s.w
	s.up = true
	s.pool = &pool{s: s, size: w.cfg.DB.PoolSize}
	s.handlers = w.cfg.Strategy.Boot(w.settings)
	w.hasWorkers = w.hasWorkers || len(s.handlers.Workers) > 0
	for _, wk := range s.handlers.Workers {
		counts := w.workerCalls[s.name+"/"+wk.Name]
		if counts == nil {
			counts = &callCounts{}
			w.workerCalls[s.name+"/"+wk.Name] = counts
		}
		e := &env{s: s, ref: faults.Ref{Caller: s.name, Worker: wk.Name}, caller: s.id, calls: counts, adopt: true}
		run := wk.Run
		p := w.k.SpawnIn(s.group, s.name+"/"+wk.Name, func(p *sim.Proc) {
			e.p = p
			run(e)
			e.finish()
		})
		s.bg = append(s.bg, p)
	}
}

// deliver receives a request from the network.
func (s *server) deliver(m *network.Msg) {
	w := s.w
	if !s.up {
		// The balancer cannot reach the backend and answers for it.
		w.add(unavailable{Server: s.id, To: m.Src, Op: m.Ref.Op, Attempt: m.Ref.Attempt}.record())
		w.net.Reply(m, s.box(api.Response{Status: api.StatusBadGateway}))
		w.net.Release(m)
		return
	}
	var wk *worker
	if n := len(s.idle); n > 0 {
		wk = s.idle[n-1]
		s.idle = s.idle[:n-1]
	} else {
		wk = &worker{s: s}
		wk.proc = w.k.SpawnIn(s.group, s.name+"/worker", wk.run)
		s.workers = append(s.workers, wk)
	}
	wk.req = m
	w.k.Wake(wk.proc)
}

func (wk *worker) run(p *sim.Proc) {
	s := wk.s
	w := s.w
	e := &env{p: p, s: s, calls: &callCounts{}}
	for {
		for wk.req == nil {
			p.Wait()
		}
		m := wk.req
		wk.req = nil
		req := m.Payload.(*httpRequest)
		w.add(handled{Server: s.id, From: m.Src, request: request{Op: m.Ref.Op, Attempt: m.Ref.Attempt, Key: req.keyID, Kind: req.Kind}}.record())
		w.executions++
		w.checkHeld()
		p.Sleep(w.cfg.ServiceTime.Sample(w.ch, sim.StreamService))
		e.ref, e.caller, e.tag = m.Ref, m.Caller(), opTag(m.Ref.Op)
		*e.calls = callCounts{}
		resp := s.handle(e, req.Request)
		e.finish()
		e.atStep()
		w.add(answered{Server: s.id, To: m.Src, Op: m.Ref.Op, Attempt: m.Ref.Attempt, Status: resp.Status, Resource: w.intern(resp.Resource)}.record())
		w.net.Reply(m, s.box(resp))
		w.net.Release(m) // the worker reads nothing of m from here on
		s.idle = append(s.idle, wk)
	}
}

// box puts a response on the heap for its trip to the client. Responses are
// cut from chunks, one allocation for 64 of them. None is ever reused: a
// response lives as long as any message carrying it and the client reading
// it, which nothing tracks; a chunk is freed when all of its responses are.
func (s *server) box(r api.Response) *api.Response {
	if len(s.boxes) == 0 {
		s.boxes = make([]api.Response, 64)
	}
	b := &s.boxes[0]
	*b = r
	s.boxes = s.boxes[1:]
	return b
}

// handle runs the strategy's handler for the request's kind; a kind it has
// no handler for is 404.
func (s *server) handle(e *env, req api.Request) api.Response {
	h := s.handlers.Handler(req.Kind)
	if h == nil {
		return api.Response{Status: api.StatusNotFound}
	}
	return h(e, req)
}

// crash takes the server down: in-flight handlers and background workers
// die, memory is lost, its database connections close (their transactions
// roll back). When the caller is one of the server's own actors (a crash
// point), it dies last and never returns.
func (s *server) crash(downtime sim.Duration) bool {
	return s.crashWith(downtime, faults.Fault{Kind: faults.CrashFault, At: s.w.k.Now(), Crash: faults.Crash{Node: s.name, At: s.w.k.Now(), Downtime: downtime}})
}

func (s *server) crashWith(downtime sim.Duration, f faults.Fault) bool {
	if !s.up {
		return false
	}
	w := s.w
	s.up = false
	s.handlers = api.Server{}
	current := w.k.Current()
	var self *sim.Proc
	kill := func(p *sim.Proc) {
		if p == current {
			self = p
			return
		}
		w.k.Kill(p)
	}
	for _, wk := range s.workers {
		kill(wk.proc)
	}
	for _, p := range s.bg {
		kill(p)
	}
	s.workers, s.idle, s.bg = nil, nil, nil
	s.pool.closeAll()
	w.log.Add(f)
	w.add(crashed{Node: s.id, Downtime: downtime}.record())
	w.k.After(downtime, sim.Func(func() {
		s.boot()
		w.add(restarted{Node: s.id}.record())
	}))
	if self != nil {
		w.k.Kill(self)
	}
	return true
}

// callCounts numbers a handler's or worker's calls per service.
type callCounts [8]int32

// env is a handler's or background worker's view of the world.
type env struct {
	p   *sim.Proc
	s   *server
	ref faults.Ref // the request served, or the worker
	// caller is the node ref.Caller names: the request's client, or the
	// server for a worker.
	caller network.NodeID
	calls  *callCounts
	tag    int64 // the operation on whose behalf the actor acts
	adopt  bool  // a worker takes on the operation of the data it reads
	txs    []*dbTx
}

func (e *env) Now() sim.Time { return e.s.clock.read(e.p.Kernel().Now()) }

func (e *env) Sleep(d sim.Duration) { e.p.Sleep(d) }

func (e *env) Server() string { return e.s.name }

func (e *env) Crash(point string) {
	e.p.Alive()
	e.s.w.points.reach(e, point)
}

func (e *env) DB() api.DB { return (*envDB)(e) }

// Replica implements api.Env.
func (e *env) Replica() api.DB { return (*envReplica)(e) }

// call sends payload to service svc as this actor's next call to it and
// parks until the answer comes (or timeout passes, or the connection
// breaks).
func (e *env) call(svc api.Service, dst network.NodeID, payload any, timeout sim.Duration) (any, network.Outcome) {
	e.p.Alive()
	e.atStep()
	e.calls[svc]++
	ref := e.ref
	ref.Service, ref.Call = svc, e.calls[svc]
	return e.s.w.net.CallAs(e.p, e.s.id, dst, e.caller, ref, payload, timeout)
}

// adoptTags makes a worker act on behalf of the operation whose data it
// just read, when the data names exactly one: the provenance that lets the
// ledger attribute a background job's effects.
func (e *env) adoptTags(tags []int64) {
	if !e.adopt {
		return
	}
	var found int64
	for _, t := range tags {
		switch {
		case t == 0 || t == found:
		case found == 0:
			found = t
		default:
			return // several operations: keep the current one
		}
	}
	if found != 0 {
		e.tag = found
	}
}

// finish rolls back what a handler left open, as a pool resets a returned
// connection.
func (e *env) finish() {
	for len(e.txs) > 0 {
		e.txs[0].Rollback()
	}
}
