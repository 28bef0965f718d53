package gateway_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/crash"
	"github.com/idemsim/idemsim/live/gateway"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	simgw "github.com/idemsim/idemsim/sim/gateway"
)

// step is one call of a sequence, a wait, or the wait for the answer of a
// charge sent earlier without waiting (async). want is the answer both
// gateways must give.
type step struct {
	do       string // charge, async, await, wait, key, id, refund
	name     string // an async charge's handle
	key      string
	amount   int64
	customer string
	ref      string // the call's reference, which the injector reads
	arg      string // the key or id looked up, the id refunded
	d        time.Duration
	want     string
}

func charge(key string, amount int64, want string) step {
	return step{do: "charge", key: key, amount: amount, customer: "cus_1", want: want}
}

func chargeAs(ref, key string, amount int64, want string) step {
	s := charge(key, amount, want)
	s.ref = ref
	return s
}

func chargeFor(customer, key string, amount int64, want string) step {
	s := charge(key, amount, want)
	s.customer = customer
	return s
}

// async sends a charge that will stay processing, and goes on once the
// gateway has begun it; await is its answer, once a wait made it due.
func async(name, key string, amount int64) step {
	return step{do: "async", name: name, key: key, amount: amount, customer: "cus_1"}
}

func await(name, want string) step { return step{do: "await", name: name, want: want} }
func wait(d time.Duration) step    { return step{do: "wait", d: d} }
func byKey(key, want string) step  { return step{do: "key", arg: key, want: want} }
func byID(id, want string) step    { return step{do: "id", arg: id, want: want} }
func refund(id, want string) step  { return step{do: "refund", arg: id, want: want} }
func (s step) request() api.ChargeRequest { // the charge a step sends
	return api.ChargeRequest{Amount: s.amount, Currency: "usd", Description: "order", Customer: s.customer, IdempotencyKey: s.key}
}

type sequence struct {
	name       string
	cfg        simgw.Config
	processing time.Duration
	steps      []step
}

// The injector of the conformance test (and the simulated side's faults).
func injectByRef(ref string) gateway.Fault {
	switch ref {
	case "timeout":
		return gateway.Timeout
	case "500":
		return gateway.Error500
	}
	return gateway.NoFault
}

