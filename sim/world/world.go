// Package world is idemsim's simulated world: clients that create payments
// with idempotency keys and retry, servers behind a balancer that run a
// strategy, the services behind them (a SQL database, a Redis-like store, a
// payment gateway, a queue), the network between all of them, crashes,
// pauses and skewed clocks, and the ledger that records what really
// happened. Run executes one configuration and returns its history, ledger,
// fired faults and trace hash.
package world

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/db"
	"github.com/idemsim/idemsim/sim/network"
)

// World is one run in progress.
type World struct {
	cfg      Config
	k        *sim.Kernel
	ch       sim.Chooser
	trace    *sim.Trace
	log      faults.Log
	net      *network.Network
	servers  []*server
	clients  []*client
	keys     []string // key table: trace records carry key ids
	strs     []string // interned texts (statements, error codes) for trace records
	strIDs   map[string]strID
	ledger   ledger
	history  []Attempt
	outcomes []Outcome // allocated once: clients hold pointers into it across parks
	rr       int       // round-robin position
	active   int       // clients not finished
	db       *dbNode
	kv       *kvNode
	gw       *gatewayNode
	queue    *queueNode
	points   crashPoints
	steps    stepFaults
	settings api.Settings // what Boot reads
	// hasWorkers: the strategy runs background workers.
	hasWorkers bool
	// workerCalls numbers each background worker's service calls across
	// restarts, so that a fault line names the same call in a replay.
	workerCalls map[string]*callCounts
	asked       int64 // the workload's create amounts (Result.Asked)
	// executions counts the requests servers began to handle (held);
	// overHeld is set when what the run holds passed MaxRunBytes and the
	// run was stopped.
	executions int
	overHeld   bool

	// statements is the statement log (Config.LogStatements).
	statements []Statement
}

// MemoryLimit is why a run stopped when what it holds, by the count of
// World.held, passed MaxRunBytes: its attempts, what they made servers
// do and the faults that hit them outgrew what its operations left of
// the bound.
const MemoryLimit sim.StopReason = "memory-limit"

// StoppedShort reports whether a run that stopped for reason stopped
// before it finished: at the event limit, or at the memory limit.
func StoppedShort(reason sim.StopReason) bool {
	return reason == sim.EventLimit || reason == MemoryLimit
}

// Result is everything a run produced, for the oracle and the summary.
type Result struct {
	Config    Config
	History   []Attempt
	Outcomes  []Outcome
	Ledger    []Row
	Faults    []faults.Fault
	Unfired   []faults.Fault // replayed faults that never fired
	TraceHash uint64
	TraceLen  uint64
	End       sim.Time // virtual time when the run stopped
	Stop      sim.StopReason
	Kernel    sim.Stats
	Network   network.Stats
	DB        db.Stats
	// Asked is the money the workload asks for, in cents: the sum of its
	// create operations' amounts, each operation once however many
	// workers submit it. With Config.Charge, a run in which every
	// operation took effect exactly once moved exactly this much at the
	// gateway (the ledger's gateway rows' Amount).
	Asked int64
	// KeptRows are the rows of the strategy's own tables besides its
	// ledger (keys, jobs, locks) in place when the run ends, and KeptKeys
	// the store's live keys then: what it keeps, as a cost.
	KeptRows, KeptKeys int
	// Held is what the run holds by the count the bound keeps
	// (World.held): at most MaxRunBytes, unless it stopped there.
	Held uint64
	// Statements are the strategy's statements, in the order their
	// answers came, when Config.LogStatements asked for them.
	Statements []Statement

	w *World
}

// Run executes cfg. It returns an error only for a configuration that does
// not validate; a broken simulator invariant panics with the seed.
func Run(cfg Config) (*Result, error) {
	return RunWith(cfg, sim.NewSeeded(cfg.Seed))
}

