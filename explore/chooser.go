// Package explore searches every choice a small world can make within
// bounds, instead of sampling them from a seed: which of its messages and
// calls a fault hits (at most K of them) and which of its latency draws
// leave the median for an early, late or past-the-timeout value (at most
// D). It runs the world again from the start for each schedule (stateless
// search: a run's coroutines cannot be copied), replaying a prefix of
// decisions and taking the default at every choice point past it, and
// deepens the budgets one step at a time so that the first violation it
// finds has the fewest faults, then the fewest delays.
//
// The faults that need a moment rather than a message (crash, pause,
// store restart) are made discrete by the world's steps: a handler about
// to make a service call or to answer, a command reaching the store
// (timed.go). Past the bounds, PCT samples schedules at random (pct.go).
//
// The order of events due at the same instant is a third kind of choice
// point (TiePoint); a search explores every order (TiesAll), or one per
// class of equivalent orders by dynamic partial-order reduction (TiesDPOR,
// dpor.go), or keeps the kernel's (TiesNone).
package explore

import (
	"math"
	"slices"

	"github.com/idemsim/idemsim/sim"
)

// PointKind is what a choice point decides.
type PointKind uint8

// The kinds of choice point.
const (
	// FaultPoint: whether a fault of the menu hits a message or call.
	FaultPoint PointKind = iota
	// DelayPoint: which class of value a latency draw takes.
	DelayPoint
	// TiePoint: which of the live events due at one instant runs first.
	TiePoint
)

// Point is one choice point a run met: its kind, the menu's fault kind (a
// FaultPoint) or the latency stream (a DelayPoint), and how many
// alternatives the budget left it.
type Point struct {
	Kind   PointKind
	Fault  Fault
	Stream sim.Stream
	Alts   int
}

// Class is the value a latency draw takes at a delay point.
type Class uint8

// The delay classes, in the order a search tries them (Median, the
// default, first).
const (
	Median Class = iota
	Early
	Late
	PastTimeout
	numClasses
)

var classNames = [numClasses]string{"median", "early", "late", "past-timeout"}

func (c Class) String() string { return classNames[c] }

// The quantiles of the classes that do not depend on the distribution: the
// median, and the 1% and 99% tails (a lognormal link of median 5ms and
// shape 0.5 then draws 1.6ms and 16ms).
const (
	medianQ = 0.5
	earlyQ  = 0.01
	lateQ   = 0.99
)

// faultStreams are the streams a fault decision is drawn from; a flip on
// any other stream is not a fault point.
func faultStream(s sim.Stream) bool {
	switch s {
	case sim.StreamFaults, sim.StreamDBFaults, sim.StreamKVFaults, sim.StreamGatewayFaults, sim.StreamQueueFaults, sim.StreamCrashPoints:
		return true
	}
	return false
}

// latencyStream reports whether a quantile drawn from s is a latency (a
// link's, a server's service time, a service's own time): those are the
// delay points. Client jitter and think time are not explored.
func latencyStream(s sim.Stream) bool {
	switch s {
	case sim.StreamNetwork, sim.StreamService, sim.StreamDB, sim.StreamKV, sim.StreamGateway, sim.StreamQueue:
		return true
	}
	return false
}

// chooser is the enumerating sim.Chooser of one run: the first
// len(prefix) choice points take the alternative the prefix names, every
// later one its default (no fault, the median), and each point met is
// recorded with the alternatives its budget left. Every other draw (the
// workload, jitter, a balancer's pick) comes from the seed's streams.
// Same-instant ties are choice points too unless mode is TiesNone.
type chooser struct {
	base   *sim.Seeded
	menu   *Menu
	prefix []int
	// timeoutQ is the quantile past the caller's timeout on each latency
	// stream, or 0 where the stream's distribution cannot reach it.
	timeoutQ *[numStreams]float64

	faultsLeft, delaysLeft int
	points                 []Point
	taken                  []int
	// latency counts the draws on latency streams, the trail's index.
	latency int
	trail   []Delay
	ties    int // same-instant ties met (the trail's index of ties)
	// probe, for Knuth's estimate, picks the alternative of every point
	// past the prefix instead of the default.
	probe func(alts int) int

	mode     TieMode
	tieTrail []TieChoice
	live     []int // scratch: the indices of a tie's live events
	// dpor is the state of a run of a TiesDPOR search; nil otherwise.
	dpor *dporRun
}

