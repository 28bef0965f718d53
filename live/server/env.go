package server

import (
	"io"
	"log"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/live/decide"
	"github.com/idemsim/idemsim/live/pgdb"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/db/sql"
)

func newDiscardLogger() *log.Logger { return log.New(io.Discard, "", 0) }

// callCounts numbers an actor's calls per service, as the simulated env's
// do (sim/world/server.go): "c3/o3.7/a2/gateway1" is the first gateway call
// of the handler serving that attempt.
type callCounts struct {
	mu sync.Mutex
	n  [8]int32
}

func (c *callCounts) next(svc api.Service) int32 { return c.add(svc, 1) }

// add counts n calls to svc and returns the count.
func (c *callCounts) add(svc api.Service, n int32) int32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[svc] += n
	return c.n[svc]
}

// env is a handler's or worker's api.Env in one life of the process.
type env struct {
	l     *life
	ref   faults.Ref // the request served, or the worker
	calls *callCounts
	mu    sync.Mutex
	tag   string // the operation the actor works for
	adopt bool   // a worker takes on the operation of the message it receives
	db    Session
	// dbBase is the worker's database calls before this life's session:
	// a worker's calls are numbered across restarts.
	dbBase int32
	// holds: the actor has its life's turn (life.turn); only the actor's
	// own goroutine reads or writes it.
	holds bool
}

// take waits for the life's turn: the actor's strategy code runs only
// while it has it.
func (e *env) take() {
	e.l.turn.Lock()
	e.holds = true
}

// yield lets the turn go, for a service call, a sleep or the actor's end
// (a crash unwinding it included).
func (e *env) yield() {
	if e.holds {
		e.holds = false
		e.l.turn.Unlock()
	}
}

var _ api.Env = (*env)(nil)

func (l *life) env(ref faults.Ref, tag string, calls *callCounts, adopt bool) *env {
	return &env{l: l, ref: ref, calls: calls, tag: tag, adopt: adopt}
}

// Now is the server's clock, skewed as the run says.
func (e *env) Now() sim.Time {
	p := e.l.p
	if p.cfg.Skewed != nil {
		return p.cfg.Skewed(p.now())
	}
	return p.now()
}

// Sleep waits d of real time, unless the process crashes first.
func (e *env) Sleep(d sim.Duration) {
	e.l.step()
	e.yield()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-e.l.ctx.Done():
	}
	e.take()
	e.l.step()
}

func (e *env) Server() string { return e.l.p.cfg.Name }

// Crash is the strategy reaching a named step: the process crashes here
// if the run's crash points say so, and the caller never returns.
func (e *env) Crash(point string) {
	e.l.step()
	p := e.l.p
	declared := false
	for _, cp := range p.cfg.Strategy.CrashPoints {
		declared = declared || cp == point
	}
	if !declared {
		panic("strategy " + p.cfg.Strategy.Name + " reached crash point " + point + ", which it does not declare in CrashPoints")
	}
	if p.cfg.Points == nil {
		return
	}
	fire, ok := p.cfg.Points.reach(p.cfg.Name, point)
	if !ok {
		return
	}
	if o := p.cfg.Observe; o != nil {
		o.CrashPoint(e.getTag(), fire)
	}
	at := p.now()
	p.crashWith(fire.Downtime, faults.Fault{Kind: faults.CrashAtFault, At: at, Point: fire})
	panic(errCrashed)
}

func (e *env) getTag() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.tag
}

// adoptTag makes a worker act for the operation of the message it
// received.
func (e *env) adoptTag(tag string) {
	if !e.adopt || tag == "" {
		return
	}
	e.mu.Lock()
	e.tag = tag
	db := e.db
	e.mu.Unlock()
	if db != nil {
		db.SetTag(tag)
	}
}

// callRef is the reference of the actor's next call to svc.
func (e *env) callRef(svc api.Service) faults.Ref {
	r := e.ref
	r.Service, r.Call = svc, e.calls.next(svc)
	return r
}

