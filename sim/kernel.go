package sim

import (
	"cmp"
	"fmt"
	"iter"
	"runtime/debug"
	"slices"
)

// Firer is a timer callback: a delivered message, a crash, a partition's end.
type Firer interface{ Fire() }

// Func adapts a plain function to Firer.
type Func func()

// Fire implements Firer.
func (f Func) Fire() { f() }

// StopReason says why Run returned: a small string, as porcupine's results.
type StopReason string

// The reasons a run stops.
const (
	Quiescent  StopReason = "quiescent"   // no event left to run
	Deadline   StopReason = "deadline"    // the next event lies past the virtual deadline
	EventLimit StopReason = "event-limit" // MaxEvents events ran
	Stopped    StopReason = "stopped"     // Stop was called
)

// Stats counts what a kernel did, for benchmarks and summaries.
type Stats struct {
	Events   uint64 // events popped, stale ones included
	Handoffs uint64 // times an actor was resumed
	Spawned  uint64 // actors created
}

// Kernel runs one simulation: it owns virtual time, the event queue and the
// actors, and makes its choices through a Chooser.
type Kernel struct {
	now   Time
	seq   uint64
	queue eventQueue // events for a later instant than they were scheduled at
	// due holds, first in first out from dueHead, the events scheduled for
	// the very instant they were scheduled at (a Wake, a Spawn, a zero
	// delay), about a third of a run's events: they skip the heap. All have
	// the same time, and seq grows, so due is in (at, seq) order, and
	// taking the earlier of its first event and the heap's top pops every
	// event in exactly the order the heap alone would.
	due       []event
	dueHead   int
	tied      []event // events due at now whose order the chooser decides
	tieOrder  []int   // scratch for pickTie
	ties      []Tie   // scratch for pickTie
	chooser   Chooser
	current   *Proc
	procs     []*Proc // every actor ever spawned, for Close
	doomed    []*Proc // killed by a running actor; stopped once it yields
	maxEvents uint64
	stats     Stats
	stopped   bool
}

// Stop makes Run return before its next event, as when a run's goal is met
// while actors would go on forever (a queue consumer polling).
func (k *Kernel) Stop() { k.stopped = true }

// DefaultMaxEvents bounds a run that never quiesces (TigerBeetle: put a limit
// on everything).
const DefaultMaxEvents = 1 << 32

// New returns a kernel at time zero drawing its choices from c.
func New(c Chooser) *Kernel {
	return &Kernel{chooser: c, maxEvents: DefaultMaxEvents, queue: make(eventQueue, 0, 256)}
}

// SetMaxEvents bounds the number of events Run may process.
func (k *Kernel) SetMaxEvents(n uint64) { k.maxEvents = n }

// Now is the current virtual time.
func (k *Kernel) Now() Time { return k.now }

// Chooser is the run's source of every nondeterministic choice.
func (k *Kernel) Chooser() Chooser { return k.chooser }

// Stats reports the counters so far.
func (k *Kernel) Stats() Stats { return k.stats }

// Current is the actor now running, or nil in kernel context (a Firer).
func (k *Kernel) Current() *Proc { return k.current }

// At schedules f to fire at time t (not before now).
func (k *Kernel) At(t Time, f Firer) {
	if t < k.now {
		panic(fmt.Sprintf("sim: event scheduled in the past: %v < now %v", t, k.now))
	}
	k.push(event{at: t, fire: f})
}

// After schedules f to fire d from now.
func (k *Kernel) After(d Duration, f Firer) { k.At(k.now.Add(d), f) }

func (k *Kernel) push(e event) {
	k.seq++
	e.seq = k.seq
	if e.at == k.now && (k.dueHead == len(k.due) || k.due[len(k.due)-1].at == e.at) {
		k.due = append(k.due, e)
		return
	}
	k.queue.push(e)
}

// peek is the earliest pending event, or nil if there is none.
func (k *Kernel) peek() *event {
	var d *event
	if k.dueHead < len(k.due) {
		d = &k.due[k.dueHead]
	}
	if len(k.queue) > 0 && (d == nil || k.queue[0].before(d)) {
		return &k.queue[0]
	}
	return d
}