// RunWith executes cfg with choices from chooser instead of the seed's
// streams (enumeration, replay of choices).
func RunWith(cfg Config, chooser sim.Chooser) (res *Result, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("world: %w", err)
	}
	settings, _ := cfg.Settings() // Validate checked them
	w := &World{settings: settings, cfg: cfg, k: sim.New(chooser), ch: chooser, trace: sim.NewTrace(cfg.KeepTrace),
		strIDs: make(map[string]strID), workerCalls: make(map[string]*callCounts)}
	w.k.SetMaxEvents(cfg.EventLimit())
	defer w.k.Close()
	defer func() {
		if r := recover(); r != nil {
			panic(&RunPanic{Seed: cfg.Seed, Strategy: cfg.Strategy.Name, At: w.k.Now(), Value: r})
		}
	}()
	if err := w.build(); err != nil {
		return nil, fmt.Errorf("world: %w", err)
	}
	stop := w.k.Run(sim.Time(cfg.Deadline))
	if w.overHeld {
		stop = MemoryLimit
	}
	w.endInFlight()
	res = &Result{
		Config:    cfg,
		History:   w.history,
		Outcomes:  w.outcomeValues(),
		Ledger:    append(w.ledger.rows, w.gw.ledgerRows()...),
		Faults:    w.log.Faults(),
		TraceHash: w.trace.Hash(),
		TraceLen:  w.trace.Len(),
		End:       w.k.Now(),
		Stop:      stop,
		Kernel:    w.k.Stats(),
		Network:   w.net.Stats(),
		DB:        w.db.db.Stats(),
		Asked:     w.asked,
		KeptRows:  w.db.kept,
		KeptKeys:  w.kv.live(),
		Held:      w.held(),
		w:         w,
	}
	res.Statements = w.statements
	if cfg.Faults.Replay != nil {
		res.Unfired = faults.Unfired(cfg.Faults.Replay, res.Faults)
	}
	return res, nil
}

// RunPanic is what a run panics with when anything in it panicked: the
// run's seed and strategy, the virtual time, and the value of the panic,
// so that whoever reports it can say which strategy ran (a strategy
// registered by a program of the user's may be the culprit, not idemsim).
type RunPanic struct {
	Seed     uint64
	Strategy string
	At       sim.Time
	Value    any
}

func (p *RunPanic) String() string {
	return fmt.Sprintf("world: seed %d, strategy %s, at %v: %v", p.Seed, p.Strategy, p.At, p.Value)
}

