// Package server hosts a strategy in a real server process: a net/http
// server on a loopback port whose handlers are the strategy's own, with an
// api.Env on the real clock and real services behind it (PostgreSQL, Redis,
// the gateway and queue services of live/). It is the live counterpart of
// the simulated server in sim/world/server.go, and it has the same faults:
//
//   - Crash: the process dies. Its listener and every client connection
//     close (a request in flight gets no response), its database and store
//     connections close at once (PostgreSQL rolls back what was open; a
//     COMMIT already sent may still apply), its handlers and workers stop
//     at their next step, and its memory (what Boot's closure holds) is
//     lost. After the downtime it boots again on the same address.
//   - A crash point (Env.Crash) armed by the run's --crash-at.
//   - Pause: the process freezes. Requests and service calls wait at their
//     next step, with their connections and locks held, until it resumes.
//   - A message lost between the process and a service (a partition):
//     Config.ServiceLink says which, and the call fails as the simulated
//     one does (link.go).
//
// What the strategy sees is only sim/api: the operation a request belongs
// to travels in a header (wire.HeaderOpRef) that the Env keeps to itself,
// to number the handler's service calls as the simulation does and to tag
// what the handler does for the oracle.
package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/live/pgdb"
	"github.com/idemsim/idemsim/live/wire"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
)

// Database is the database as one life of a process reaches it: a pool
// of connections that a crash kills at once.
type Database interface {
	// Session is api.DB for one actor (a request's handler, a worker)
	// working for tag. Every call it makes is numbered from 1, and fault
	// says what to inject into call n (a drop, a lost commit ack).
	Session(tag string, fault func(call int, query string) DBFault) Session
	// Kill closes every connection at once, those in use included.
	Kill()
}

// Session is one actor's database session.
type Session interface {
	api.DB
	// SetTag changes the operation the session works for, from its next
	// statement: a worker takes on the operation of the message it
	// received.
	SetTag(tag string)
	// Calls is how many calls the session has numbered.
	Calls() int
	// Finish rolls back what the actor left open, as a pool resets a
	// returned connection.
	Finish()
	// SetLink puts the session's calls under the link to the database
	// (Config.ServiceLink).
	SetLink(pgdb.Link)
}

// DBFault is a fault injected into a database call.
type DBFault uint8

// The database faults.
const (
	NoDBFault        DBFault = iota
	DBDropConnection         // faults.DBDropConnection
	DBLostCommitAck          // faults.DBLostCommitAck
)

// Queue is the queue as one life of a process reaches it.
type Queue interface {
	// For is api.Queue for an actor working for tag; a Receive calls adopt
	// with the tag of the message it delivers.
	For(tag string, adopt func(tag string)) api.Queue
	Kill()
}

// Backends are one life's connections to the services.
type Backends struct {
	DB    Database
	KV    api.KV
	Queue Queue
	// Gateway is the gateway for the call ref (its "gatewayN" included)
	// made on behalf of tag.
	Gateway func(tag, ref string) api.Gateway
	// Close ends what the backends hold that Kill does not (the store's
	// client): called at a crash and at the end.
	Close func()
}

// Config is one server process.
type Config struct {
	Name     string // "s1"
	Addr     string // host:port it listens on, the same after a restart
	Strategy api.Strategy
	Settings api.Settings
	// Clock is the run's clock (the time since its start): Env.Now, and
	// the moment of the faults the process logs.
	Clock func() sim.Time
	// Skewed, when set, is what the server's own clock shows at the run's
	// time t (its skew and drift): Env.Now reads Skewed(Clock()).
	Skewed func(t sim.Time) sim.Time
	// Open connects a new life's backends, at every boot.
	Open func(ctx context.Context) (*Backends, error)
	// Points arms the crash points; shared by the run's servers, since
	// "any:point#n" counts across them.
	Points *CrashPoints
	// Steps arms crashes and pauses at steps of the handlers (nil: none).
	Steps *StepFaults
	// DBFault is the fault for a database call (ref names the call), nil
	// for none.
	DBFault func(ref faults.Ref, query string) DBFault
	// Fired records a fault that fired in this process (crashes, crash
	// points, pauses, database faults).
	Fired func(faults.Fault)
	// ServiceLink decides whether the request (answered false) or the
	// answer (answered true) of the service call ref that this server
	// makes is lost on its way, as a partition or a fault on the service
	// link loses it, and how long after the call the caller hears that
	// its connection broke (nil: nothing is lost). See link.go.
	ServiceLink func(server string, ref faults.Ref, answered bool) (lost bool, after time.Duration)
	// ServiceTime is how long the server works on the request with
	// reference ref before its handler runs (nil: none).
	ServiceTime func(ref string) time.Duration
	// KeyOwner names the operation (its tag) whose idempotency key is
	// key, "" for none. A worker that reads rows naming exactly one
	// operation's key takes that operation on, as the simulated world's
	// workers adopt the provenance of the rows they read
	// (sim/world/server.go, adoptTags).
	KeyOwner func(key string) string
	// Failed reports an error the process could not go on after (a boot
	// that could not connect).
	Failed func(error)
	// Observe, when set, is told what the process does, for a live run's
	// trace.
	Observe Observer
}