// pop removes the earliest pending event into *e; there must be one. (The
// event loop passes events by pointer: they are seven words, and copying
// them at every level costs more than the due list saves.)
func (k *Kernel) pop(e *event) {
	if h := k.dueHead; h < len(k.due) && k.peek() == &k.due[h] {
		*e = k.due[h]
		k.due[h] = event{} // drop references for the collector
		k.dueHead++
		switch {
		case k.dueHead == len(k.due):
			k.due, k.dueHead = k.due[:0], 0
		case k.dueHead >= 1024 && 2*k.dueHead >= len(k.due):
			// A long instant: move the rest down rather than grow.
			n := copy(k.due, k.due[k.dueHead:])
			clear(k.due[n:])
			k.due, k.dueHead = k.due[:n], 0
		}
		return
	}
	*e = k.queue.pop()
}

// Run processes events until none is left, the next one lies after until, or
// the event limit is reached. It must be called from outside any actor.
func (k *Kernel) Run(until Time) StopReason {
	if k.current != nil {
		panic("sim: Run called from inside an actor")
	}
	for {
		if k.stopped {
			return Stopped
		}
		if len(k.tied) == 0 {
			f := k.peek()
			if f == nil {
				return Quiescent
			}
			if f.at > until {
				k.now = until
				return Deadline
			}
		}
		if k.stats.Events >= k.maxEvents {
			return EventLimit
		}
		var e event
		k.next(&e)
		k.stats.Events++
		if p := e.proc; p != nil {
			if e.token != p.token || p.state != parked {
				continue // a timeout that lost to a wake, or a killed actor: time does not move for it
			}
			if g := p.group; g != nil && g.pausedUntil > e.at {
				// A frozen process runs nothing until it thaws; what it
				// was due to do happens then.
				e.at = g.pausedUntil
				k.push(e)
				continue
			}
			k.now = e.at
			p.token++
			p.waiting = false
			// A timer due at the same instant as an accepted Wake may run
			// first; the wait still ended by the wake.
			p.woken = e.wake || p.wakePending
			p.wakePending = false
			k.resume(p)
			continue
		}
		k.now = e.at
		e.fire.Fire()
	}
}

// next pops the next event into *e. Events due at the same instant are
// gathered and the chooser picks which runs first, so an enumerator can
// explore orders.
func (k *Kernel) next(e *event) {
	if len(k.tied) == 0 {
		k.pop(e)
		if f := k.peek(); f == nil || f.at != e.at {
			return
		}
		k.tied = append(k.tied, *e)
	}
	at := k.tied[0].at
	for f := k.peek(); f != nil && f.at == at; f = k.peek() {
		k.tied = append(k.tied, event{})
		k.pop(&k.tied[len(k.tied)-1])
	}
	i, last := 0, len(k.tied)-1
	if last > 0 {
		if tc, ok := k.chooser.(TieChooser); ok {
			i = k.pickTie(tc)
		} else {
			i = k.chooser.Pick(StreamSchedule, last+1)
		}
	}
	*e = k.tied[i]
	k.tied[i] = k.tied[last]
	k.tied[last] = event{}
	k.tied = k.tied[:last]
}

// Tie is one of the events due at one instant, as a TieChooser sees it.
type Tie struct {
	// Seq is the event's place in the order events were scheduled: unique
	// in a run, and the same in every run that made the same choices
	// before it was scheduled.
	Seq uint64
	// Owner names what the event runs: the actor it resumes, an Owned
	// callback's owner, or "" for any other callback.
	Owner string
	// Stale: the event resumes nothing (a timeout that lost to a wake, or
	// an actor that was killed), so its place in the order changes nothing.
	Stale bool
}

// TieChooser is a Chooser that orders the events due at one instant
// knowing what they are, as a schedule explorer must; the kernel asks it
// instead of Pick(StreamSchedule, n).
type TieChooser interface {
	Chooser
	// PickTie returns which of ties (len(ties) > 1, in increasing Seq)
	// runs first. The others stay due and are offered again, with any
	// event the chosen one schedules for the same instant.
	PickTie(ties []Tie) int
}

// Owned is a callback that names its owner for a TieChooser: a message
// names the node it is delivered to.
type Owned interface{ Owner() string }

