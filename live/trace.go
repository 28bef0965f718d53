package live

import (
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/live/gateway"
	"github.com/idemsim/idemsim/live/proxy"
	"github.com/idemsim/idemsim/live/server"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// tracer writes a live run's trace, for Config.World.KeepTrace: what its
// clients, the proxy, the servers and the services did, as the records a
// simulated run writes (world.Recorder), so that the timeline and the
// sequence diagram of a live Result are those of a simulated one. Every
// goroutine records under one lock and takes the moment under it, so the
// records come in the order they were recorded; what is read at the end
// (the ledger's effects and the gateway's charges) carries the moment it
// happened, and the Recorder sorts it in. A nil tracer records nothing.
type tracer struct {
	mu  sync.Mutex
	rec *world.Recorder
	now func() sim.Time
	// routed is the server the proxy sent each client attempt to
	// ("c1/o1.1/a1" → "s1"), which names the caller of that handler's
	// service calls.
	routed map[string]string
	// faulted holds the database calls a fault hit, by reference: a
	// dropped call's statement never ran, and a lost acknowledgement's
	// COMMIT ran and succeeded, so the statement is recorded so and the
	// fault after it, as the simulation records them.
	faulted map[string]faults.Fault
	// commits are the moments each operation's transactions committed:
	// an effect's trigger fires when its statement runs, and the ledger
	// row is recorded when its transaction commits, as the simulation
	// records it.
	commits map[string][]sim.Time
}

func newTracer(cfg world.Config, now func() sim.Time) *tracer {
	if !cfg.KeepTrace {
		return nil
	}
	return &tracer{rec: world.NewRecorder(cfg), now: now, routed: make(map[string]string),
		faulted: make(map[string]faults.Fault), commits: make(map[string][]sim.Time)}
}

// add records f's event now.
func (t *tracer) add(f func(r *world.Recorder, at sim.Time)) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	f(t.rec, t.now())
}

// attach makes the trace res's.
func (t *tracer) attach(res *world.Result) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rec.Attach(res)
}

// attemptOf is the client attempt a call serves: "c1/o1.1/a1".
func attemptOf(ref faults.Ref) string {
	return faults.Ref{Caller: ref.Caller, Op: ref.Op, Attempt: ref.Attempt}.String()
}

// serverOf is the server that made the call ref: a worker's names it, a
// handler's is the server its client's attempt went to. The lock is held.
func (t *tracer) serverOf(ref faults.Ref) string {
	if ref.Worker != "" {
		return ref.Caller
	}
	if s, ok := t.routed[attemptOf(ref)]; ok {
		return s
	}
	return "proxy" // never routed: not a request the proxy carried
}

// attempt records a client's attempt, sent at, once it returned (the
// proxy has routed it by then).
func (t *tracer) attempt(at sim.Time, client string, op api.OpID, attempt int32, key string, kind api.Kind) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	ref := faults.Ref{Caller: client, Op: op, Attempt: attempt}
	t.rec.Attempt(at, client, t.serverOf(ref), op, attempt, key, kind)
}

// answered records what a client made of the answer to its attempt: the
// response it read and how (heard), or its timeout.
func (t *tracer) answered(client string, op api.OpID, attempt int32, resp *api.Response, heard world.Action) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	ref := faults.Ref{Caller: client, Op: op, Attempt: attempt}
	if resp == nil {
		t.rec.Timeout(t.now(), client, t.serverOf(ref), op, attempt)
		return
	}
	t.rec.Response(t.now(), client, t.serverOf(ref), op, attempt, resp.Status, heard)
}

// hop records what the proxy did with a message.
func (t *tracer) hop(h proxy.Hop) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	at := t.now()
	client := h.Ref.Caller
	if !h.Ref.Copy {
		t.routed[attemptOf(h.Ref)] = h.Server
	}
	if h.Down {
		t.rec.Unavailable(at, h.Server, client, h.Ref.Op, h.Ref.Attempt)
		return
	}
	src, dst := client, h.Server
	if h.Response {
		src, dst = dst, src
	}
	t.rec.Message(at, h.Fate, src, dst, h.Ref, h.Response, sim.Duration(h.Delay))
}

// fault records a fault that fired in a process or a service (the proxy's
// are its hops).
func (t *tracer) fault(f faults.Fault) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	switch f.Kind {
	case faults.CrashFault:
		t.rec.Crash(f.At, f.Crash.Node, f.Crash.Downtime)
	case faults.CrashAtFault:
		t.rec.Crash(f.At, f.Point.Node, f.Point.Downtime)
	case faults.ClientCrashFault:
		t.rec.Crash(f.At, f.Crash.Node, f.Crash.Downtime)
		t.rec.Restart(f.At.Add(f.Crash.Downtime), f.Crash.Node)
	case faults.PauseFault:
		t.rec.Pause(f.At, f.Crash.Node, f.Crash.Downtime)
		t.rec.Thaw(f.At.Add(f.Crash.Downtime), f.Crash.Node)
	case faults.DBDropConnection:
		t.rec.DBFault(f.At, t.serverOf(f.Msg), f.Msg, f.Kind)
		t.faulted[f.Msg.String()] = f
	case faults.DBLostCommitAck:
		t.faulted[f.Msg.String()] = f
	case faults.GatewayTimeout, faults.Gateway500:
		t.rec.GatewayFault(f.At, t.serverOf(f.Msg), f.Msg.Op, f.Msg.Attempt, f.Kind)
	}
}

