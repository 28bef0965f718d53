package proxy

import (
	"fmt"
	"math"
	"time"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/live/decide"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
)

// Balancer is how the proxy picks the upstream of a request, as the
// simulated balancer's policies do (sim/world/world.go, balance).
type Balancer uint8

// The balancers.
const (
	// RoundRobin hands each new request to the next upstream in turn; a
	// duplicate's copy goes to its original's upstream and takes no turn.
	RoundRobin Balancer = iota
	// Random picks the upstream from hash(seed, ref), so that a request's
	// upstream does not depend on the order requests arrive in.
	Random
)

func (b Balancer) String() string {
	switch b {
	case RoundRobin:
		return "round-robin"
	case Random:
		return "random"
	}
	return fmt.Sprintf("balancer(%d)", uint8(b))
}

// DefaultMaxHold bounds how long the proxy holds a client's connection that
// gets no response, when Plan.MaxHold is zero.
const DefaultMaxHold = 30 * time.Second

// Plan decides which faults fire. Every decision is a function of the
// request's message reference, so a run's fault schedule does not depend on
// the order in which threads happen to reach the proxy.
type Plan struct {
	// Seed feeds every hash decision.
	Seed uint64
	// Link holds the rate of each fault, as the simulated link between
	// clients and servers reads it: drop-request, drop-response, reset,
	// and duplicate (for both duplicate-request and duplicate-response).
	// Its Delay is the latency each request and each response is held for
	// before it moves on, at the quantile hash(seed, ref, direction) of the
	// law; the zero law holds nothing. Delay applies in replay too: it is
	// latency, not a fault, and no fault list records it.
	Link faults.Link
	// Replay, when not nil, replaces the rates: exactly the message faults
	// it lists on requests between clients and servers fire (a duplicate's
	// copy comes its Extra after the original). The list's other faults
	// (crashes, database and gateway faults, faults on service calls) are
	// not the proxy's to inject and are ignored; its partitions come in
	// Partitions.
	Replay []faults.Fault
	// Balancer picks the upstream of each request.
	Balancer Balancer
	// MaxHold bounds every hold: a connection kept open without a
	// response until its client gives up, a delay, a duplicate's lag, and
	// the wait for an upstream's answer. Zero means DefaultMaxHold.
	MaxHold time.Duration
	// Rules are the world's --link rules: a request between a client and
	// a server, and its response, follow Link with every rule that names
	// both applied, as the simulated network resolves each pair's link
	// (faults.Plan.LinkBetween).
	Rules []faults.LinkRule
	// Partitions cut the messages between a client and a server while
	// they last, as the simulated network cuts them when they leave and
	// when they arrive: a request cut is never forwarded, a response cut
	// is never returned, and the client waits for its timeout. No fault is
	// logged per message (the run logs each partition as it begins).
	Partitions []faults.Partition
	// Clock is the run's clock, against which the partitions' windows are
	// read (nil: the time since the proxy was made).
	Clock func() sim.Time
	// Observe, when set, is told what becomes of every message the proxy
	// carries, for a live run's trace. It is called from the proxy's
	// goroutines, at the moment each thing happens.
	Observe func(Hop)
	// AllowRemote lets the upstreams be off loopback (a user's service
	// checked with --allow-remote); otherwise only loopback is dialed.
	AllowRemote bool
}

// Hop is what became of one message the proxy carried, as the simulated
// network's trace records it (sim/network/trace.go).
type Hop struct {
	// Fate is one of sim/network's message kinds: network.TraceSend,
	// TraceDeliver, TraceDrop, TraceCut (a partition), TraceDuplicate,
	// TraceReset or TraceLate; 0 when Down.
	Fate uint16
	// Ref is the client's attempt (Copy set for a duplicate's copy), and
	// Response says whether the message is its response.
	Ref      faults.Ref
	Response bool
	// Server is the upstream the request went to (s1, s2...).
	Server string
	// Delay is a sent message's latency, or how long after now a
	// duplicate's copy arrives.
	Delay time.Duration
	// Down: the upstream refused the connection, and the proxy answers
	// 502 for it, as the simulated balancer does for a server that is
	// down.
	Down bool
}