// pickTie asks tc which of k.tied runs first, offering them in the order
// they were scheduled, and returns the chosen event's index in k.tied.
func (k *Kernel) pickTie(tc TieChooser) int {
	order := k.tieOrder[:0]
	for i := range k.tied {
		order = append(order, i)
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(k.tied[a].seq, k.tied[b].seq) })
	ties := k.ties[:0]
	for _, i := range order {
		e := &k.tied[i]
		t := Tie{Seq: e.seq}
		switch {
		case e.proc != nil:
			t.Owner = e.proc.name
			t.Stale = e.token != e.proc.token || e.proc.state != parked
		case e.fire != nil:
			if o, ok := e.fire.(Owned); ok {
				t.Owner = o.Owner()
			}
		}
		ties = append(ties, t)
	}
	k.tieOrder, k.ties = order, ties
	c := tc.PickTie(ties)
	if c < 0 || c >= len(ties) {
		panic(fmt.Sprintf("sim: PickTie chose %d of %d events", c, len(ties)))
	}
	return order[c]
}

// Close stops every actor still parked, so that their coroutines are freed.
// The kernel must not be used afterwards.
func (k *Kernel) Close() {
	for _, p := range k.procs {
		if p.state != done {
			p.dead = true
			k.stop(p)
		}
	}
	k.procs = nil
	k.queue = nil
	k.due, k.dueHead = nil, 0
	k.tied = nil
}

type procState uint8

const (
	parked procState = iota // waiting for an event (or for its first one)
	running
	done
)

// killed is the panic that unwinds a killed actor's stack.
type killedSignal struct{}

var killed = killedSignal{}

// Proc is an actor: a straight-line Go function run as a coroutine. Its
// blocking calls (Sleep, Wait, WaitFor) park it and hand control back to the
// kernel; only the kernel resumes it.
type Proc struct {
	k       *Kernel
	name    string
	next    func() (struct{}, bool)
	stop    func()
	yield   func(struct{}) bool
	token   uint64 // names the current park; events with another token are stale
	state   procState
	dead    bool
	waiting bool // parked in Wait/WaitFor, so Wake may end the park
	woken   bool // the last park ended with Wake rather than a timer
	// wakePending: a Wake was accepted for the current park.
	wakePending bool
	failure     string
	group       *Group
}

// Group is the actors of one process, which a pause freezes together: while
// paused none of them runs, and everything they were due to do happens when
// the pause ends (in an order the chooser picks, as for any events due at
// one instant). Their locks, leases and connections stay held, as in a
// stop-the-world pause.
type Group struct {
	pausedUntil Time
}

// Pause freezes g until until (a later pause extends an earlier one).
func (g *Group) Pause(until Time) { g.pausedUntil = max(g.pausedUntil, until) }

// Paused reports whether g is frozen at now.
func (g *Group) Paused(now Time) bool { return g.pausedUntil > now }

// SpawnIn is Spawn for an actor of process g.
func (k *Kernel) SpawnIn(g *Group, name string, body func(p *Proc)) *Proc {
	p := k.Spawn(name, body)
	p.group = g
	return p
}

// Spawn creates an actor running body; it starts at the current instant, after
// the caller yields.
func (k *Kernel) Spawn(name string, body func(p *Proc)) *Proc {
	p := &Proc{k: k, name: name}
	p.next, p.stop = iter.Pull(func(yield func(struct{}) bool) {
		p.yield = yield
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(killedSignal); !ok {
					p.failure = fmt.Sprintf("sim: actor %s panicked at %v: %v\n%s", p.name, k.now, r, debug.Stack())
				}
			}
		}()
		body(p)
	})
	k.procs = append(k.procs, p)
	k.stats.Spawned++
	k.push(event{at: k.now, proc: p, token: p.token})
	return p
}

func (k *Kernel) resume(p *Proc) {
	k.current = p
	p.state = running
	_, more := p.next()
	k.current = nil
	k.stats.Handoffs++
	if !more {
		p.state = done
		if p.failure != "" {
			panic(p.failure)
		}
	}
	k.drainDoomed()
}

