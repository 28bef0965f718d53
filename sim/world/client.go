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
	w := c.w
	cfg := &w.cfg.Client
	o := &c.ops[i]
	out := c.outcomeFor(i)
	kind := api.Create
	location := "" // a 202's status URL, for the polls that follow
	// Against optimistic concurrency the client reads the resource first
	// to learn its version (ETag), and again after a 412.
	ifMatch, rereading, blind := "", false, false
	var retryAfter sim.Duration // the last answer's Retry-After
	if w.cfg.Strategy.Contract == api.Contract412 {
		kind, rereading = api.Poll, true
	}
	fingerprint := o.payload.Fingerprint()
	// The request is immutable once sent (a duplicate may still be in
	// flight), so it is built anew only when what it asks changes.
	var req *httpRequest
	for n := 1; n <= cfg.Attempts; n++ {
		if n > 1 && !c.pause(p, out, func() sim.Duration {
			after := retryAfter
			retryAfter = 0 // an answer's Retry-After counts once
			if kind == api.Create || rereading {
				return max(backoff(cfg, n-1, w.ch.Quantile(sim.StreamJitter)), after)
			}
			return cfg.PollInterval
		}) {
			break // the operation's deadline passed: it is given up, unsure
		}
		if key := w.keys[c.keys[i]]; req == nil || req.Kind != kind || req.Location != location || req.Key != key || req.IfMatch != ifMatch {
			req = &httpRequest{Request: api.Request{Kind: kind, Key: key, Payload: o.payload, Fingerprint: fingerprint, Location: location, Client: c.name, IfMatch: ifMatch}, keyID: c.keys[i]}
		}
		r, srv := c.send(p, i, n, out, req)
		if r == nil {
			continue // a timed-out poll polls again; a timed-out create creates again
		}
		attempt := c.attempts[i]
		if r.Location != "" {
			location = r.Location
		}
		if rereading && r.Status >= 200 && r.Status < 300 {
			// The resource as it is now: this operation's effect is in it
			// (done), or create again under its version.
			rereading = false
			if r.Resource != "" && !blind {
				w.add(responseRead{Client: c.id, Server: srv, Op: o.id, Attempt: attempt, Status: r.Status, Action: Done}.record())
				c.conclude(out, BelievedDone, r)
				return
			}
			w.add(responseRead{Client: c.id, Server: srv, Op: o.id, Attempt: attempt, Status: r.Status, Action: Retry}.record())
			kind, ifMatch = api.Create, r.ETag
			continue
		}
		action, after, concluded := c.read(r, out, srv, o.id, attempt)
		if concluded {
			return
		}
		retryAfter = after
		switch action {
		case Reread, Reapply:
			kind, rereading, blind = api.Poll, true, action == Reapply
		case Retry:
			if rereading {
				continue // the read failed: read again
			}
			kind = api.Create
			if r.Status >= 500 && cfg.NewKeyAfter5xx {
				c.keys[i] = w.newKey()
				out = c.outcomeFor(i)
			}
		case PollIt:
			kind = api.Poll
		}
	}
	c.conclude(out, Exhausted, nil)
}

// pause waits before an operation's next attempt, for as long as wait
// says (asked only once the deadline is known not to have passed, so a
// given-up operation draws nothing); false: the operation's deadline has
// passed, and there is no next attempt.
func (c *client) pause(p *sim.Proc, out *Outcome, wait func() sim.Duration) bool {
	w := c.w
	if d := w.cfg.Client.OpDeadline; d > 0 && w.k.Now().Sub(out.Start) >= d {
		return false
	}
	d := wait()
	w.add(backedOff{Client: c.id, Op: out.Op, Wait: d}.record())
	p.Sleep(d)
	return true
}

// read decides what the client does with response r: what the policy
// says of its status, unless it is an error that carries Retry-After ("not
// now": try again after that long). A done or give-up answer concludes the
// operation (concluded true).
func (c *client) read(r *api.Response, out *Outcome, srv network.NodeID, op api.OpID, attempt int32) (action Action, retryAfter sim.Duration, concluded bool) {
	cfg := &c.w.cfg.Client
	action = cfg.Policy.Action(r.Status)
	if r.RetryAfter > 0 && r.Status >= 400 && !cfg.IgnoreRetryAfter {
		action, retryAfter = Retry, r.RetryAfter
	}
	c.w.add(responseRead{Client: c.id, Server: srv, Op: op, Attempt: attempt, Status: r.Status, Action: action}.record())
	switch action {
	case Done:
		c.conclude(out, BelievedDone, r)
	case GiveUp:
		c.conclude(out, BelievedFailed, r)
	default:
		return action, retryAfter, false
	}
	return action, retryAfter, true
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

// performDelete deletes the payment the operation before it created, once
// the client believes that create is done (a delete of a payment it does
// not know to exist is not sent): a DELETE under the create's key (the
// key it ended with) to the resource it was told of, retried per the
// policy. Nothing but the status decides: a 404 means what the policy
// says, which is the thread's point about deleting twice.
func (c *client) performDelete(p *sim.Proc, i int) {
	w := c.w
	cfg := &w.cfg.Client
	if w.outcomes[c.outcome[i-1]].Belief != BelievedDone {
		return // never submitted: its outcome stays unfinished, with no attempt
	}
	c.keys[i] = c.keys[i-1]
	o := &c.ops[i]
	out := c.outcomeFor(i)
	key := w.keys[c.keys[i]]
	location := ""
	if created := w.outcomes[c.outcome[i-1]].Resource; created != "" {
		location = "/payments/" + created
	}
	req := &httpRequest{Request: api.Request{Kind: api.Delete, Key: key, Location: location, Client: c.name}, keyID: c.keys[i]}
	var retryAfter sim.Duration
	for n := 1; n <= cfg.Attempts; n++ {
		if n > 1 && !c.pause(p, out, func() sim.Duration {
			after := retryAfter
			retryAfter = 0
			return max(backoff(cfg, n-1, w.ch.Quantile(sim.StreamJitter)), after)
		}) {
			break
		}
		r, srv := c.send(p, i, n, out, req)
		if r == nil {
			continue
		}
		var concluded bool
		if _, retryAfter, concluded = c.read(r, out, srv, o.id, c.attempts[i]); concluded {
			return
		}
		// Anything else (retry, poll, reread): send the delete again.
	}
	c.conclude(out, Exhausted, nil)
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
		c.resuming = w.outcomes[c.outcome[c.next]].Attempts > 0
		if c.resuming && w.cfg.Client.KeyOnRestart == KeyRegenerate {
			c.keys[c.next] = w.newKey()
		}
		w.add(restarted{Node: c.id, Resumes: c.ops[c.next].id, Key: c.keys[c.next]}.record())
		c.start()
	}))
	return true
}