func (w *World) build() error {
	cfg := &w.cfg
	w.net = network.New(w.k, w.trace, &w.log, cfg.Faults)
	queues := cfg.Clients / cfg.WorkersPerOp
	// Most operations take one or two attempts: room for that up front
	// saves growing the history as the run goes.
	w.history = make([]Attempt, 0, cfg.Clients*cfg.OpsPerClient*5/4)
	// Only the strategy's ledger tables add rows as the run goes (the
	// gateway's charges are added at the end): room for one per attempt,
	// as for the history (a strategy that pays twice adds a row for a
	// retry), when it has some, and none (but a non-nil ledger) when it
	// has none.
	ledgerRows := 0
	if len(cfg.Strategy.Ledger) > 0 {
		ledgerRows = cap(w.history)
	}
	w.ledger.rows = make([]Row, 0, ledgerRows)
	// The workload is drawn up front, queue by queue, so it does not depend
	// on how the run unfolds. The queues share one array, and the keys
	// drawn here one string (keyText), for fewer allocations.
	ops := make([][]op, queues)
	allOps := make([]op, queues*cfg.OpsPerClient)
	w.keys = make([]string, 0, queues*cfg.OpsPerClient+cfg.Clients)
	var keyText strings.Builder // one string, not copied when done
	keyText.Grow(keyLen * queues * cfg.OpsPerClient)
	for q := range ops {
		ops[q] = allOps[q*cfg.OpsPerClient : (q+1)*cfg.OpsPerClient : (q+1)*cfg.OpsPerClient]
		for i := range ops[q] {
			if i > 0 && ops[q][i-1].kind == api.Create && w.draw(cfg.Client.DeleteRate) {
				prev := ops[q][i-1]
				ops[q][i] = op{id: api.OpID{Queue: int32(q + 1), Index: int32(i + 1)}, kind: api.Delete, payload: prev.payload, key: prev.key}
				continue
			}
			o := op{
				id:      api.OpID{Queue: int32(q + 1), Index: int32(i + 1)},
				payload: api.Payload{Amount: 100 + int64(w.ch.Pick(sim.StreamWorkload, 100000)), Currency: "usd", Description: "payment"},
			}
			if i > 0 && w.draw(cfg.Client.SamePaymentRate) {
				o.payload = ops[q][i-1].payload
			}
			if i > 0 && w.draw(cfg.Client.ReuseKeyRate) {
				o.key = ops[q][i-1].key
			} else {
				o.key = w.newKeyIn(&keyText)
			}
			ops[q][i] = o
		}
		for _, o := range ops[q] {
			if o.kind == api.Create {
				w.asked += o.payload.Amount
			}
		}
	}
	if all := keyText.String(); all != "" {
		for i := range w.keys {
			w.keys[i] = all[i*keyLen : (i+1)*keyLen]
		}
	}
	w.outcomes = make([]Outcome, 0, cfg.Clients*cfg.OpsPerClient)
	// Each outcome's first key goes in one shared array; a second key (a
	// client that minted a new one) grows that outcome's own slice.
	firstKeys := make([]string, cfg.Clients*cfg.OpsPerClient)
	// The clients' per-operation arrays are carved from shared ones.
	keyIDs := make([]int, 2*cfg.Clients*cfg.OpsPerClient)
	attempts := make([]int32, cfg.Clients*cfg.OpsPerClient)
	for i := 0; i < cfg.Clients; i++ {
		c := &client{w: w, name: "c" + strconv.Itoa(i+1), ops: ops[i/cfg.WorkersPerOp], group: &sim.Group{}}
		per := len(c.ops)
		c.keys, keyIDs = keyIDs[:per:per], keyIDs[per:]
		c.outcome, keyIDs = keyIDs[:per:per], keyIDs[per:]
		c.attempts, attempts = attempts[:per:per], attempts[per:]
		for j := range c.ops {
			c.keys[j] = c.ops[j].key
			n := len(w.outcomes)
			c.outcome[j] = n
			w.outcomes = append(w.outcomes, Outcome{Client: c.name, Op: c.ops[j].id, Keys: firstKeys[n : n : n+1]})
		}
		c.id = w.net.AddNode(c.name, network.GroupClients, nil)
		w.clients = append(w.clients, c)
	}
	for i := 0; i < cfg.Servers; i++ {
		s := &server{w: w, name: "s" + strconv.Itoa(i+1), group: &sim.Group{}}
		s.id = w.net.AddNode(s.name, network.GroupServers, s.deliver)
		s.clock = w.clock(s.name)
		w.servers = append(w.servers, s)
	}
	w.db = newDBNode(w)
	w.kv = newKVNode(w)
	w.gw = newGatewayNode(w)
	w.queue = newQueueNode(w)
	if err := w.net.Start(); err != nil {
		return err
	}
	// The schema is created before any server starts: the database is
	// durable, process memory is not.
	w.k.Spawn("db/setup", func(p *sim.Proc) {
		w.db.setup(p)
		w.start()
	})
	return nil
}

// start boots the servers, starts the clients and arms the timed faults.
func (w *World) start() {
	for _, s := range w.servers {
		s.boot()
	}
	for _, c := range w.clients {
		c.start()
	}
	w.active = len(w.clients)
	w.scheduleCrashes()
	w.schedulePauses()
	w.scheduleFailovers()
	w.points.arm(w)
	w.steps.arm(&w.cfg.Faults)
}

// scheduleCrashes arms the plan's crashes: explicit ones (or replayed ones)
// at their moment, random ones as a Poisson process that ends when every
// client has finished.
func (w *World) scheduleCrashes() {
	plan := &w.cfg.Faults
	servers, clients := plan.Crashes, plan.ClientCrashes
	for _, f := range plan.Replay {
		switch {
		case f.Anchored():
			// Fired at its step (stepFaults), not at its moment.
		case f.Kind == faults.CrashFault:
			servers = addOnce(servers, f.Crash)
		case f.Kind == faults.ClientCrashFault:
			clients = addOnce(clients, f.Crash)
		}
	}
	now := w.k.Now()
	for _, cr := range servers {
		w.k.At(max(now, cr.At), sim.Func(func() {
			if cr.Node == "kv" {
				w.kv.restart(cr.Downtime)
				return
			}
			w.pickServer(cr.Node).crash(cr.Downtime)
		}))
	}
	for _, cr := range clients {
		w.k.At(max(now, cr.At), sim.Func(func() { w.pickClient(cr.Node).crash(cr.Downtime) }))
	}
	if plan.Replay != nil {
		return
	}
	if plan.CrashEvery > 0 {
		w.poisson(plan.CrashEvery, func() { w.pickServer("any").crash(plan.Downtime) })
	}
	if plan.ClientCrashEvery > 0 {
		w.poisson(plan.ClientCrashEvery, func() { w.pickClient("any").crash(plan.Downtime) })
	}
}

