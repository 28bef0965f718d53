package world

import (
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
)

// The client's protocol for one operation, as a state and a pure step: the
// step reads the answer to the attempt just made and says what to do next.
// It holds no Proc, reads no clock and draws nothing; the loop around it
// (client.drive) sends, waits and draws what the step asks for. Keeping
// the protocol apart from the simulation is what lets client_step_test.go
// go through each contract one answer at a time.

// opState is what a client knows of the operation it is working on, in
// one life of its process: a crash loses it, and the operation starts
// again from begin (the attempts already made still count in the history).
type opState struct {
	// n is the attempt about to be sent, or just answered: 1 for the
	// first, counted per life, as the attempt budget is.
	n int
	// kind is what the next request asks: a create, a poll (a 202's status
	// URL, or a read of the resource before an If-Match create), or a
	// delete.
	kind api.Kind
	// location is where the request goes: a 202's status URL once one
	// came, or the resource a delete removes.
	location string
	// ifMatch is the version a create under optimistic concurrency asks
	// for (the ETag of the last read).
	ifMatch string
	// rereading: the poll in flight reads the resource to learn whether
	// this operation's effect is in it, or its version.
	rereading bool
	// blind: the read only fetches the version, and its answer is not
	// searched for the effect (the policy's reapply, a bug on purpose).
	blind bool
}

// beginCreate is a create's state before its first attempt. Against
// optimistic concurrency (contract 412) the client first reads the
// resource, to learn its version.
func beginCreate(contract412 bool) opState {
	if contract412 {
		return opState{n: 1, kind: api.Poll, rereading: true}
	}
	return opState{n: 1, kind: api.Create}
}

// beginDelete is a delete's state before its first attempt: a DELETE of
// the resource at location ("" when the create named none), which the step
// never changes.
func beginDelete(location string) opState {
	return opState{n: 1, kind: api.Delete, location: location}
}

// moveKind is what the client does after an answer.
type moveKind uint8

const (
	// moveWait: sleep, then send attempt n of the new state.
	moveWait moveKind = iota + 1
	// moveConclude: the operation is over; the client concludes belief.
	moveConclude
)

// stopReason says why an operation ended without an answer that decided
// it; both give the same conclusion (Exhausted), and only tests tell them
// apart.
type stopReason uint8

const (
	stopDecided  stopReason = iota // an answer decided it (or it goes on)
	outOfBudget                    // the attempt budget is spent
	pastDeadline                   // --op-deadline has passed since the first attempt
)

// move is the step's answer: what the client read in the response, and
// what it does next.
type move struct {
	do moveKind
	// heard is how the client read the response, as the trace shows it (0
	// when there was no response).
	heard Action
	// newKey: mint a new key for the operation before anything else (a
	// retry after a 5xx under --key-after-5xx new).
	newKey bool
	// retry > 0: the wait is a full-jitter backoff for this retry (a draw),
	// at least wait; 0: the wait is wait, and nothing is drawn.
	retry int
	wait  sim.Duration
	// belief and from (the response that decided it, nil when none did)
	// are the conclusion of a moveConclude; why says why there was no
	// deciding response.
	belief Belief
	from   *api.Response
	why    stopReason
}

// next is the step: s after the answer r to attempt s.n (nil when none
// came: a timeout or a reset), elapsed after the operation's first
// attempt, and what the client does now. It neither mutates s nor reads
// anything but its arguments.
func (s opState) next(cfg *ClientConfig, r *api.Response, elapsed sim.Duration) (opState, move) {
	var m move
	if r != nil {
		s, m = s.hear(cfg, r)
		if m.do == moveConclude {
			return s, m
		}
	}
	s.n++
	switch {
	case s.n > cfg.Attempts:
		// m.newKey stands: the key is minted though no attempt will carry
		// it, as runs always have (the outcome's keys and the trace hash
		// record it).
		m.do, m.belief, m.why = moveConclude, Exhausted, outOfBudget
		return s, m
	case cfg.OpDeadline > 0 && elapsed >= cfg.OpDeadline:
		// Given up unsure, before the wait is drawn.
		m.do, m.belief, m.why = moveConclude, Exhausted, pastDeadline
		return s, m
	}
	m.do = moveWait
	if s.kind == api.Poll && !s.rereading {
		m.wait = cfg.PollInterval // polling a 202's status: no backoff, no Retry-After
		return s, m
	}
	m.retry = s.n - 1 // m.wait, the answer's Retry-After if any, is the floor
	return s, m
}

// hear reads answer r: it decides the operation (a done or give-up
// reading), or changes what the next attempt asks. A delete only ever
// sends the same DELETE again.
func (s opState) hear(cfg *ClientConfig, r *api.Response) (opState, move) {
	if s.kind != api.Delete && r.Location != "" {
		s.location = r.Location
	}
	if s.rereading && r.Status >= 200 && r.Status < 300 {
		// The resource as it is now: this operation's effect is in it
		// (done), or create again under its version.
		s.rereading = false
		if r.Resource != "" && !s.blind {
			return s, move{do: moveConclude, heard: Done, belief: BelievedDone, from: r}
		}
		s.kind, s.ifMatch = api.Create, r.ETag
		return s, move{heard: Retry}
	}
	action, retryAfter := read(cfg, r)
	switch action {
	case Done:
		return s, move{do: moveConclude, heard: action, belief: BelievedDone, from: r}
	case GiveUp:
		return s, move{do: moveConclude, heard: action, belief: BelievedFailed, from: r}
	}
	m := move{heard: action, wait: retryAfter}
	if s.kind == api.Delete {
		return s, m // retry, poll or reread: send the delete again
	}
	switch action {
	case Reread, Reapply:
		s.kind, s.rereading, s.blind = api.Poll, true, action == Reapply
	case Retry:
		if s.rereading {
			break // the read failed: read again
		}
		s.kind = api.Create
		m.newKey = r.Status >= 500 && cfg.NewKeyAfter5xx
	case PollIt:
		s.kind = api.Poll
	}
	return s, m
}

// read is what the client makes of response r's status: what the policy
// says, unless it is an error that carries Retry-After ("not now": retry
// after that long, returned as retryAfter).
func read(cfg *ClientConfig, r *api.Response) (action Action, retryAfter sim.Duration) {
	action = cfg.Policy.Action(r.Status)
	if r.RetryAfter > 0 && r.Status >= 400 && !cfg.IgnoreRetryAfter {
		action, retryAfter = Retry, r.RetryAfter
	}
	return action, retryAfter
}

// restart is what a client that comes back from a crash does with the
// operation it was on, given whether it had sent any attempt of it:
// resume it (no think time first), under a new key when the key lived
// only in memory (--key-on-restart regenerate).
func restart(cfg *ClientConfig, attempted bool) (resuming, newKey bool) {
	return attempted, attempted && cfg.KeyOnRestart == KeyRegenerate
}