// session is the actor's database session, opened at its first call.
func (e *env) session() Session {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.db == nil {
		p := e.l.p
		e.dbBase = e.calls.add(api.ServiceDB, 0)
		e.db = e.l.b.DB.Session(e.tag, func(call int, query string) DBFault {
			// The session numbers its calls as the simulation does
			// (live/pgdb/session.go); a worker's go on from its earlier
			// lives'.
			r := e.ref
			r.Service, r.Call = api.ServiceDB, e.dbBase+int32(call)
			if p.cfg.DBFault == nil {
				return NoDBFault
			}
			f := p.cfg.DBFault(r, query)
			switch f {
			case DBDropConnection:
				p.fired(faults.Fault{Kind: faults.DBDropConnection, At: p.now(), Msg: r})
			case DBLostCommitAck:
				p.fired(faults.Fault{Kind: faults.DBLostCommitAck, At: p.now(), Msg: r})
			}
			return f
		})
		e.db.SetLink(e.dbLink(e.dbBase))
	}
	return e.db
}

func (e *env) DB() api.DB { return envDB{e} }

func (e *env) Replica() api.DB { return envReplica{e} }

func (e *env) KV() api.KV { return envKV{e} }

func (e *env) Gateway() api.Gateway { return envGateway{e} }

func (e *env) Queue() api.Queue { return envQueue{e} }

// finish rolls back what the actor left open, as a pool resets a
// returned connection, and counts a worker's database calls.
func (e *env) finish() {
	e.mu.Lock()
	db := e.db
	e.db = nil
	e.mu.Unlock()
	if db != nil {
		before := db.Calls()
		db.Finish()
		if o := e.l.p.cfg.Observe; o != nil {
			// Each rollback of a transaction left open is a call, as
			// in the simulation, whose handler's env rolls them back
			// when it returns; a life that crashed never returns, so
			// its actor saw none of them.
			for n := before + 1; n <= db.Calls(); n++ {
				st := e.statement(int32(n), "rollback", true, api.Result{}, nil, false)
				o.Statement(st)
				if e.l.ctx.Err() == nil {
					o.Seen(st)
				}
			}
		}
		e.calls.add(api.ServiceDB, int32(db.Calls()))
	}
}

// statement is the actor's database call number n (in this life's
// session) as the observer is told of it.
func (e *env) statement(n int32, query string, inTx bool, res api.Result, err error, waited bool) Statement {
	r := e.ref
	r.Service, r.Call = api.ServiceDB, e.dbBase+n
	return Statement{Ref: r, Tag: e.getTag(), Query: query, InTx: inTx, Result: res, Err: err, Waited: waited}
}

// waiter is a session that can say whether its last call waited for a
// lock (live/pgdb's Session, when a lock watch watches its pool).
type waiter interface{ Waited() bool }

// dbCall runs one database call of query (inside a transaction or not)
// between guard's checkpoints. The process's observer is told of it as
// soon as it ran (Statement), under the number the session gave it (none:
// a call on a transaction that ended or broke, which the session does not
// number), and again once the actor is past the checkpoint after it
// (Seen): a call after which the process crashed was never seen, as a
// simulated actor that crashed never gets its answer.
func dbCall[T any](e *env, query string, inTx bool, call func() (T, error)) (T, error) {
	o := e.l.p.cfg.Observe
	if o == nil {
		return guard(e, call)
	}
	var st *Statement
	v, err := guard(e, func() (T, error) {
		db := e.session()
		before := db.Calls()
		v, err := call()
		if n := db.Calls(); n > before {
			var res api.Result
			if rr, ok := any(v).(api.Result); ok {
				res = rr
			}
			w, ok := db.(waiter)
			s := e.statement(int32(n), query, inTx, res, err, ok && w.Waited())
			o.Statement(s)
			st = &s
		}
		return v, err
	})
	if st != nil {
		o.Seen(*st)
	}
	return v, err
}

