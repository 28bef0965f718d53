package world

import (
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/network"
)

// op is one business operation of a queue, as its message says.
type op struct {
	id      api.OpID
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
		c.perform(p, c.next)
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
		if n > 1 {
			if cfg.OpDeadline > 0 && w.k.Now().Sub(out.Start) >= cfg.OpDeadline {
				break // the operation's deadline passed: it is given up, unsure
			}
			wait := cfg.PollInterval
			if kind == api.Create || rereading {
				wait = max(backoff(cfg, n-1, w.ch.Quantile(sim.StreamJitter)), retryAfter)
			}
			retryAfter = 0
			w.record(TraceBackoff, c.id, 0, o.id, 0, int64(wait), 0)
			p.Sleep(wait)
		}
		c.attempts[i]++
		attempt := c.attempts[i]
		srv := w.balance()
		key := w.keys[c.keys[i]]
		w.record(TraceAttempt, c.id, srv.id, o.id, attempt, int64(c.keys[i]), int64(kind))
		c.inflight = Attempt{Client: c.name, Op: o.id, Key: key, N: n, Kind: kind, Server: srv.name, Call: w.k.Now()}
		c.waiting = true
		out.Attempts++
		if req == nil || req.Kind != kind || req.Location != location || req.Key != key || req.IfMatch != ifMatch {
			req = &httpRequest{Request: api.Request{Kind: kind, Key: key, Payload: o.payload, Fingerprint: fingerprint, Location: location, Client: c.name, IfMatch: ifMatch}, keyID: c.keys[i]}
		}
		ref := faults.Ref{Caller: c.name, Op: o.id, Attempt: attempt}
		resp, got := w.net.Call(p, c.id, srv.id, ref, req, cfg.TimeoutPerAttempt)
		c.waiting = false
		a := c.inflight
		a.Return = w.k.Now()
		if got != network.Answered {
			a.TimedOut = true
			w.history = append(w.history, a)
			w.record(TraceTimeout, c.id, srv.id, o.id, attempt, 0, 0)
			continue // a timed-out poll polls again; a timed-out create creates again
		}
		r := resp.(*api.Response)
		a.Status, a.Resource = r.Status, r.Resource
		if r.Location != "" {
			location = r.Location
		}
		w.history = append(w.history, a)
		if rereading && r.Status >= 200 && r.Status < 300 {
			// The resource as it is now: this operation's effect is in it
			// (done), or create again under its version.
			rereading = false
			if r.Resource != "" && !blind {
				w.record(TraceResponse, c.id, srv.id, o.id, attempt, int64(r.Status), int64(Done))
				c.conclude(out, BelievedDone, r.Status)
				return
			}
			w.record(TraceResponse, c.id, srv.id, o.id, attempt, int64(r.Status), int64(Retry))
			kind, ifMatch = api.Create, r.ETag
			continue
		}
		action := cfg.Policy.Action(r.Status)
		if r.RetryAfter > 0 && r.Status >= 400 && !cfg.IgnoreRetryAfter {
			action, retryAfter = Retry, r.RetryAfter // "not now": try again after that long
		}
		w.record(TraceResponse, c.id, srv.id, o.id, attempt, int64(r.Status), int64(action))
		switch action {
		case Done:
			c.conclude(out, BelievedDone, r.Status)
			return
		case GiveUp:
			c.conclude(out, BelievedFailed, r.Status)
			return
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
	c.conclude(out, Exhausted, 0)
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

func (c *client) conclude(out *Outcome, b Belief, status int) {
	out.Belief, out.Status, out.End = b, status, c.w.k.Now()
	c.w.record(TraceConclude, c.id, 0, out.Op, 0, int64(b), int64(status))
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
		w.history = append(w.history, a)
		c.waiting = false
	}
	w.log.Add(faults.Fault{Kind: faults.ClientCrashFault, At: w.k.Now(), Crash: faults.Crash{Node: c.name, At: w.k.Now(), Downtime: downtime}})
	w.record(TraceCrash, c.id, 0, api.OpID{}, 0, int64(downtime), 0)
	w.k.After(downtime, sim.Func(func() {
		c.resuming = w.outcomes[c.outcome[c.next]].Attempts > 0
		if c.resuming && w.cfg.Client.KeyOnRestart == KeyRegenerate {
			c.keys[c.next] = w.newKey()
		}
		w.record(TraceRestart, c.id, 0, c.ops[c.next].id, 0, int64(c.keys[c.next]), 0)
		c.start()
	}))
	return true
}