// A charge that begins in a sequence with a processing time must be
// async: a plain charge would wait for a clock only the test moves.
var sequences = []sequence{
	{name: "idempotent: replay, key reused with another amount, no key, lookups", cfg: simgw.DefaultConfig(), steps: []step{
		charge("k1", 100, "200 charged ch_1"),
		charge("k1", 100, "200 replayed ch_1"),
		charge("k1", 250, "400 key-mismatch ch_1"),
		charge("", 100, "200 charged ch_2"),
		charge("", 100, "200 charged ch_3"),
		charge("k2", 100, "200 charged ch_4"),
		wait(23 * time.Hour),
		charge("k1", 100, "200 replayed ch_1"),
		byKey("k1", "ch_1 succeeded"),
		byKey("k2", "ch_4 succeeded"),
		byKey("", "none"),
		byKey("k9", "none"),
		byID("ch_3", "ch_3 succeeded"),
		byID("ch_5", "none"),
		byID("ch_01", "none"),
		byID("ch_0", "none"),
		byID("ch_-1", "none"),
		byID("x", "none"),
		byID("", "none"),
		byID("..", "none"),
	}},
	{name: "refunds", cfg: simgw.DefaultConfig(), steps: []step{
		charge("k1", 100, "200 charged ch_1"),
		charge("k2", 200, "200 charged ch_2"),
		refund("ch_1", "ok"),
		byID("ch_1", "ch_1 succeeded refunded"),
		refund("ch_1", "gateway: refund ch_1: charge already refunded"),
		refund("ch_7", `gateway: refund "ch_7": no such charge`),
		refund("", `gateway: refund "": no such charge`),
		refund("ch_01", `gateway: refund "ch_01": no such charge`),
		charge("k1", 100, "200 replayed ch_1"),
		byKey("k1", "ch_1 succeeded refunded"),
		wait(time.Minute),
		refund("ch_2", "ok"),
		byID("ch_2", "ch_2 succeeded refunded"),
	}},
	{name: "idempotent: a repeat while the first is processing", cfg: simgw.DefaultConfig(), processing: 5 * time.Second, steps: []step{
		async("a", "k1", 100),
		charge("k1", 100, "409 in-progress ch_1"),
		charge("k1", 250, "400 key-mismatch ch_1"),
		byKey("k1", "ch_1 processing"),
		byID("ch_1", "ch_1 processing"),
		refund("ch_1", "gateway: refund ch_1 (processing): charge has not moved money"),
		async("b", "", 100),
		wait(4 * time.Second),
		charge("k1", 100, "409 in-progress ch_1"),
		wait(time.Second),
		await("a", "200 charged ch_1"),
		await("b", "200 charged ch_2"),
		charge("k1", 100, "200 replayed ch_1"),
		refund("ch_1", "ok"),
	}},
	{name: "retention: a key is forgotten once its retention has passed since its first request",
		cfg: simgw.Config{Mode: simgw.Idempotent, KeyRetention: 10 * time.Second}, steps: []step{
			charge("k1", 100, "200 charged ch_1"),
			wait(9 * time.Second),
			charge("k1", 100, "200 replayed ch_1"),
			wait(time.Second),
			charge("k1", 250, "200 charged ch_2"),
			charge("k1", 250, "200 replayed ch_2"),
			charge("k1", 100, "400 key-mismatch ch_2"),
			byKey("k1", "ch_1 succeeded"),
			wait(10 * time.Second),
			charge("k1", 100, "200 charged ch_3"),
		}},
	{name: "retention: a key whose charge is processing is kept",
		cfg: simgw.Config{Mode: simgw.Idempotent, KeyRetention: 2 * time.Second}, processing: 5 * time.Second, steps: []step{
			async("a", "k1", 100),
			wait(3 * time.Second),
			charge("k1", 100, "409 in-progress ch_1"),
			wait(2 * time.Second),
			await("a", "200 charged ch_1"),
			async("b", "k1", 100),
			byKey("k1", "ch_1 succeeded"),
			charge("k1", 100, "409 in-progress ch_2"),
			wait(5 * time.Second),
			await("b", "200 charged ch_2"),
		}},
	{name: "window: identical charges within the window are rejected, keys ignored",
		cfg: simgw.Config{Mode: simgw.DuplicateWindow, Window: 30 * time.Second}, steps: []step{
			charge("", 100, "200 charged ch_1"),
			charge("", 100, "422 duplicate-rejected ch_1"),
			charge("k1", 100, "422 duplicate-rejected ch_1"),
			charge("", 200, "200 charged ch_2"),
			chargeFor("cus_2", "", 100, "200 charged ch_3"),
			wait(29 * time.Second),
			charge("", 100, "422 duplicate-rejected ch_1"),
			wait(time.Second),
			charge("", 100, "200 charged ch_4"),
			charge("", 100, "422 duplicate-rejected ch_4"),
			charge("k2", 300, "200 charged ch_5"),
			charge("k2", 300, "422 duplicate-rejected ch_5"),
			byKey("k1", "none"),
			byKey("k2", "ch_5 succeeded"),
		}},
	{name: "window: a charge still processing counts", cfg: simgw.Config{Mode: simgw.DuplicateWindow}, processing: 5 * time.Second, steps: []step{
		async("a", "", 100),
		charge("", 100, "422 duplicate-rejected ch_1"),
		wait(5 * time.Second),
		await("a", "200 charged ch_1"),
		charge("", 100, "422 duplicate-rejected ch_1"),
	}},
	{name: "none: every request charges", cfg: simgw.Config{Mode: simgw.None}, steps: []step{
		charge("k1", 100, "200 charged ch_1"),
		charge("k1", 100, "200 charged ch_2"),
		charge("k1", 250, "200 charged ch_3"),
		charge("", 100, "200 charged ch_4"),
		byKey("k1", "ch_1 succeeded"),
		refund("ch_2", "ok"),
		byID("ch_2", "ch_2 succeeded refunded"),
	}},
	{name: "faults: the charge goes through, its answer does not", cfg: simgw.DefaultConfig(), steps: []step{
		chargeAs("timeout", "k1", 100, "timeout"),
		byKey("k1", "ch_1 succeeded"),
		charge("k1", 100, "200 replayed ch_1"),
		chargeAs("500", "k2", 100, "500 error"),
		charge("k2", 100, "200 replayed ch_2"),
		chargeAs("500", "", 100, "500 error"),
		byID("ch_3", "ch_3 succeeded"),
		chargeAs("timeout", "k1", 100, "200 replayed ch_1"), // only a charge that goes through is faulted
	}},
}

