package world

import (
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/network"
)

// op is one business operation of a queue, as its message says: create a
// payment, or delete the one the operation before it created.
type op struct {
	id      api.OpID
	kind    api.Kind // api.Create or api.Delete
	payload api.Payload
	key     int // key id: the key travels with the message
}

// client consumes one queue: for each message it creates the payment with
// the message's idempotency key, retrying per its policy. Its position in the
// queue is durable (a message is acked when the client stops on it); the
// rest of its memory is lost on a crash.
type client struct {
	w        *World
	id       network.NodeID
	name     string
	ops      []op
	next     int   // durable: index of the operation being worked on
	keys     []int // durable: the key per operation (persisted policy)
	attempts []int32
	outcome  []int // index into w.outcomes per operation
	proc     *sim.Proc
	group    *sim.Group // the process's actors, which a pause freezes
	up       bool
	resuming bool // restarted in the middle of ops[next]
	finished bool
	inflight Attempt // the attempt waiting for its response, while waiting
	waiting  bool
}

func (c *client) start() {
	c.up = true
	c.proc = c.w.k.SpawnIn(c.group, c.name, c.run)
}

func (c *client) run(p *sim.Proc) {
	w := c.w
	for c.next < len(c.ops) {
		if !c.resuming {
			p.Sleep(w.cfg.Client.Think.Sample(w.ch, sim.StreamJitter))
		}
		c.resuming = false
		if c.ops[c.next].kind == api.Delete {
			c.performDelete(p, c.next)
		} else {
			c.perform(p, c.next)
		}
		c.next++
	}
	c.finished = true
	w.clientFinished()
}

// perform runs one operation to a conclusion: done, failed or exhausted.
func (c *client) perform(p *sim.Proc, i int) {
	o := &c.ops[i]
	out := c.outcomeFor(i)
	body := api.Request{Payload: o.payload, Fingerprint: o.payload.Fingerprint(), Client: c.name}
	c.drive(p, i, out, beginCreate(c.w.cfg.Strategy.Contract == api.Contract412), body)
}

// performDelete deletes the payment the operation before it created, once
// the client believes that create is done (a delete of a payment it does
// not know to exist is not sent): a DELETE under the create's key (the
// key it ended with) to the resource it was told of, retried per the
// policy. Nothing but the status decides: a 404 means what the policy
// says, which is the thread's point about deleting twice.
func (c *client) performDelete(p *sim.Proc, i int) {
	w := c.w
	if w.outcomes[c.outcome[i-1]].Belief != BelievedDone {
		return // never submitted: its outcome stays unfinished, with no attempt
	}
	c.keys[i] = c.keys[i-1]
	out := c.outcomeFor(i)
	location := ""
	if created := w.outcomes[c.outcome[i-1]].Resource; created != "" {
		location = "/payments/" + created
	}
	c.drive(p, i, out, beginDelete(location), api.Request{Client: c.name})
}

// drive runs operation i's protocol from state s to its conclusion: it
// sends the request s asks for (body's payload and client, under the
// operation's key), hands the answer to the step, and does what the step
// says — record, mint a key, draw and sleep, conclude. Every clock read,
// draw and trace record of the protocol is here, in the order the step's
// moves make them.
func (c *client) drive(p *sim.Proc, i int, out *Outcome, s opState, body api.Request) {
	w := c.w
	cfg := &w.cfg.Client
	o := &c.ops[i]
	var req *httpRequest
	for {
		req = c.request(req, i, s, body)
		r, srv := c.send(p, i, s.n, out, req)
		var m move
		s, m = s.next(cfg, r, w.k.Now().Sub(out.Start))
		if r != nil {
			c.heard(r, srv, o.id, c.attempts[i], m.heard)
		}
		if m.newKey {
			c.keys[i] = w.newKey()
			out = c.outcomeFor(i)
		}
		if m.do == moveConclude {
			c.conclude(out, m.belief, m.from)
			return
		}
		d := m.waitFor(cfg, func() float64 { return w.ch.Quantile(sim.StreamJitter) })
		w.add(backedOff{Client: c.id, Op: out.Op, Wait: d}.record())
		p.Sleep(d)
	}
}

// request is the request for the attempt state s is about to make: prev
// when that asks the same, else a new one. A sent request is never changed
// (a duplicate of it may still be in flight), so it is built anew only when
// what it asks changes.
func (c *client) request(prev *httpRequest, i int, s opState, body api.Request) *httpRequest {
	key := c.w.keys[c.keys[i]]
	if prev != nil && prev.Kind == s.kind && prev.Location == s.location && prev.Key == key && prev.IfMatch == s.ifMatch {
		return prev
	}
	body.Kind, body.Key, body.Location, body.IfMatch = s.kind, key, s.location, s.ifMatch
	return &httpRequest{Request: body, keyID: c.keys[i]}
}