// Statement is one database call an actor made.
type Statement struct {
	// Ref names the call (a handler's, or a worker's: Caller is then the
	// server), Tag the operation the actor worked for.
	Ref   faults.Ref
	Tag   string
	Query string // the statement, "commit" or "rollback"
	// InTx: the statement ran inside a transaction (a COMMIT or ROLLBACK
	// ends one); outside, it committed on its own.
	InTx   bool
	Result api.Result
	Err    error
	// Waited: the database's lock watch saw the statement wait for a
	// lock (live/pgdb's LockWatch; false without one).
	Waited bool
}

// KVCall is one store command an actor made.
type KVCall struct {
	Ref faults.Ref // the call, numbered as the simulation numbers it
	// Command is the command as the simulated timeline names it: GET,
	// SET, DEL, PEXPIRE, PTTL, INCR or CAD (the safe compare-and-delete).
	Command string
	Key     string // its key (a DEL's first)
	// Yes: its result reads as a hit, OK, a deletion, a release or 1.
	Yes bool
	Err error
}

// GatewayCall is one gateway call an actor made.
type GatewayCall struct {
	Ref  faults.Ref // the call, numbered as the simulation numbers it
	Call GatewayCallKind
	// Result is a charge's answer; Status what a lookup found (a refund's
	// ChargeID is the charge it refunds).
	Result api.ChargeResult
	Status api.ChargeStatus
	Err    error
}

// GatewayCallKind is what a gateway call asked.
type GatewayCallKind uint8

// The gateway's calls.
const (
	GatewayCharge GatewayCallKind = iota + 1
	GatewayLookupByKey
	GatewayLookupByID
	GatewayRefund
)

// QueueAction is what the queue did with a message.
type QueueAction uint8

// The queue's actions.
const (
	QueueSend    QueueAction = iota + 1 // it stored a message an actor sent
	QueueReceive                        // it delivered one to an actor
	QueueAck                            // it deleted one an actor was done with
)

// QueueCall is what the queue did for an actor working for Tag: Action on
// Message (its id when sent, else its receipt).
type QueueCall struct {
	Tag     string
	Action  QueueAction
	Message string
}

// Observer is told what a process does, from its goroutines, at the moment
// each thing happens.
type Observer interface {
	// Handle: a request's handling begins (before the server's service
	// time); Answer: its handler answered (not when the process died
	// first).
	Handle(ref faults.Ref, req api.Request)
	Answer(ref faults.Ref, resp api.Response)
	// Statement: a database call ran. A call the session does not
	// number (on a transaction already ended or broken) is not told.
	// Seen: its actor then went on with the answer (not when the process
	// crashed first), as a simulated actor sees an answer.
	Statement(Statement)
	Seen(Statement)
	// KV: a store command ran. Queue: the queue stored, delivered or
	// deleted a message for an actor.
	KV(KVCall)
	Queue(QueueCall)
	// Gateway: a gateway call returned.
	Gateway(GatewayCall)
	// CrashPoint: an actor working for tag reached point, where the
	// process crashes.
	CrashPoint(tag string, point faults.CrashPoint)
	// Restart: the process booted again after a crash.
	Restart()
}

// NopObserver is an Observer told of everything that does nothing with
// it, to embed in one that wants only some of it.
type NopObserver struct{}

func (NopObserver) Handle(faults.Ref, api.Request)       {}
func (NopObserver) Answer(faults.Ref, api.Response)      {}
func (NopObserver) Statement(Statement)                  {}
func (NopObserver) Seen(Statement)                       {}
func (NopObserver) KV(KVCall)                            {}
func (NopObserver) Queue(QueueCall)                      {}
func (NopObserver) Gateway(GatewayCall)                  {}
func (NopObserver) CrashPoint(string, faults.CrashPoint) {}
func (NopObserver) Restart()                             {}