// quickTimeout is the client timeout of a call the injector times out:
// the live gateway holds it until the client gives up.
const quickTimeout = 300 * time.Millisecond

func chargeAnswer(r api.ChargeResult, err error) string {
	switch {
	case errors.Is(err, api.ErrTimeout):
		return "timeout"
	case errors.Is(err, api.ErrConnection):
		return "connection"
	case err != nil:
		return "error " + err.Error()
	}
	return strings.TrimSpace(fmt.Sprintf("%d %s %s", r.Status, r.Outcome, r.ChargeID))
}

func lookupAnswer(s api.ChargeStatus, err error) string {
	switch {
	case err != nil:
		return "error " + err.Error()
	case !s.Found:
		return "none"
	case s.Refunded:
		return s.ChargeID + " " + s.State + " refunded"
	}
	return s.ChargeID + " " + s.State
}

// refundAnswer is "ok" or the refusal's message, without the moment of
// the earlier refund (a virtual time in one, a date in the other), after
// checking that the error wraps the sentinel its message names.
func refundAnswer(err error) string {
	if err == nil {
		return "ok"
	}
	msg, _, _ := strings.Cut(err.Error(), " at ")
	for _, sentinel := range []error{simgw.ErrUnknownCharge, simgw.ErrNotCharged, simgw.ErrAlreadyRefunded} {
		if strings.HasSuffix(msg, sentinel.Error()) && !errors.Is(err, sentinel) {
			return msg + " (not wrapping its sentinel)"
		}
	}
	return msg
}

// simSide is sim/gateway behind api.Gateway as the world serves it
// (sim/world/services.go: gatewayNode and envGateway) without the
// network: its clock moves with the sequence's waits; a charge that begins
// completes when its processing time has passed, and only then is the
// injector asked about it.
type simSide struct {
	t          *testing.T
	g          *simgw.Gateway
	now        sim.Time
	processing time.Duration
	pending    []*simCharge
	answers    map[string]string // of async charges, once complete
}

type simCharge struct {
	name   string
	ticket simgw.Ticket
	due    sim.Time
	ref    string
}

func (s *simSide) do(i int, st step) string {
	switch st.do {
	case "charge", "async":
		req := st.request()
		ticket, out, accepted := s.g.Begin(s.now, simgw.ChargeRequest{AmountCents: req.Amount, Currency: req.Currency,
			Description: req.Description, Customer: req.Customer, IdempotencyKey: req.IdempotencyKey}, int64(i))
		if !accepted {
			require.Equal(s.t, "charge", st.do, "table: async step %d does not begin a charge; %s", i, rerun(s.t))
			return chargeAnswer(simResult(out), nil)
		}
		require.True(s.t, st.do == "async" || s.processing == 0, "table: step %d begins a processing charge: make it async; %s", i, rerun(s.t))
		s.pending = append(s.pending, &simCharge{name: st.name, ticket: ticket, due: s.now.Add(s.processing), ref: st.ref})
		s.advance(0)
		if st.do == "charge" {
			answer := s.answers[""] // completed at once: no processing time
			delete(s.answers, "")
			return answer
		}
		return ""
	case "await":
		answer, ok := s.answers[st.name]
		require.True(s.t, ok, "table: step %d awaits %q before a wait made it due; %s", i, st.name, rerun(s.t))
		return answer
	case "wait":
		s.advance(st.d)
		return ""
	case "key":
		ch, status := s.g.LookupByKey(s.now, st.arg)
		return lookupAnswer(simStatus(ch, status), nil)
	case "id":
		ch, status := s.g.LookupByID(s.now, st.arg)
		return lookupAnswer(simStatus(ch, status), nil)
	case "refund":
		return refundAnswer(s.g.Refund(s.now, st.arg))
	}
	s.t.Fatalf("table: step %d does %q; %s", i, st.do, rerun(s.t))
	return ""
}