// restarted records a node coming back after a crash.
func (t *tracer) restarted(node string) {
	t.add(func(r *world.Recorder, at sim.Time) { r.Restart(at, node) })
}

// observer is what server process name tells the trace.
func (t *tracer) observer(name string) server.Observer {
	if t == nil {
		return nil
	}
	return processObserver{t: t, server: name}
}

type processObserver struct {
	t      *tracer
	server string
}

func (o processObserver) Handle(ref faults.Ref, req api.Request) {
	o.t.add(func(r *world.Recorder, at sim.Time) {
		r.Handle(at, o.server, ref.Caller, ref.Op, ref.Attempt, req.Key, req.Kind)
	})
}

func (o processObserver) Answer(ref faults.Ref, resp api.Response) {
	o.t.add(func(r *world.Recorder, at sim.Time) {
		r.Answer(at, o.server, ref.Caller, ref.Op, ref.Attempt, resp.Status, resp.Resource)
	})
}

// Seen: the trace has the statement from when it ran.
func (processObserver) Seen(server.Statement) {}

func (o processObserver) Statement(st server.Statement) {
	t := o.t
	t.mu.Lock()
	defer t.mu.Unlock()
	at := t.now()
	f, hit := t.faulted[st.Ref.String()]
	if hit && f.Kind == faults.DBDropConnection {
		return // cut before it was sent
	}
	err := st.Err
	if hit && f.Kind == faults.DBLostCommitAck {
		err = nil // it committed; only its answer was lost
	}
	t.rec.SQL(at, o.server, st.Ref, st.Query, st.Result, err)
	if hit {
		t.rec.DBFault(at, o.server, st.Ref, f.Kind)
	}
	if err == nil && (st.Query == "commit" || !st.InTx) {
		t.commits[st.Tag] = append(t.commits[st.Tag], at)
	}
}

func (o processObserver) KV(c server.KVCall) {
	if errors.Is(c.Err, api.ErrConnection) || errors.Is(c.Err, api.ErrTimeout) {
		return // the store never answered, which the simulation does not record either
	}
	o.t.add(func(r *world.Recorder, at sim.Time) { r.KV(at, o.server, c.Ref, c.Command, c.Key, c.Yes, c.Err != nil) })
}

func (o processObserver) Queue(c server.QueueCall) {
	op, _ := api.ParseOpID(c.Tag)
	o.t.add(func(r *world.Recorder, at sim.Time) {
		switch c.Action {
		case server.QueueSend:
			r.QueueSent(at, o.server, op, c.Message)
		case server.QueueReceive:
			r.QueueDelivered(at, o.server, op, c.Message)
		case server.QueueAck:
			r.QueueDeleted(at, o.server, c.Message)
		}
	})
}

// Gateway records a gateway call that did not begin a charge (those come
// from the gateway's ledger, with the moment each began): a replay or a
// refusal, a lookup, a refund.
func (o processObserver) Gateway(c server.GatewayCall) {
	if errors.Is(c.Err, api.ErrConnection) || errors.Is(c.Err, api.ErrTimeout) {
		return // no answer: a gateway fault or a lost call, recorded as such
	}
	o.t.add(func(r *world.Recorder, at sim.Time) {
		switch c.Call {
		case server.GatewayCharge:
			if c.Err == nil && c.Result.Outcome != "charged" {
				r.GatewayAnswered(at, o.server, c.Ref, c.Result.Outcome, c.Result.Status, c.Result.ChargeID)
			}
		case server.GatewayLookupByKey, server.GatewayLookupByID:
			if c.Err == nil {
				state := "none"
				if c.Status.Found {
					state = c.Status.State
				}
				r.GatewayLookup(at, o.server, c.Ref, c.Call == server.GatewayLookupByKey, state, c.Status.ChargeID)
			}
		case server.GatewayRefund:
			r.GatewayRefund(at, o.server, c.Ref, c.Status.ChargeID)
		}
	})
}

func (o processObserver) CrashPoint(tag string, p faults.CrashPoint) {
	op, _ := api.ParseOpID(tag)
	o.t.add(func(r *world.Recorder, at sim.Time) { r.CrashPoint(at, p.Node, op, p.Point, p.Nth) })
}

func (o processObserver) Restart() { o.t.restarted(o.server) }

// ledger records the ledger's rows, each when its transaction committed,
// and the gateway's charges: each call that began one, its money moving,
// and its refund.
func (t *tracer) ledger(rows []world.Row, charges []gateway.Charge, since func(time.Time) sim.Time) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, row := range rows {
		if row.Source == world.SourceGateway {
			continue // from the charges below
		}
		at := row.At
		for _, c := range t.commits[row.Op.String()] {
			if c >= at {
				at = c
				break
			}
		}
		id, _ := strconv.ParseInt(row.ID, 10, 64)
		t.rec.LedgerRow(at, row.Source, id, row.Op, row.Deleted)
	}
	for _, c := range charges {
		op, _ := api.ParseOpID(c.Tag)
		if ref, err := faults.ParseRef(c.Ref); err == nil {
			t.rec.GatewayCharge(since(c.Began), t.serverOf(ref), ref, c.ID)
		}
		if !c.Completed.IsZero() {
			t.rec.Charge(since(c.Completed), c.ID, c.AmountCents, op, false)
		}
		if c.Refunded {
			t.rec.Charge(since(c.RefundedAt), c.ID, c.AmountCents, op, true)
		}
	}
}