// Process is a server process across its lives.
type Process struct {
	cfg Config
	mu  sync.Mutex
	cur *life // nil while down
	// stopped: the run is over; no restart.
	stopped bool
	// workerCalls number each worker's calls across lives, as the
	// simulation does, so a fault line names the same call in a replay.
	workerCalls map[string]*callCounts
	// actors are the handlers and workers running, of any life;
	// handlers the handlers alone.
	actors   sync.WaitGroup
	handlers sync.WaitGroup
	timers   []*time.Timer
}

// errCrashed unwinds an actor of a life that ended.
var errCrashed = errors.New("server: the process crashed")

// Start boots the process.
func Start(cfg Config) (*Process, error) {
	p := &Process{cfg: cfg, workerCalls: make(map[string]*callCounts)}
	if err := p.boot(); err != nil {
		return nil, err
	}
	return p, nil
}

// Name is the process's name.
func (p *Process) Name() string { return p.cfg.Name }

// now is the run's clock.
func (p *Process) now() sim.Time { return p.cfg.Clock() }

// life is one boot of the process: what a crash destroys.
type life struct {
	p        *Process
	b        *Backends
	handlers api.Server
	srv      *http.Server
	ctx      context.Context // canceled at the crash
	cancel   context.CancelFunc
	mu       sync.Mutex
	// resume is closed when the process is not paused; a pause replaces
	// it with an open one until it ends.
	resume chan struct{}
	// turn is held by the one actor (a handler or a worker) whose
	// strategy code is running, which lets it go for each service call and
	// sleep: a simulated process runs its actors one at a time between
	// those, so a strategy's own memory (local-cache's maps) is never
	// touched by two at once, and a check of it and the claim after it
	// cannot be split. Live handlers run on goroutines of their own, and
	// without it two racing requests would write such a map at once.
	turn sync.Mutex
}

func (p *Process) boot() error {
	ctx, cancel := context.WithCancel(context.Background())
	b, err := p.cfg.Open(ctx)
	if err != nil {
		cancel()
		return fmt.Errorf("server %s: %w", p.cfg.Name, err)
	}
	ln, err := listen(p.cfg.Addr)
	if err != nil {
		cancel()
		b.DB.Kill()
		b.Queue.Kill()
		b.Close()
		return fmt.Errorf("server %s: %w", p.cfg.Name, err)
	}
	l := &life{p: p, b: b, ctx: ctx, cancel: cancel, resume: make(chan struct{})}
	close(l.resume)
	l.handlers = p.cfg.Strategy.Boot(p.cfg.Settings)
	l.srv = &http.Server{Handler: l, ReadHeaderTimeout: 10 * time.Second, ErrorLog: quietLog}
	p.mu.Lock()
	p.cur = l
	p.mu.Unlock()
	go l.srv.Serve(ln)
	for _, wk := range l.handlers.Workers {
		key := wk.Name
		counts := p.workerCalls[key]
		if counts == nil {
			counts = &callCounts{}
			p.workerCalls[key] = counts
		}
		e := l.env(faults.Ref{Caller: p.cfg.Name, Worker: wk.Name}, "", counts, true)
		run := wk.Run
		p.actors.Add(1)
		go func() {
			defer p.actors.Done()
			defer e.finish()
			defer recoverCrash()
			e.take()
			defer e.yield()
			run(e)
		}()
	}
	return nil
}