// simResult is the world's answer to a charge (gatewayNode.answer).
func simResult(out simgw.Outcome) api.ChargeResult {
	return api.ChargeResult{Status: out.HTTPStatus(), ChargeID: out.Charge.ID, Outcome: out.Kind.String()}
}

func simStatus(ch simgw.Charge, status simgw.Status) api.ChargeStatus {
	if status == simgw.StatusNone {
		return api.ChargeStatus{}
	}
	return api.ChargeStatus{Found: true, ChargeID: ch.ID, State: status.String(), Refunded: ch.Refunded}
}

// advance moves the clock and completes, at its due time, every charge
// whose processing has ended, in the order they began.
func (s *simSide) advance(d time.Duration) {
	s.now = s.now.Add(d)
	kept := s.pending[:0]
	for _, p := range s.pending {
		if p.due > s.now {
			kept = append(kept, p)
			continue
		}
		out := s.g.Complete(p.due, p.ticket)
		answer := chargeAnswer(simResult(out), nil)
		switch injectByRef(p.ref) {
		case gateway.Timeout:
			answer = chargeAnswer(api.ChargeResult{}, api.ErrTimeout)
		case gateway.Error500:
			answer = chargeAnswer(api.ChargeResult{Status: api.StatusInternalServerError, Outcome: "error"}, nil)
		}
		s.answers[p.name] = answer
	}
	s.pending = kept
}

// liveSide is the gateway Server over HTTP, its clock moved by the
// sequence's waits.
type liveSide struct {
	t          *testing.T
	srv        *gateway.Server
	url        string
	client     *gateway.Client
	quick      *gateway.Client // for the calls the injector times out
	clock      *fakeClock
	processing time.Duration
	faulted    chan string // the refs the injector timed out
	pending    []*liveCharge
	answers    map[string]string
}

type liveCharge struct {
	name   string
	due    time.Time
	done   chan struct{}
	answer string
	panic  *crash.Panic
}

func (l *liveSide) gateway(i int, ref string) api.Gateway {
	c := l.client
	if injectByRef(ref) == gateway.Timeout {
		c = l.quick
	}
	return c.For(fmt.Sprintf("o%d", i), ref)
}

func (l *liveSide) do(i int, st step) string {
	g := l.gateway(i, st.ref)
	switch st.do {
	case "charge":
		answer := chargeAnswer(g.Charge(st.request()))
		if answer == "timeout" {
			// The client gave up; go on once the gateway has completed the
			// charge (it asks the injector then), however slow it was.
			select {
			case <-l.faulted:
			case <-time.After(waitLimit):
				l.t.Fatalf("step %d: the live gateway did not complete the charge within %v; %s", i, waitLimit, rerun(l.t))
			}
		}
		return answer
	case "async":
		p := &liveCharge{name: st.name, due: l.clock.Now().Add(l.processing), done: make(chan struct{})}
		sleeping := l.clock.Sleepers()
		go func() {
			defer close(p.done)
			p.panic = crash.Catch(func() { p.answer = chargeAnswer(g.Charge(st.request())) })
		}()
		// Go on once the charge has begun: its processing is sleeping on
		// the clock.
		require.True(l.t, eventually(func() bool { return l.clock.Sleepers() > sleeping }),
			"the live gateway began async charge %q within %v; %s", st.name, waitLimit, rerun(l.t))
		l.pending = append(l.pending, p)
		return ""
	case "await":
		answer, ok := l.answers[st.name]
		require.True(l.t, ok, "table: step %d awaits %q before a wait made it due; %s", i, st.name, rerun(l.t))
		return answer
	case "wait":
		l.clock.Advance(st.d)
		kept := l.pending[:0]
		for _, p := range l.pending {
			if p.due.After(l.clock.Now()) {
				kept = append(kept, p)
				continue
			}
			select {
			case <-p.done:
			case <-time.After(waitLimit):
				l.t.Fatalf("async charge %q had no answer %v after its processing ended; %s", p.name, waitLimit, rerun(l.t))
			}
			if p.panic != nil {
				panic(p.panic)
			}
			l.answers[p.name] = p.answer
		}
		l.pending = kept
		return ""
	case "key":
		return lookupAnswer(g.LookupByKey(st.arg))
	case "id":
		return lookupAnswer(g.LookupByID(st.arg))
	case "refund":
		return refundAnswer(g.Refund(st.arg))
	}
	l.t.Fatalf("table: step %d does %q; %s", i, st.do, rerun(l.t))
	return ""
}