// addOnce adds c unless list holds it: a recorded fault that the plan also
// holds happens once.
func addOnce(list []faults.Crash, c faults.Crash) []faults.Crash {
	if slices.Contains(list, c) {
		return list
	}
	return append(list, c)
}

// schedulePauses freezes processes for a while: their actors run nothing,
// and their connections, locks and leases stay held.
func (w *World) schedulePauses() {
	pauses := w.cfg.Faults.Pauses
	for _, f := range w.cfg.Faults.Replay {
		if f.Kind == faults.PauseFault && !f.Anchored() {
			pauses = addOnce(pauses, f.Crash)
		}
	}
	for _, pa := range pauses {
		w.k.At(max(w.k.Now(), pa.At), sim.Func(func() {
			var g *sim.Group
			var id network.NodeID
			if pa.Node[0] == 's' {
				s := w.pickServer(pa.Node)
				g, id = s.group, s.id
			} else {
				c := w.pickClient(pa.Node)
				g, id = c.group, c.id
			}
			w.pause(g, id, faults.Fault{Kind: faults.PauseFault, At: w.k.Now(), Crash: pa})
		}))
	}
}

// pause freezes the process of group g (node id) now, for f.Crash.Downtime,
// and logs f.
func (w *World) pause(g *sim.Group, id network.NodeID, f faults.Fault) {
	length := f.Crash.Downtime
	g.Pause(w.k.Now().Add(length))
	w.log.Add(f)
	w.add(paused{Node: id, For: length}.record())
	w.k.After(length, sim.Func(func() { w.add(thawed{Node: id}.record()) }))
}

// scheduleFailovers fails the store over to its replica at the plan's
// moments (and the replayed ones).
func (w *World) scheduleFailovers() {
	times := w.cfg.Faults.Failovers
	for _, f := range w.cfg.Faults.Replay {
		if f.Kind == faults.FailoverFault && !slices.Contains(times, f.Crash.At) {
			times = append(times, f.Crash.At)
		}
	}
	for _, at := range times {
		w.k.At(max(w.k.Now(), at), sim.Func(w.kv.failover))
	}
}

func (w *World) poisson(mean sim.Duration, fire func()) {
	var next func()
	next = func() {
		w.k.After(sim.Exp(mean).Sample(w.ch, sim.StreamFaults), sim.Func(func() {
			if w.active == 0 {
				return
			}
			fire()
			next()
		}))
	}
	next()
}

func (w *World) pickServer(name string) *server {
	if name == "any" {
		return w.servers[w.pick(len(w.servers))]
	}
	n, _ := strconv.Atoi(name[1:])
	return w.servers[n-1]
}

func (w *World) pickClient(name string) *client {
	if name == "any" {
		return w.clients[w.pick(len(w.clients))]
	}
	n, _ := strconv.Atoi(name[1:])
	return w.clients[n-1]
}

func (w *World) pick(n int) int {
	if n == 1 {
		return 0
	}
	return w.ch.Pick(sim.StreamFaults, n)
}

// balance picks the server for the next request.
func (w *World) balance() *server {
	n := len(w.servers)
	if n == 1 {
		return w.servers[0]
	}
	if w.cfg.Balancer == Random {
		return w.servers[w.ch.Pick(sim.StreamNetwork, n)]
	}
	// Two clients sending at one instant each move the position: which
	// goes first decides who reaches which server.
	w.k.Touch(balancerResource)
	s := w.servers[w.rr]
	w.rr = (w.rr + 1) % n
	return s
}

// The resources of the world's own shared state that an explorer must see
// touched (sim.Kernel.Touch): the round-robin position, and the history,
// whose order the oracles read.
var (
	balancerResource = sim.Resource("balancer", "round-robin")
	historyResource  = sim.Resource("world", "history")
)

// clientFinished counts down the clients still running; when none is left
// and the strategy has background workers, which would poll forever, the
// run stops after the settle time.
func (w *World) clientFinished() {
	w.active--
	if w.active == 0 && w.hasWorkers {
		w.k.After(w.cfg.Settle, sim.Func(w.k.Stop))
	}
}