// listen binds addr, retrying briefly: a restart may race the old
// listener's close.
func listen(addr string) (net.Listener, error) {
	var err error
	for i := 0; i < 50; i++ {
		var ln net.Listener
		if ln, err = net.Listen("tcp", addr); err == nil {
			return ln, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil, err
}

// recoverCrash ends an actor that unwound with errCrashed quietly, and
// lets anything else through.
func recoverCrash() {
	if r := recover(); r != nil && r != errCrashed {
		panic(r)
	}
}

// Crash kills the process now and boots it again after downtime. It
// reports false when the process was already down.
func (p *Process) Crash(downtime time.Duration) bool {
	at := p.now()
	return p.crashWith(downtime, faults.Fault{Kind: faults.CrashFault, At: at,
		Crash: faults.Crash{Node: p.cfg.Name, At: at, Downtime: downtime}})
}

func (p *Process) crashWith(downtime time.Duration, f faults.Fault) bool {
	p.mu.Lock()
	l := p.cur
	if l == nil || p.stopped {
		p.mu.Unlock()
		return false
	}
	p.cur = nil
	p.mu.Unlock()
	l.end()
	p.fired(f)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.timers = append(p.timers, time.AfterFunc(downtime, func() {
		p.mu.Lock()
		stopped := p.stopped
		p.mu.Unlock()
		if stopped {
			return
		}
		err := p.boot()
		switch {
		case err != nil && p.cfg.Failed != nil:
			p.cfg.Failed(err)
		case err == nil && p.cfg.Observe != nil:
			p.cfg.Observe.Restart()
		}
	}))
	return true
}

// end destroys the life: connections, listener, pending calls.
func (l *life) end() {
	l.cancel()
	l.srv.Close() // the listener and every client connection
	l.b.DB.Kill()
	l.b.Queue.Kill()
	l.b.Close()
	l.mu.Lock()
	select {
	case <-l.resume:
	default:
		close(l.resume) // a paused actor wakes to find the life over
	}
	l.mu.Unlock()
}

// Pause freezes the process for d: its actors stop at their next step
// with what they hold. It reports false when the process is down or
// already paused.
func (p *Process) Pause(d time.Duration) bool {
	p.mu.Lock()
	l := p.cur
	p.mu.Unlock()
	if l == nil {
		return false
	}
	l.mu.Lock()
	select {
	case <-l.resume:
	default:
		l.mu.Unlock()
		return false
	}
	resume := make(chan struct{})
	l.resume = resume
	l.mu.Unlock()
	at := p.now()
	p.fired(faults.Fault{Kind: faults.PauseFault, At: at, Crash: faults.Crash{Node: p.cfg.Name, At: at, Downtime: d}})
	t := time.AfterFunc(d, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.resume == resume {
			select {
			case <-resume:
			default:
				close(resume)
			}
		}
	})
	p.mu.Lock()
	p.timers = append(p.timers, t)
	p.mu.Unlock()
	return true
}

// Drain waits until no request is being handled (a paused or slow
// handler finishes first, as a simulated run goes on until nothing is left
// to happen), or until ctx ends.
func (p *Process) Drain(ctx context.Context) {
	done := make(chan struct{})
	go func() { p.handlers.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// Stop ends the process for good and waits up to wait for its actors.
func (p *Process) Stop(wait time.Duration) {
	p.mu.Lock()
	p.stopped = true
	l := p.cur
	p.cur = nil
	for _, t := range p.timers {
		t.Stop()
	}
	p.mu.Unlock()
	if l != nil {
		l.end()
	}
	done := make(chan struct{})
	go func() { p.actors.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(wait):
	}
}

func (p *Process) fired(f faults.Fault) {
	if p.cfg.Fired != nil {
		p.cfg.Fired(f)
	}
}

// step is an actor's checkpoint before and after every service call and
// sleep: it unwinds the actor if its life ended, and waits while the
// process is paused.
func (l *life) step() {
	for {
		if l.ctx.Err() != nil {
			panic(errCrashed)
		}
		l.mu.Lock()
		resume := l.resume
		l.mu.Unlock()
		select {
		case <-resume:
			if l.ctx.Err() != nil {
				panic(errCrashed)
			}
			return
		case <-l.ctx.Done():
			panic(errCrashed)
		}
	}
}

// ServeHTTP runs the strategy's handler for one request.
func (l *life) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	p := l.p
	p.actors.Add(1)
	defer p.actors.Done()
	p.handlers.Add(1)
	defer p.handlers.Done()
	ref, err := faults.ParseRef(hr.Header.Get(wire.HeaderOpRef))
	if err != nil || ref.Op.IsZero() {
		http.Error(w, fmt.Sprintf("missing or bad %s header: %v", wire.HeaderOpRef, err), http.StatusBadRequest)
		return
	}
	req, err := wire.ReadRequest(hr)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if o := p.cfg.Observe; o != nil {
		o.Handle(ref, req)
	}
	resp, ok := l.handle(ref, req)
	if !ok {
		// The process died while handling it: no response at all.
		panic(http.ErrAbortHandler)
	}
	if o := p.cfg.Observe; o != nil {
		o.Answer(ref, resp)
	}
	wire.WriteResponse(w, resp)
}

// handle runs the handler; ok is false when the life ended first.
func (l *life) handle(ref faults.Ref, req api.Request) (resp api.Response, ok bool) {
	e := l.env(ref, ref.Op.String(), &callCounts{}, false)
	defer func() {
		if r := recover(); r != nil {
			if r != errCrashed {
				panic(r)
			}
			ok = false
		}
	}()
	l.step()
	defer e.finish()
	e.take()
	defer e.yield()
	e.atStep()
	l.step()
	if st := l.p.cfg.ServiceTime; st != nil {
		e.Sleep(st(ref.String()))
	}
	h := l.handlers.Handler(req.Kind)
	if h == nil {
		return api.Response{Status: api.StatusNotFound}, true
	}
	resp = h(e, req)
	l.step()
	return resp, true
}

// quietLog drops net/http's log lines: a crash aborting handlers on
// purpose is not news.
var quietLog = newDiscardLogger()