// heard records response r to attempt number attempt of op, which came
// from server srv, and how the client read it (action).
func (c *client) heard(r *api.Response, srv network.NodeID, op api.OpID, attempt int32, action Action) {
	c.w.add(responseRead{Client: c.id, Server: srv, Op: op, Attempt: attempt, Status: r.Status, Action: action}.record())
}

// send makes attempt i's next request and waits for its answer, recording
// both in the history: the response, or nil when none came (a timeout or
// a reset), and the server the balancer chose.
func (c *client) send(p *sim.Proc, i, n int, out *Outcome, req *httpRequest) (*api.Response, network.NodeID) {
	w := c.w
	o := &c.ops[i]
	c.attempts[i]++
	attempt := c.attempts[i]
	srv := w.balance()
	w.add(attemptSent{Client: c.id, Server: srv.id, request: request{Op: o.id, Attempt: attempt, Key: req.keyID, Kind: req.Kind}}.record())
	c.inflight = Attempt{Client: c.name, Op: o.id, Key: req.Key, N: n, Kind: req.Kind, Server: srv.name, Call: w.k.Now()}
	c.waiting = true
	out.Attempts++
	ref := faults.Ref{Caller: c.name, Op: o.id, Attempt: attempt}
	resp, got := w.net.Call(p, c.id, srv.id, ref, req, w.cfg.Client.TimeoutPerAttempt)
	c.waiting = false
	a := c.inflight
	a.Return = w.k.Now()
	if got != network.Answered {
		a.TimedOut = true
		w.addAttempt(a)
		w.add(timedOut{Client: c.id, Server: srv.id, Op: o.id, Attempt: attempt}.record())
		return nil, srv.id
	}
	r := resp.(*api.Response)
	a.Status, a.Resource = r.Status, r.Resource
	w.addAttempt(a)
	return r, srv.id
}

// waitFor is how long a client waits after move m: a full-jitter backoff
// (drawn with jitter) at least m.wait when m backs off, else m.wait.
func (m move) waitFor(cfg *ClientConfig, jitter func() float64) sim.Duration {
	if m.retry > 0 {
		return max(backoff(cfg, m.retry, jitter()), m.wait)
	}
	return m.wait
}

// backoff is capped exponential backoff with full jitter: a uniform draw in
// [0, min(cap, base·2^(retry-1))).
func backoff(cfg *ClientConfig, retry int, q float64) sim.Duration {
	ceiling := cfg.BackoffCap
	if shift := retry - 1; shift < 62 {
		if d := cfg.BackoffBase << shift; d>>shift == cfg.BackoffBase && d < ceiling {
			ceiling = d // no overflow, and below the cap
		}
	}
	return sim.Duration(q * float64(ceiling))
}

func (c *client) outcomeFor(i int) *Outcome {
	w := c.w
	key := w.keys[c.keys[i]]
	out := &w.outcomes[c.outcome[i]]
	if out.Attempts == 0 {
		out.Start = w.k.Now()
	}
	if n := len(out.Keys); n == 0 || out.Keys[n-1] != key {
		out.Keys = append(out.Keys, key)
	}
	return out
}

// conclude records what the client concluded, from the response r that
// decided it (nil: none did).
func (c *client) conclude(out *Outcome, b Belief, r *api.Response) {
	out.Belief, out.End = b, c.w.k.Now()
	out.Status, out.Resource = 0, ""
	if r != nil {
		out.Status, out.Resource = r.Status, r.Resource
	}
	c.w.add(concluded{Client: c.id, Op: out.Op, Belief: b, Status: out.Status}.record())
}

// crash kills the client mid-flight and restarts it after downtime, with the
// same key or a new one for the operation it was on.
func (c *client) crash(downtime sim.Duration) bool {
	if !c.up || c.finished {
		return false
	}
	w := c.w
	c.up = false
	w.k.Kill(c.proc)
	if c.waiting {
		// The request may have been served; its result is unknown.
		a := c.inflight
		a.Return, a.TimedOut, a.Interrupted = w.k.Now(), true, true
		w.addAttempt(a)
		c.waiting = false
	}
	w.log.Add(faults.Fault{Kind: faults.ClientCrashFault, At: w.k.Now(), Crash: faults.Crash{Node: c.name, At: w.k.Now(), Downtime: downtime}})
	w.add(crashed{Node: c.id, Downtime: downtime}.record())
	w.k.After(downtime, sim.Func(func() {
		var newKey bool
		c.resuming, newKey = restart(&w.cfg.Client, w.outcomes[c.outcome[c.next]].Attempts > 0)
		if newKey {
			c.keys[c.next] = w.newKey()
		}
		w.add(restarted{Node: c.id, Resumes: c.ops[c.next].id, Key: c.keys[c.next]}.record())
		c.start()
	}))
	return true
}