// beginText is the statement Begin(level) sends, as the session spells
// it.
func beginText(e *env, level api.Level) string {
	if level == api.DefaultLevel {
		level = e.l.p.cfg.Settings.Isolation
	}
	return pgdb.BeginSQL(level)
}

// guard runs one service call between two checkpoints.
func guard[T any](e *env, call func() (T, error)) (T, error) {
	e.l.step()
	e.yield()
	v, err := call()
	e.take()
	e.atStep()
	e.l.step()
	return v, err
}

type envDB struct{ e *env }

func (d envDB) Begin(level api.Level) (api.Tx, error) {
	t, err := dbCall(d.e, beginText(d.e, level), true, func() (api.Tx, error) { return d.e.session().Begin(level) })
	if err != nil {
		return nil, err
	}
	return &tx{Tx: t, e: d.e}, nil
}

func (d envDB) Exec(query string, args ...api.Value) (api.Result, error) {
	return d.exec(query, query, args)
}

// exec runs query on its own; the observer is told it ran as text.
func (d envDB) exec(text, query string, args []api.Value) (api.Result, error) {
	return d.e.adoptFrom(dbCall(d.e, text, false, func() (api.Result, error) { return d.e.session().Exec(query, args...) }))
}

// adoptFrom makes a worker act for the operation whose key the rows it
// read name, when they name exactly one.
func (e *env) adoptFrom(res api.Result, err error) (api.Result, error) {
	owner := e.l.p.cfg.KeyOwner
	if !e.adopt || owner == nil || err != nil {
		return res, err
	}
	found := ""
	for _, row := range res.Rows {
		for _, v := range row {
			if v.Kind != sql.TextKind {
				continue
			}
			switch tag := owner(v.Text); {
			case tag == "" || tag == found:
			case found == "":
				found = tag
			default:
				return res, err // several operations: keep the current one
			}
		}
	}
	e.adoptTag(found)
	return res, err
}

type tx struct {
	api.Tx
	e *env
}

func (t *tx) Exec(query string, args ...api.Value) (api.Result, error) {
	return t.e.adoptFrom(dbCall(t.e, query, true, func() (api.Result, error) { return t.Tx.Exec(query, args...) }))
}

func (t *tx) Commit() error {
	_, err := dbCall(t.e, "commit", true, func() (struct{}, error) { return struct{}{}, t.Tx.Commit() })
	return err
}

func (t *tx) Rollback() error {
	_, err := dbCall(t.e, "rollback", true, func() (struct{}, error) { return struct{}{}, t.Tx.Rollback() })
	return err
}

// envReplica is the read replica. Live mode has no standby: it reads the
// primary, current, which is the simulation's default (no replica lag),
// and refuses what a standby refuses.
type envReplica struct{ e *env }

func (d envReplica) Begin(api.Level) (api.Tx, error) {
	return nil, &sql.Error{Code: sql.CodeReadOnlyTransaction, Msg: "the replica runs single read-only statements, not transactions"}
}

func (d envReplica) Exec(query string, args ...api.Value) (api.Result, error) {
	q := strings.ToLower(strings.TrimSpace(query))
	if !strings.HasPrefix(q, "select") || strings.Contains(q, " for update") || strings.Contains(q, " for share") ||
		strings.Contains(q, " for no key update") || strings.Contains(q, " for key share") {
		return api.Result{}, &sql.Error{Code: sql.CodeReadOnlyTransaction, Msg: "cannot execute this statement on a read-only replica"}
	}
	// Marked as the simulated timeline marks a statement the replica ran.
	return envDB(d).exec("[replica] "+query, query, args)
}

type envKV struct{ e *env }

// kvCall runs one store command on key between checkpoints, numbered as
// the simulation numbers it, over the link (link.go), and tells the observer how it went (yes: its
// result reads as a hit, OK, a deletion, a release or 1).
func kvCall[T any](k envKV, command, key string, call func(api.KV) (T, error), yes func(T) bool) (T, error) {
	return guard(k.e, func() (T, error) {
		ref := k.e.callRef(api.ServiceKV)
		v, err := linked(k.e, ref, func() (T, error) { return call(k.e.l.b.KV) })
		if o := k.e.l.p.cfg.Observe; o != nil {
			o.KV(KVCall{Ref: ref, Command: command, Key: key, Yes: err == nil && yes(v), Err: err})
		}
		return v, err
	})
}