// dporRun is what a DPOR chooser keeps during a run: the recorder, the
// search's nodes of the path it replays (by point index; nil for fault
// and delay points), the nodes of tie points past them that it creates,
// and the sleep set at the present moment.
type dporRun struct {
	rec   recorder
	stack []*node
	nodes []*node // by point index, from len(stack)
	sleep []sleeper
	// settled is how many events of the log the sleep set has seen.
	settled int
	// blocked: a tie point found every live event asleep; the run is
	// redundant and nothing after it is a choice point. blockedAt is how
	// many events had run then.
	blocked   bool
	blockedAt int
	// streams are the resources of the seeded streams.
	streams *[numStreams]uint64
}

// dporChooser is the chooser of a TiesDPOR run: also a sim.Recorder, so
// that the kernel tells it what each event touches.
type dporChooser struct{ *chooser }

// Begin implements sim.Recorder.
func (c dporChooser) Begin(t sim.Tie, at sim.Time) {
	c.dpor.settle()
	c.dpor.rec.begin(t, at)
}

// Scheduled implements sim.Recorder.
func (c dporChooser) Scheduled(seq uint64) { c.dpor.rec.scheduled(seq) }

// Touch implements sim.Recorder.
func (c dporChooser) Touch(r uint64) { c.dpor.rec.touch(r) }

// settle takes the events that finished out of the sleep set: an event
// that ran wakes every sleeper it depends on (and itself).
func (d *dporRun) settle() {
	for ; d.settled < len(d.rec.events); d.settled++ {
		e := &d.rec.events[d.settled]
		d.sleep = slices.DeleteFunc(d.sleep, func(s sleeper) bool { return s.seq == e.seq || dependent(s.foot, e.foot) })
	}
}

// seedDraw notes a draw from a seeded stream: two events drawing from one
// stream swap their values when they are swapped.
func (c *chooser) seedDraw(s sim.Stream) {
	if c.dpor != nil {
		c.dpor.rec.touch(c.dpor.streams[s])
	}
}

// Delay is one latency draw the trail sets: the index of the draw among
// the run's draws on latency streams (from 0), its stream, and the
// quantile it takes.
type Delay struct {
	N      int
	Stream sim.Stream
	Q      float64
	Class  Class
}

func (c *chooser) decide(p Point) int {
	if c.dpor != nil && c.dpor.blocked {
		return 0
	}
	i := len(c.points)
	alt := 0
	if i < len(c.prefix) && c.prefix[i] < p.Alts {
		// A prefix names only alternatives the point has; a test's
		// brute force may name one it lacks, which then takes the
		// default.
		alt = c.prefix[i]
	} else if i >= len(c.prefix) && c.probe != nil {
		alt = c.probe(p.Alts)
	}
	c.points = append(c.points, p)
	c.taken = append(c.taken, alt)
	return alt
}

// Flip implements sim.Chooser.
func (c *chooser) Flip(s sim.Stream, p float64) bool {
	f, ok := c.menu.kindOf(p)
	if !faultStream(s) || !ok {
		c.seedDraw(s)
		return c.base.Flip(s, p)
	}
	alts := 1
	if c.faultsLeft > 0 {
		alts = 2
	}
	if c.decide(Point{Kind: FaultPoint, Fault: f, Stream: s, Alts: alts}) == 0 {
		return false
	}
	c.faultsLeft--
	return true
}

// Quantile implements sim.Chooser.
func (c *chooser) Quantile(s sim.Stream) float64 {
	if !latencyStream(s) {
		c.seedDraw(s)
		return c.base.Quantile(s)
	}
	n := c.latency
	c.latency++
	alts := 1
	if c.delaysLeft > 0 {
		alts = 3
		if c.timeoutQ[s] > 0 {
			alts = 4
		}
	}
	cl := Class(c.decide(Point{Kind: DelayPoint, Stream: s, Alts: alts}))
	if cl == Median {
		return medianQ
	}
	c.delaysLeft--
	q := c.quantile(s, cl)
	c.trail = append(c.trail, Delay{N: n, Stream: s, Q: q, Class: cl})
	return q
}

