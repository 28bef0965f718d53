package claims

import (
	"math/rand/v2"
	"time"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// EdgeCase is one of the standard situations every strategy is run in; the
// table of strategies against edge cases in docs/strategies.md is
// generated from them (`idemsim table`). A case is run as many schedules:
// each jitters the edge world's latencies from its seed and draws the
// moment of each of the case's timed faults, so that an outcome that
// depends on where a fault lands shows up in some of them.
type EdgeCase struct {
	Name  string   // the table's column
	About string   // what happens, in a sentence
	Args  []string // flags over EdgeWorld's, but for the timed faults
	Timed []Timed  // faults whose moment each schedule draws
	// Schedules, when set, caps the schedules a cell of this case runs:
	// for a case whose runs are long and whose outcome the jitter of a
	// few milliseconds cannot move.
	Schedules int
}

// Span is the stretch of a case's request that a timed fault's moment is
// drawn over.
type Span uint8

const (
	// InFirstAttempt runs from the client sending its first attempt to the
	// server answering it: the fault can land before the request arrives
	// or between any two of the server's steps.
	InFirstAttempt Span = iota
	// BeforeRetry runs from the client sending its first attempt to it
	// sending the second: during the first request, or while the client
	// waits to retry.
	BeforeRetry
)

// String says what the span covers, for the table's legend.
func (s Span) String() string {
	if s == BeforeRetry {
		return "from the first attempt's sending to the retry's"
	}
	return "from the first attempt's sending to its server's answer"
}

// Timed is a fault at a moment each schedule draws over its span.
type Timed struct {
	Flag    string   // the flag of idemsim run that sets it: pause, crash or partition
	Example sim.Time // the moment the legend's command shows
	Span    Span
	value   func(at sim.Time) string
}

// Value is the flag's value with the fault at the moment at.
func (t Timed) Value(at sim.Time) string { return t.value(at) }

// pauseAt freezes node for length.
func pauseAt(node string, length sim.Duration, example sim.Time, span Span) Timed {
	return nodeDown("pause", node, length, example, span)
}

// crashAt takes node down for downtime (the store restarts empty).
func crashAt(node string, downtime sim.Duration, example sim.Time, span Span) Timed {
	return nodeDown("crash", node, downtime, example, span)
}

// nodeDown is a --pause or a --crash: both read NODE@TIME+LENGTH.
func nodeDown(flag, node string, length sim.Duration, example sim.Time, span Span) Timed {
	return Timed{Flag: flag, Example: example, Span: span, value: func(at sim.Time) string {
		return faults.Crash{Node: node, At: at, Downtime: length}.String()
	}}
}

// partitionAt cuts the links between a and b (node sets as --partition
// reads them) for length.
func partitionAt(a, b string, length sim.Duration, example sim.Time, span Span) Timed {
	return Timed{Flag: "partition", Example: example, Span: span, value: func(at sim.Time) string {
		return a + "|" + b + "@" + time.Duration(at).String() + ".." + time.Duration(at.Add(length)).String()
	}}
}

// edgeWorld is the world every edge case starts from: one client with one
// payment, so that each case is the one fault it names, and latencies
// spread narrowly around their medians (5ms between clients and servers,
// 1ms of server work), so that each schedule orders the steps of
// concurrent requests its own way.
var edgeWorld = []string{"--servers", "1", "--clients", "1", "--ops", "1", "--think", "const:0",
	"--delay", "lognormal:5ms,0.2", "--service-time", "lognormal:1ms,0.2"}

// EdgeCases lists the edge cases in the table's order.
func EdgeCases() []EdgeCase {
	cases := []EdgeCase{
		{Name: "retry after success", About: "the first response is lost after the server finished; the client retries with the key",
			Args: []string{"--fault", "drop-response c1/o1.1/a1"}},
		{Name: "network duplicate", About: "the network delivers the first request twice",
			Args: []string{"--fault", "duplicate-request c1/o1.1/a1"}},
		{Name: "retry after failure", About: "the database is unreachable for 50ms from a moment of the first attempt, before the request reaches the server or between two of its steps; the attempt fails if it needs the database then, and the client retries",
			Timed: []Timed{partitionAt("servers", "db", 50*time.Millisecond, 0, InFirstAttempt)}},
		{Name: "retry while in progress", About: "the first request's server freezes for 2s at a moment of the request; the client times out and retries on the other server",
			Args:  []string{"--servers", "2"},
			Timed: []Timed{pauseAt("s1", 2*time.Second, sim.Time(6500*time.Microsecond), InFirstAttempt)}},
		{Name: "in progress, then it fails", About: "the first request's server crashes (down 3s) at a moment of the request; the client's retry lands on the other server",
			Args:  []string{"--servers", "2"},
			Timed: []Timed{crashAt("s1", 3*time.Second, sim.Time(6500*time.Microsecond), InFirstAttempt)}},
		{Name: "two first requests", About: "two workers send the same payment at once to two servers",
			Args: []string{"--servers", "2", "--clients", "2", "--workers-per-op", "2"}},
		{Name: "crash after the charge", About: "the server charges the card and crashes before recording anything; the client retries",
			Args: []string{"--work", "charge", "--crash-at", "s1:after-charge"}},
		{Name: "lease shorter than the work", About: "the first request's server freezes for 100s, longer than a 90s lease, at a moment of the request; the client keeps retrying on the other server",
			Args:  []string{"--servers", "2", "--attempts", "40", "--backoff-cap", "10s", "--deadline", "1h"},
			Timed: []Timed{pauseAt("s1", 100*time.Second, sim.Time(6500*time.Microsecond), InFirstAttempt)}},
		{Name: "store loses its data", About: "the first response is lost, and the store restarts empty at a moment before the retry, during the first request or while the client waits",
			Args:  []string{"--fault", "drop-response c1/o1.1/a1"},
			Timed: []Timed{crashAt("kv", 100*time.Millisecond, sim.Time(500*time.Millisecond), BeforeRetry)}},
		{Name: "retry after the window", About: "the first response is lost and the client retries 30 hours later, past a 24-hour retention and its reaper's next sweep",
			Args: []string{"--fault", "drop-response c1/o1.1/a1", "--timeout", "30h", "--deadline", "100h"},
			// 30 hours of a background worker polling its queue are a
			// quarter of a million events a run (async-202), four fifths
			// of the whole table's cost at 200 schedules; the retry comes
			// a day after anything the latencies could reorder.
			Schedules: 40},
	}
	for _, mode := range []string{"idempotent", "window:30s", "none"} {
		cases = append(cases, EdgeCase{Name: "gateway timeout, " + mode,
			About: "the gateway charges and its answer is lost (gateway mode " + mode + "); the client retries",
			Args:  []string{"--work", "charge", "--gateway", mode, "--fault", "gateway-timeout c1/o1.1/a1/gateway1"}})
	}
	return cases
}

// EdgeWorld is the world every edge case starts from; a case's flags
// change it.
func EdgeWorld() []string { return append([]string{}, edgeWorld...) }

// Flags is the case's flags with its timed faults at moments (one per
// fault, in order).
func (c EdgeCase) Flags(moments []sim.Time) []string {
	out := append([]string{}, c.Args...)
	for i, t := range c.Timed {
		out = append(out, "--"+t.Flag, t.Value(moments[i]))
	}
	return out
}

// Example is the case's flags with its timed faults at their example
// moments: the command the legend shows.
func (c EdgeCase) Example() []string {
	moments := make([]sim.Time, len(c.Timed))
	for i, t := range c.Timed {
		moments[i] = t.Example
	}
	return c.Flags(moments)
}

// scheduleStream keys the moments' generator, apart from the world's own
// streams, which are keyed by the same seed.
const scheduleStream = 0xed6e

// Draw picks, from seed, the moment of each of the case's timed faults.
// pilot is the same schedule run without them (the case's Args, the same
// seed, its trace kept): until a fault strikes, the run with it is the
// same run, so a moment drawn between two events of the pilot's request
// lands between those two steps. The steps of the fault's span (see Steps)
// are equally likely, and the moment is uniform within the one drawn, so a
// short step is hit as often as a long wait.
func (c EdgeCase) Draw(seed uint64, pilot *world.Result) []sim.Time {
	rng := rand.New(rand.NewPCG(seed, scheduleStream))
	moments := make([]sim.Time, len(c.Timed))
	for i, t := range c.Timed {
		steps := t.Span.Steps(pilot)
		if len(steps) < 2 {
			// No request to aim at (the pilot never sent one): the
			// example moment is as good as any.
			moments[i] = t.Example
			continue
		}
		g := rng.IntN(len(steps) - 1)
		moments[i] = steps[g] + sim.Time(rng.Int64N(int64(steps[g+1]-steps[g])))
	}
	return moments
}

// edgeOp is the operation every case is about: client c1's first.
var edgeOp = api.OpID{Queue: 1, Index: 1}

// Steps is the moments at which the timeline of the case's operation
// moves on within the span, in pilot (which must keep its trace): the
// first attempt's sending, each distinct instant of an event of the
// operation after it, and the span's end. Nil when the pilot holds no
// first attempt.
func (s Span) Steps(pilot *world.Result) []sim.Time {
	var first, second *world.Attempt
	for i := range pilot.History {
		a := &pilot.History[i]
		if a.Client != "c1" || a.Op != edgeOp {
			continue
		}
		switch a.N {
		case 1:
			first = a
		case 2:
			second = a
		}
	}
	if first == nil {
		return nil
	}
	from, to := first.Call, first.Return
	events := pilot.Events(&edgeOp)
	switch s {
	case InFirstAttempt:
		for _, ev := range events {
			if ev.Kind == world.EventAnswer && ev.Op == edgeOp && ev.Attempt == 1 {
				to = ev.At
				break
			}
		}
	case BeforeRetry:
		if second != nil {
			to = second.Call
		}
	}
	steps := []sim.Time{from}
	for _, ev := range events {
		if ev.Op == edgeOp && ev.At > steps[len(steps)-1] && ev.At < to {
			steps = append(steps, ev.At)
		}
	}
	if to > steps[len(steps)-1] {
		steps = append(steps, to)
	}
	return steps
}