func (k envKV) Get(key string) (string, bool, error) {
	type got struct {
		v  string
		ok bool
	}
	g, err := kvCall(k, "GET", key, func(kv api.KV) (got, error) { v, ok, err := kv.Get(key); return got{v, ok}, err },
		func(g got) bool { return g.ok })
	return g.v, g.ok, err
}

func (k envKV) Set(key, value string, opt api.SetOptions) (bool, error) {
	return kvCall(k, "SET", key, func(kv api.KV) (bool, error) { return kv.Set(key, value, opt) }, isTrue)
}

func (k envKV) Del(keys ...string) (int, error) {
	first := ""
	if len(keys) > 0 {
		first = keys[0]
	}
	return kvCall(k, "DEL", first, func(kv api.KV) (int, error) { return kv.Del(keys...) }, func(n int) bool { return n > 0 })
}

func (k envKV) Expire(key string, ttl sim.Duration) (bool, error) {
	return kvCall(k, "PEXPIRE", key, func(kv api.KV) (bool, error) { return kv.Expire(key, ttl) }, isTrue)
}

func (k envKV) TTL(key string) (sim.Duration, error) {
	return kvCall(k, "PTTL", key, func(kv api.KV) (sim.Duration, error) { return kv.TTL(key) }, func(sim.Duration) bool { return false })
}

func (k envKV) Incr(key string) (int64, error) {
	return kvCall(k, "INCR", key, func(kv api.KV) (int64, error) { return kv.Incr(key) }, func(int64) bool { return false })
}

func (k envKV) CompareAndDelete(key, value string) (bool, error) {
	return kvCall(k, "CAD", key, func(kv api.KV) (bool, error) { return kv.CompareAndDelete(key, value) }, isTrue)
}

func isTrue(b bool) bool { return b }

type envGateway struct{ e *env }

// gwCall runs one gateway call between checkpoints, numbered as the
// simulation numbers it, over the link (link.go), and tells the observer what it gave (c holds the
// call's kind and arguments; gwCall fills in the rest).
func gwCall[T any](g envGateway, c GatewayCall, call func(api.Gateway) (T, error), tell func(*GatewayCall, T)) (T, error) {
	return guard(g.e, func() (T, error) {
		c.Ref = g.e.callRef(api.ServiceGateway)
		v, err := linked(g.e, c.Ref, func() (T, error) { return call(g.e.l.b.Gateway(g.e.getTag(), c.Ref.String())) })
		if o := g.e.l.p.cfg.Observe; o != nil {
			c.Err = err
			tell(&c, v)
			o.Gateway(c)
		}
		return v, err
	})
}

func (g envGateway) Charge(req api.ChargeRequest) (api.ChargeResult, error) {
	return gwCall(g, GatewayCall{Call: GatewayCharge}, func(gw api.Gateway) (api.ChargeResult, error) { return gw.Charge(req) },
		func(c *GatewayCall, r api.ChargeResult) { c.Result = r })
}

func (g envGateway) LookupByKey(key string) (api.ChargeStatus, error) {
	return gwCall(g, GatewayCall{Call: GatewayLookupByKey}, func(gw api.Gateway) (api.ChargeStatus, error) { return gw.LookupByKey(key) },
		func(c *GatewayCall, st api.ChargeStatus) { c.Status = st })
}

func (g envGateway) LookupByID(id string) (api.ChargeStatus, error) {
	return gwCall(g, GatewayCall{Call: GatewayLookupByID}, func(gw api.Gateway) (api.ChargeStatus, error) { return gw.LookupByID(id) },
		func(c *GatewayCall, st api.ChargeStatus) { c.Status = st })
}