// Check says what is wrong with a plan, or nil.
func (p Plan) Check() error {
	if err := checkLink("", p.Link); err != nil {
		return err
	}
	for _, r := range p.Rules {
		l := p.Link
		r.Apply(&l)
		if err := checkLink("rule "+r.String()+": ", l); err != nil {
			return err
		}
	}
	if p.Balancer != RoundRobin && p.Balancer != Random {
		return fmt.Errorf("proxy plan: balancer %v (accepted: %s, %s)", p.Balancer, RoundRobin, Random)
	}
	if p.MaxHold < 0 {
		return fmt.Errorf("proxy plan: max hold %v (accepted: a duration >= 0; 0 means %v)", p.MaxHold, DefaultMaxHold)
	}
	return nil
}

// checkLink says what is wrong with a link's rates and delay, or nil.
func checkLink(what string, l faults.Link) error {
	rates := []struct {
		name string
		v    float64
	}{
		{"drop-request", l.DropRequestRate},
		{"drop-response", l.DropResponseRate},
		{"duplicate", l.DuplicateRate},
		{"reset", l.ResetRate},
	}
	for _, r := range rates {
		if !(r.v >= 0 && r.v <= 1) {
			return fmt.Errorf("proxy plan: %s%s rate %v (accepted: a probability in [0, 1])", what, r.name, r.v)
		}
	}
	if err := l.Delay.Check(); err != nil {
		return fmt.Errorf("proxy plan: %sdelay: %v", what, err)
	}
	return nil
}

func (p Plan) maxHold() time.Duration {
	if p.MaxHold > 0 {
		return p.MaxHold
	}
	return DefaultMaxHold
}

// rate is the probability of fault kind k on one message, as the simulated
// network reads it from its link (sim/network/network.go).
func rate(l *faults.Link, k faults.Kind) float64 {
	switch k {
	case faults.DropRequest:
		return l.DropRequestRate
	case faults.DropResponse:
		return l.DropResponseRate
	case faults.DuplicateRequest, faults.DuplicateResponse:
		return l.DuplicateRate
	case faults.Reset:
		return l.ResetRate
	}
	return 0
}

// proxyKind reports whether f is a fault the proxy injects: one on a
// request between a client and a server, or on its response.
func proxyKind(f faults.Fault) bool {
	switch f.Kind {
	case faults.DropRequest, faults.DropResponse, faults.DuplicateRequest, faults.DuplicateResponse, faults.Reset:
		return f.Msg.Worker == "" && f.Msg.Service == api.NoService
	}
	return false
}

// replayKey names one replayed decision.
type replayKey struct {
	kind faults.Kind
	ref  faults.Ref
}

// replayIndex maps each proxy fault of a replay list to its Extra.
func replayIndex(list []faults.Fault) map[replayKey]time.Duration {
	if list == nil {
		return nil
	}
	m := make(map[replayKey]time.Duration, len(list))
	for _, f := range list {
		if proxyKind(f) {
			m[replayKey{f.Kind, f.Msg}] = f.Extra
		}
	}
	return m
}

// uniform is decide.Uniform: hash(seed, ref, what) in [0, 1).
func uniform(seed uint64, ref, what string) float64 { return decide.Uniform(seed, ref, what) }

// hit reports whether a draw u fires a fault of probability rate.
func hit(u, rate float64) bool {
	return rate >= 1 || u < rate
}

// span is the law's duration at quantile u, at most limit.
func span(d sim.Dist, u float64, limit time.Duration) time.Duration {
	return min(d.Quantile(math.Min(u, math.Nextafter(1, 0))), limit)
}
