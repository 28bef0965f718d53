// Package world is idemsim's simulated world: clients that create payments
// with idempotency keys and retry, servers behind a balancer that run a
// strategy, the network between them, crashes and restarts, and the ledger
// that records what really happened. Run executes one configuration and
// returns its history, ledger, fired faults and trace hash.
package world

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
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
	ledger   ledger
	history  []Attempt
	outcomes []*Outcome // pointers: clients hold theirs across parks
	rr       int        // round-robin position
	active   int        // clients not finished
}

// Result is everything a run produced, for the oracle and the summary.
type Result struct {
	Config    Config
	History   []Attempt
	Outcomes  []Outcome
	Ledger    []Row
	Faults    []faults.Fault
	TraceHash uint64
	TraceLen  uint64
	End       sim.Time // virtual time when the run stopped
	Stop      sim.StopReason
	Kernel    sim.Stats
	Network   network.Stats
	w         *World
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
	w := &World{cfg: cfg, k: sim.New(chooser), ch: chooser, trace: sim.NewTrace(cfg.KeepTrace)}
	w.k.SetMaxEvents(cfg.MaxEvents)
	defer w.k.Close()
	defer func() {
		if r := recover(); r != nil {
			panic(fmt.Sprintf("world: seed %d, strategy %s, at %v: %v", cfg.Seed, cfg.Strategy.Name, w.k.Now(), r))
		}
	}()
	if err := w.build(); err != nil {
		return nil, fmt.Errorf("world: %w", err)
	}
	stop := w.k.Run(sim.Time(cfg.Deadline))
	return &Result{
		Config:    cfg,
		History:   w.history,
		Outcomes:  w.outcomeValues(),
		Ledger:    w.ledger.rows,
		Faults:    w.log.Faults(),
		TraceHash: w.trace.Hash(),
		TraceLen:  w.trace.Len(),
		End:       w.k.Now(),
		Stop:      stop,
		Kernel:    w.k.Stats(),
		Network:   w.net.Stats(),
		w:         w,
	}, nil
}

func (w *World) build() error {
	cfg := &w.cfg
	w.net = network.New(w.k, w.trace, &w.log, cfg.Faults)
	queues := cfg.Clients / cfg.WorkersPerOp
	// The workload is drawn up front, queue by queue, so it does not depend
	// on how the run unfolds.
	ops := make([][]op, queues)
	for q := range ops {
		ops[q] = make([]op, cfg.OpsPerClient)
		for i := range ops[q] {
			ops[q][i] = op{
				id:     OpID{Queue: int32(q + 1), Index: int32(i + 1)},
				amount: 100 + int64(w.ch.Pick(sim.StreamWorkload, 100000)),
				key:    w.newKey(),
			}
		}
	}
	for i := 0; i < cfg.Clients; i++ {
		c := &client{w: w, name: "c" + strconv.Itoa(i+1), ops: ops[i/cfg.WorkersPerOp]}
		c.keys = make([]int, len(c.ops))
		c.attempts = make([]int32, len(c.ops))
		c.outcome = make([]int, len(c.ops))
		for j := range c.ops {
			c.keys[j] = c.ops[j].key
			c.outcome[j] = len(w.outcomes)
			w.outcomes = append(w.outcomes, &Outcome{Client: c.name, Op: c.ops[j].id})
		}
		c.id = w.net.AddNode(c.name, "clients", nil)
		w.clients = append(w.clients, c)
	}
	for i := 0; i < cfg.Servers; i++ {
		s := &server{w: w, name: "s" + strconv.Itoa(i+1)}
		s.id = w.net.AddNode(s.name, "servers", s.deliver)
		w.servers = append(w.servers, s)
	}
	if err := w.net.Start(); err != nil {
		return err
	}
	for _, s := range w.servers {
		s.boot()
	}
	for _, c := range w.clients {
		c.start()
	}
	w.active = len(w.clients)
	w.scheduleCrashes()
	return nil
}

// scheduleCrashes arms the plan's crashes: explicit ones (or replayed ones)
// at their moment, random ones as a Poisson process that ends when every
// client has finished.
func (w *World) scheduleCrashes() {
	plan := &w.cfg.Faults
	servers, clients := plan.Crashes, plan.ClientCrashes
	// A recorded crash that the plan also holds happens once.
	add := func(list []faults.Crash, c faults.Crash) []faults.Crash {
		if slices.Contains(list, c) {
			return list
		}
		return append(list, c)
	}
	for _, f := range plan.Replay {
		switch f.Kind {
		case faults.CrashFault:
			servers = add(servers, f.Crash)
		case faults.ClientCrashFault:
			clients = add(clients, f.Crash)
		}
	}
	for _, cr := range servers {
		w.k.At(cr.At, sim.Func(func() { w.pickServer(cr.Node).crash(cr.Downtime) }))
	}
	for _, cr := range clients {
		w.k.At(cr.At, sim.Func(func() { w.pickClient(cr.Node).crash(cr.Downtime) }))
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
	s := w.servers[w.rr]
	w.rr = (w.rr + 1) % n
	return s
}

func (w *World) clientFinished() { w.active-- }

// newKey mints an idempotency key from the workload stream.
func (w *World) newKey() int {
	const hex = "0123456789abcdef"
	b := []byte("k-000000000000")
	v := w.ch.Bits(sim.StreamWorkload)
	for i := len(b) - 1; i >= 2; i-- {
		b[i] = hex[v&15]
		v >>= 4
	}
	w.keys = append(w.keys, string(b))
	return len(w.keys) - 1
}

func (w *World) record(kind uint16, a, b network.NodeID, o OpID, attempt int32, e, f int64) {
	w.trace.Add(sim.Record{At: w.k.Now(), Kind: kind, A: int32(a), B: int32(b), C: o.Queue<<16 | o.Index, D: attempt, E: e, F: f})
}

func (w *World) outcomeValues() []Outcome {
	out := make([]Outcome, len(w.outcomes))
	for i, o := range w.outcomes {
		out[i] = *o
	}
	return out
}