func (c *chooser) quantile(s sim.Stream, cl Class) float64 {
	switch cl {
	case Early:
		return earlyQ
	case Late:
		return lateQ
	case PastTimeout:
		return c.timeoutQ[s]
	}
	return medianQ
}

// Pick implements sim.Chooser: ties come to PickTie, so every pick here is
// the seed's.
func (c *chooser) Pick(s sim.Stream, n int) int {
	c.seedDraw(s)
	return c.base.Pick(s, n)
}

// PickTie implements sim.TieChooser. A tie is a choice point only when
// two or more of its events are live: a stale one resumes nothing, and
// when it comes first it is let through (it changes nothing) and the
// others are offered again. The alternatives are the live events, in
// scheduling order; the trail records the event's index among all.
func (c *chooser) PickTie(ties []sim.Tie) int {
	n := c.ties
	c.ties++
	if c.mode == TiesNone || ties[0].Stale {
		return 0
	}
	live := c.live[:0]
	for i, t := range ties {
		if !t.Stale {
			live = append(live, i)
		}
	}
	c.live = live
	if len(live) < 2 {
		return 0
	}
	var alt int
	if c.dpor == nil {
		alt = c.decide(Point{Kind: TiePoint, Alts: len(live)})
	} else if alt = c.dporPick(ties, live); alt < 0 {
		return 0
	}
	k := live[alt]
	if k != 0 {
		c.tieTrail = append(c.tieTrail, TieChoice{N: n, K: k})
	}
	return k
}

// dporPick is PickTie's choice in a DPOR run: the prefix's at a point the
// path replays, else the first live event not asleep. It returns -1 when
// the run is (or becomes) sleep-set blocked.
func (c *chooser) dporPick(ties []sim.Tie, live []int) int {
	d := c.dpor
	if d.blocked {
		return -1
	}
	d.settle()
	i := len(c.points)
	if i < len(d.stack) {
		nd := d.stack[i]
		alt := c.decide(Point{Kind: TiePoint, Alts: len(live)})
		d.sleep = nd.sleepFor(alt)
		d.rec.chosen, d.rec.chosenNode = nd.live[alt], i
		return alt
	}
	seqs := make([]uint64, len(live))
	for j, k := range live {
		seqs[j] = ties[k].Seq
	}
	alt := -1
	if i < len(c.prefix) {
		// Above a subtree's root: forced, as decide does (an alternative
		// the point lacks takes the default).
		if alt = c.prefix[i]; alt >= len(seqs) {
			alt = 0
		}
	} else {
		for j, s := range seqs {
			if !slices.ContainsFunc(d.sleep, func(z sleeper) bool { return z.seq == s }) {
				alt = j
				break
			}
		}
	}
	if alt < 0 {
		d.blocked, d.blockedAt = true, len(d.rec.events)
		return -1
	}
	nd := newNode(seqs, slices.Clone(d.sleep), alt)
	for len(d.stack)+len(d.nodes) < i {
		d.nodes = append(d.nodes, nil)
	}
	d.nodes = append(d.nodes, nd)
	c.points = append(c.points, Point{Kind: TiePoint, Alts: len(live)})
	c.taken = append(c.taken, alt)
	d.rec.chosen, d.rec.chosenNode = seqs[alt], i
	return alt
}

// Bits implements sim.Chooser.
func (c *chooser) Bits(s sim.Stream) uint64 {
	c.seedDraw(s)
	return c.base.Bits(s)
}

// pastTimeout is the smallest quantile (found by bisection) at which d
// draws more than timeout, or 0 when no quantile below 1 does: a lognormal
// whose timeout lies more than about 8 shapes above its median cannot
// express it in a float64, and the class is then left out rather than
// faked with another law.
func pastTimeout(d sim.Dist, timeout sim.Duration) float64 {
	if d.Kind == sim.DistConst || timeout <= 0 {
		return 0
	}
	hi := math.Nextafter(1, 0)
	if d.Quantile(hi) <= timeout {
		return 0
	}
	lo := medianQ
	if d.Quantile(lo) > timeout {
		return lo
	}
	for range 200 {
		mid := lo + (hi-lo)/2
		if mid == lo || mid == hi {
			break
		}
		if d.Quantile(mid) > timeout {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}