func (k *Kernel) drainDoomed() {
	for len(k.doomed) > 0 {
		q := k.doomed[0]
		k.doomed = k.doomed[1:]
		k.stop(q)
	}
}

func (k *Kernel) stop(p *Proc) {
	if p.state == done {
		return
	}
	prev := k.current
	k.current = p
	p.state = running
	p.stop()
	k.current = prev
	p.state = done
	if p.failure != "" {
		panic(p.failure)
	}
}

// Kill ends p at once: a parked actor never resumes and its pending wakes are
// void; an actor that kills itself unwinds now. Deferred calls in the actor
// still run, but every blocking call of a dead actor panics, so a crash skips
// the cleanup a real crash would skip.
func (k *Kernel) Kill(p *Proc) {
	if p.state == done || p.dead {
		return
	}
	p.dead = true
	p.token++
	switch {
	case p == k.current:
		panic(killed)
	case k.current != nil:
		k.doomed = append(k.doomed, p)
	default:
		k.stop(p)
		k.drainDoomed()
	}
}

// Wake ends p's current Wait or WaitFor at this instant. It does nothing if p
// is not waiting (a late or duplicate wake).
func (k *Kernel) Wake(p *Proc) {
	if !p.waiting || p.dead {
		return
	}
	p.waiting = false
	p.wakePending = true
	k.push(event{at: k.now, proc: p, token: p.token, wake: true})
}

// Name is the actor's name, as given to Spawn.
func (p *Proc) Name() string { return p.name }

// Kernel is the kernel running p.
func (p *Proc) Kernel() *Kernel { return p.k }

// Dead reports whether p was killed.
func (p *Proc) Dead() bool { return p.dead }

// Alive panics with the kill signal if p was killed; environment calls start
// with it so that a dying actor's deferred code has no effect on the world.
func (p *Proc) Alive() {
	if p.dead {
		panic(killed)
	}
}

func (p *Proc) park() {
	if p.k.current != p {
		panic(fmt.Sprintf("sim: actor %s blocked while not running", p.name))
	}
	if p.dead {
		panic(killed)
	}
	p.state = parked
	if !p.yield(struct{}{}) {
		panic(killed)
	}
}

// Sleep parks p for d of virtual time.
func (p *Proc) Sleep(d Duration) {
	if d < 0 {
		d = 0
	}
	p.k.push(event{at: p.k.now.Add(d), proc: p, token: p.token})
	p.park()
}

// Wait parks p until another actor or event calls Wake(p).
func (p *Proc) Wait() {
	p.waiting = true
	p.park()
}

// WaitFor parks p until Wake(p) or until d has passed; it reports whether it
// was woken.
func (p *Proc) WaitFor(d Duration) bool {
	p.waiting = true
	p.k.push(event{at: p.k.now.Add(d), proc: p, token: p.token})
	p.park()
	return p.woken
}

// Cond is a set of actors waiting for a condition to change.
type Cond struct {
	waiters []*Proc
}

// Wait parks p until Broadcast or Signal.
func (c *Cond) Wait(p *Proc) {
	c.waiters = append(c.waiters, p)
	p.Wait()
}

// WaitFor parks p until Broadcast or Signal or until d has passed; it reports
// whether it was woken.
func (c *Cond) WaitFor(p *Proc, d Duration) bool {
	c.waiters = append(c.waiters, p)
	if p.WaitFor(d) {
		return true
	}
	for i, q := range c.waiters {
		if q == p {
			c.waiters = append(c.waiters[:i], c.waiters[i+1:]...)
			break
		}
	}
	return false
}

// Broadcast wakes every waiter.
func (c *Cond) Broadcast(k *Kernel) {
	for _, p := range c.waiters {
		k.Wake(p)
	}
	clear(c.waiters)
	c.waiters = c.waiters[:0]
}

// Signal wakes the longest-waiting live waiter, if any.
func (c *Cond) Signal(k *Kernel) {
	for len(c.waiters) > 0 {
		p := c.waiters[0]
		c.waiters = c.waiters[1:]
		if p.waiting && !p.dead {
			k.Wake(p)
			return
		}
	}
}

// Len is the number of waiters.
func (c *Cond) Len() int { return len(c.waiters) }