// ledgerLine is one charge as both ledgers can state it, times as offsets
// from each clock's start.
func ledgerLine(id, tag string, amount int64, customer, key string, state simgw.Status, began, completed time.Duration, refunded bool, refundedAt time.Duration) string {
	return fmt.Sprintf("%s tag=%s amount=%d customer=%s key=%q %s began=%v completed=%v refunded=%v at %v",
		id, tag, amount, customer, key, state, began, completed, refunded, refundedAt)
}

func simLedger(g *simgw.Gateway) []string {
	var out []string
	for n := 1; ; n++ {
		ch, status := g.LookupByID(0, fmt.Sprintf("ch_%d", n))
		if status == simgw.StatusNone {
			return out
		}
		out = append(out, ledgerLine(ch.ID, fmt.Sprintf("o%d", ch.Tag), ch.AmountCents, ch.Customer, ch.IdempotencyKey, status,
			time.Duration(ch.Began), time.Duration(ch.Completed), ch.Refunded, time.Duration(ch.RefundedAt)))
	}
}

func liveLedger(t *testing.T, srv *gateway.Server) []string {
	var out []string
	offset := func(at time.Time) time.Duration {
		if at.IsZero() {
			return 0
		}
		return at.Sub(clockBase)
	}
	for _, c := range charges(t, srv) {
		out = append(out, ledgerLine(c.ID, c.Tag, c.AmountCents, c.Customer, c.IdempotencyKey, c.State,
			offset(c.Began), offset(c.Completed), c.Refunded, offset(c.RefundedAt)))
	}
	return out
}

// Goal: the live gateway answers every call as the simulated gateway
// does, in the three modes: charges, replays, 409 while processing, 400
// for a key reused with other parameters, 422 in the window, key
// retention (and a processing charge's key kept past it), lookups by key
// and by id, refunds and their refusals, and injected timeouts and 500s;
// and its ledger ends as the simulated one. Method: each sequence runs
// step by step against sim/gateway through its Go API (completing charges
// as the world does) and against a Server on a fresh database of a
// throwaway PostgreSQL 15 over HTTP; the live gateway's clock is a fake
// one that each wait moves by as much as the simulated clock, so both see
// the same times; each answer must be equal on both and to the table's,
// and the ledgers (ids, tags, amounts, keys, states, times, refunds)
// equal at the end.
func testConformance(t *testing.T, pg *postgres) {
	for _, seq := range sequences {
		t.Run(seq.name, func(t *testing.T) {
			g, err := simgw.New(seq.cfg)
			require.NoError(t, err, rerun(t))
			simulated := &simSide{t: t, g: g, processing: seq.processing, answers: map[string]string{}}
			clock := newFakeClock()
			faulted := make(chan string, len(seq.steps))
			inject := func(ref string) gateway.Fault {
				f := injectByRef(ref)
				if f == gateway.Timeout {
					faulted <- ref
				}
				return f
			}
			srv, url := serve(t, pg.database(t), seq.cfg, inject, gateway.WithClock(clock), gateway.WithProcessing(seq.processing))
			live := &liveSide{t: t, srv: srv, url: url, clock: clock, processing: seq.processing, faulted: faulted, answers: map[string]string{},
				client: gateway.NewClient(url, waitLimit), quick: gateway.NewClient(url, quickTimeout)}
			for i, st := range seq.steps {
				want := simulated.do(i, st)
				got := live.do(i, st)
				assert.Equal(t, want, got, "step %d, %s %s%s (simulated, then live); %s", i, st.do, st.key, st.arg, rerun(t))
				assert.Equal(t, st.want, got, "step %d, %s %s%s (the table, then live); %s", i, st.do, st.key, st.arg, rerun(t))
			}
			assert.Equal(t, simLedger(g), liveLedger(t, srv), "the ledgers (simulated, then live); %s", rerun(t))
		})
	}
}