// draw is true with probability rate, drawn from the workload's stream
// (nothing is drawn at rate 0, so worlds without the knob are unchanged).
func (w *World) draw(rate float64) bool {
	return rate > 0 && w.ch.Quantile(sim.StreamWorkload) < rate
}

// newKey mints an idempotency key from the workload stream and returns its
// index in w.keys.
func (w *World) newKey() int {
	var b [keyLen]byte
	w.keys = append(w.keys, string(w.drawKey(b[:0])))
	return len(w.keys) - 1
}

// keyLen is the length of a key: k- and 12 hex digits.
const keyLen = 14

// drawKey appends a new key's text to b.
func (w *World) drawKey(b []byte) []byte {
	const hex = "0123456789abcdef"
	v := w.ch.Bits(sim.StreamWorkload)
	b = append(b, "k-000000000000"...)
	k := b[len(b)-keyLen:]
	for i := keyLen - 1; i >= 2; i-- {
		k[i] = hex[v&15]
		v >>= 4
	}
	return b
}

// newKeyIn is newKey for the keys drawn up front: it writes the key's text
// to text, and build sets every such key at once, as a piece of one string.
func (w *World) newKeyIn(text *strings.Builder) int {
	var b [keyLen]byte
	text.Write(w.drawKey(b[:0]))
	w.keys = append(w.keys, "")
	return len(w.keys) - 1
}

// intern gives a text a number that trace records can carry.
func (w *World) intern(s string) strID {
	id, ok := w.strIDs[s]
	if !ok {
		id = strID(len(w.strs))
		w.strs = append(w.strs, s)
		w.strIDs[s] = id
	}
	return id
}

// add puts r, a typed event's record, in the trace at the present moment.
func (w *World) add(r sim.Record) {
	r.At = w.k.Now()
	w.trace.Add(r)
}

// endInFlight adds to the history the attempts still waiting for an answer
// when the run stopped (at its deadline, or at the event limit): they were
// sent, so they count (Outcome.Attempts counts them already), and nothing
// came back that the client read, so they are unanswered, as a timeout is.
// Without this a run cut short reports fewer attempts than its timeline
// shows, and the oracle does not see a request whose effect may be in the
// ledger. Clients in index order, so the history's order is the seed's.
func (w *World) endInFlight() {
	for _, c := range w.clients {
		if !c.waiting {
			continue
		}
		a := c.inflight
		a.Return, a.TimedOut = w.k.Now(), true
		w.history = append(w.history, a)
		c.waiting = false
	}
}

// addAttempt adds a to the history (and checks what the run holds).
func (w *World) addAttempt(a Attempt) {
	w.k.Touch(historyResource)
	w.history = append(w.history, a)
	w.checkHeld()
}

// held is what the run holds, by the measured figures of config.go: its
// operations, each with its first attempt (Config.HeldBytes, without the
// trace's share), then every further attempt in the history, every
// further request a server handled, every fault that fired and every
// trace record kept. An operation's first attempt and request are in its
// figure, so only those beyond one per operation count again.
func (w *World) held() uint64 {
	ops := w.cfg.totalOps()
	beyond := func(n int) uint64 { return uint64(max(n, int(ops))) - ops }
	b := ops*BytesPerOp + beyond(len(w.history))*BytesPerAttempt + beyond(w.executions)*BytesPerExecution +
		uint64(len(w.log.Faults()))*BytesPerFault
	if w.cfg.KeepTrace {
		b += w.trace.Len() * BytesPerRecord
	}
	return b
}

// checkHeld stops the run once what it holds passes MaxRunBytes: a run
// whose operations fit (Validate) may still retry, or be hit by faults,
// more than the rest of the bound holds. It is called wherever the run
// adds to what it holds: an attempt, a request handled, a call a service
// answers.
func (w *World) checkHeld() {
	if !w.overHeld && w.held() > maxRunBytes {
		w.overHeld = true
		w.k.Stop()
	}
}

func (w *World) outcomeValues() []Outcome {
	return w.outcomes
}

// clock is node name's clock reading function.
func (w *World) clock(name string) Clock { return w.cfg.ClockOf(name) }

// read is what clock c shows at true time t.
func (c Clock) read(t sim.Time) sim.Time {
	if c.Drift == 1 || c.Drift == 0 {
		return t.Add(c.Offset)
	}
	return sim.Time(float64(t) * c.Drift).Add(c.Offset)
}
