package world

import (
	"fmt"

	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
)

// What a driver outside the simulation needs to play a run's clients with
// real requests (live mode): the workload the seed draws, and the client's
// protocol as a step. Both are the simulated clients' own code, so a live
// client sends what a simulated one would and reads each answer the same
// way.

// Workload is a run's operations as its seed draws them: per client, in
// order, with their payloads and first keys.
type Workload struct {
	Clients []ClientWork
	// Asked is Result.Asked: the money the creates ask for.
	Asked int64
}

// ClientWork is one client's queue of operations.
type ClientWork struct {
	Name string
	Ops  []Operation
}

// Operation is one business operation of a client's queue.
type Operation struct {
	ID      api.OpID
	Kind    api.Kind // api.Create or api.Delete (of the payment the operation before it created)
	Payload api.Payload
	Key     string // the key the operation starts with
}

// DrawWorkload draws cfg's workload exactly as Run would: the same
// operations, payloads and keys for the same seed.
func DrawWorkload(cfg Config) (Workload, error) {
	if err := cfg.Validate(); err != nil {
		return Workload{}, fmt.Errorf("world: %w", err)
	}
	settings, _ := cfg.Settings()
	ch := sim.NewSeeded(cfg.Seed)
	w := &World{settings: settings, cfg: cfg, k: sim.New(ch), ch: ch, trace: sim.NewTrace(false),
		strIDs: make(map[string]strID), workerCalls: make(map[string]*callCounts)}
	defer w.k.Close()
	if err := w.build(); err != nil {
		return Workload{}, fmt.Errorf("world: %w", err)
	}
	out := Workload{Asked: w.asked, Clients: make([]ClientWork, len(w.clients))}
	for i, c := range w.clients {
		cw := ClientWork{Name: c.name, Ops: make([]Operation, len(c.ops))}
		for j, o := range c.ops {
			cw.Ops[j] = Operation{ID: o.id, Kind: o.kind, Payload: o.payload, Key: w.keys[o.key]}
		}
		out.Clients[i] = cw
	}
	return out, nil
}

// Protocol is a client's protocol for one operation, as the simulated
// clients follow it: Request says what to send next, Next reads the answer.
type Protocol struct {
	cfg *ClientConfig
	s   opState
}

// BeginCreate is a create's protocol before its first attempt, against a
// strategy that promises contract.
func BeginCreate(cfg *ClientConfig, contract api.Contract) Protocol {
	return Protocol{cfg: cfg, s: beginCreate(contract == api.Contract412)}
}

// BeginDelete is a delete's protocol: DELETE the resource at location
// ("" when the create named none).
func BeginDelete(cfg *ClientConfig, location string) Protocol {
	return Protocol{cfg: cfg, s: beginDelete(location)}
}

// Request fills body (payload, client) with what the next attempt asks,
// under key.
func (p *Protocol) Request(body api.Request, key string) api.Request {
	body.Kind, body.Key, body.Location, body.IfMatch = p.s.kind, key, p.s.location, p.s.ifMatch
	return body
}

// Step is what the client does after an answer.
type Step struct {
	// Heard is how the client read the response (0 when none came).
	Heard Action
	// NewKey: mint a new key for the operation first.
	NewKey bool
	// Conclude: the operation is over, with Belief, decided by From (nil
	// when no response decided it).
	Conclude bool
	Belief   Belief
	From     *api.Response
	// Wait is how long to wait before the next attempt.
	Wait sim.Duration
}

// Next reads r, the answer to the attempt just made (nil when none came:
// a timeout or a broken connection), elapsed after the operation's first
// attempt. jitter draws a uniform number in [0, 1) for the backoff; it is
// called only when the step backs off.
func (p *Protocol) Next(r *api.Response, elapsed sim.Duration, jitter func() float64) Step {
	var m move
	p.s, m = p.s.next(p.cfg, r, elapsed)
	st := Step{Heard: m.heard, NewKey: m.newKey}
	if m.do == moveConclude {
		st.Conclude, st.Belief, st.From = true, m.belief, m.from
		return st
	}
	st.Wait = m.waitFor(p.cfg, jitter)
	return st
}

// Attempt is the number of the attempt about to be sent (or just
// answered) in this life of the client's process: 1 for the first, and 1
// again after a restart, as Attempt.N counts it.
func (p *Protocol) Attempt() int { return p.s.n }

// Restart is what a client back from a crash does with the operation it
// was on, as the simulated client does: resume it at once when it had sent
// an attempt of it (with a fresh Protocol), under a new key when
// --key-on-restart is regenerate; otherwise start it over, think time
// first. A delete keeps its create's key whatever newKey says.
func Restart(cfg *ClientConfig, attempted bool) (resuming, newKey bool) {
	return restart(cfg, attempted)
}

// ClockOf is node's clock (a server's or a service's) in cfg: its skew and
// drift, or a true clock when cfg gives it none.
func (c *Config) ClockOf(node string) Clock {
	for _, cl := range c.Clocks {
		if cl.Node == node {
			return cl
		}
	}
	return Clock{Node: node, Drift: 1}
}

// Read is what clock c shows at true time t.
func (c Clock) Read(t sim.Time) sim.Time { return c.read(t) }