func (g envGateway) Refund(id string) error {
	_, err := gwCall(g, GatewayCall{Call: GatewayRefund, Status: api.ChargeStatus{ChargeID: id}},
		func(gw api.Gateway) (struct{}, error) { return struct{}{}, gw.Refund(id) }, func(*GatewayCall, struct{}) {})
	return err
}

type envQueue struct{ e *env }

// queue makes one call to the queue, numbered, over the link (link.go).
func queue[T any](q envQueue, call func(api.Queue) (T, error)) (T, error) {
	return guard(q.e, func() (T, error) {
		return linked(q.e, q.e.callRef(api.ServiceQueue), func() (T, error) {
			return call(q.e.l.b.Queue.For(q.e.getTag(), q.e.adoptTag))
		})
	})
}

// tell tells the observer what the queue did for the actor: action
// (QueueSend, QueueReceive or QueueAck) on message.
func (q envQueue) tell(action QueueAction, message string) {
	if o := q.e.l.p.cfg.Observe; o != nil {
		o.Queue(QueueCall{Tag: q.e.getTag(), Action: action, Message: message})
	}
}

func (q envQueue) Send(body string) (string, error) {
	id, err := queue(q, func(c api.Queue) (string, error) { return c.Send(body) })
	if err == nil {
		q.tell(QueueSend, id)
	}
	return id, err
}

func (q envQueue) Receive(wait sim.Duration) (api.Message, bool, error) {
	type got struct {
		m  api.Message
		ok bool
	}
	g, err := queue(q, func(c api.Queue) (got, error) { m, ok, err := c.Receive(wait); return got{m, ok}, err })
	if err == nil && g.ok {
		q.tell(QueueReceive, g.m.Receipt)
	}
	return g.m, g.ok, err
}

func (q envQueue) Ack(receipt string) error {
	_, err := queue(q, func(c api.Queue) (struct{}, error) { return struct{}{}, c.Ack(receipt) })
	q.tell(QueueAck, receipt)
	return err
}

func (q envQueue) ChangeVisibility(receipt string, timeout sim.Duration) error {
	_, err := queue(q, func(c api.Queue) (struct{}, error) { return struct{}{}, c.ChangeVisibility(receipt, timeout) })
	return err
}

// CrashPoints arms the steps strategies name with Env.Crash, for all the
// run's servers: explicit occurrences (s1:after-charge#3, any:point#2)
// always, random ones (~p) decided by hash of the seed, server, point and
// occurrence, so a live run's choices are the same whatever the timing of
// its threads. Occurrences are counted per server and point across
// restarts, as in the simulation (sim/world/crashpoint.go).
type CrashPoints struct {
	mu       sync.Mutex
	seed     uint64
	specs    []faults.CrashPoint
	counts   map[string]int
	anyCount map[string]int
}

// NewCrashPoints arms specs; random ones (Nth 0) only when random is set
// (a replay arms only what its list names).
func NewCrashPoints(seed uint64, specs []faults.CrashPoint, random bool) *CrashPoints {
	c := &CrashPoints{seed: seed, counts: make(map[string]int), anyCount: make(map[string]int)}
	for _, cp := range specs {
		if cp.Nth > 0 || random {
			c.specs = append(c.specs, cp)
		}
	}
	return c
}

// reach counts server reaching point and says whether it crashes there.
func (c *CrashPoints) reach(server, point string) (faults.CrashPoint, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts[server+":"+point]++
	c.anyCount[point]++
	n := c.counts[server+":"+point]
	flip := func(p float64) bool {
		return decide.Hit(c.seed, server+":"+point+"#"+strconv.Itoa(n), "crash-at", p)
	}
	for _, cp := range c.specs {
		if cp.Fires(server, point, n, c.anyCount[point], flip) {
			return faults.CrashPoint{Node: server, Point: point, Nth: n, Downtime: cp.Downtime}, true
		}
	}
	return faults.CrashPoint{}, false
}
