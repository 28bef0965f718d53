package live

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// Client crashes, as sim/world/client.go's crash does them: the client's
// process dies at the scheduled moment, the attempt it was waiting on is
// abandoned (its connection closed, no response read) and recorded as
// interrupted, and after the downtime the process starts again on the
// operation it was on, which world.Restart says how to take up.
//
// The client's goroutine and the crash's timer race; a lock orders them,
// so that a crash either comes before an answer is recorded or an
// operation concluded, or after, never in the middle: whatever the life a
// crash ended tries to record afterwards is dropped, as the simulated
// client's killed process records nothing more.

// life is what a client process's crashes change, under its lock.
type life struct {
	mu       sync.Mutex
	n        int // the life's number: one more at each crash
	ctx      context.Context
	cancel   context.CancelFunc
	down     bool
	restart  sim.Time // when a down process comes back
	next     int      // the operation being worked on (durable: the queue's position)
	finished bool     // every operation concluded
	inflight *world.Attempt
}

// begin starts the first life, under parent.
func (l *life) begin(parent context.Context) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ctx, l.cancel = context.WithCancel(parent)
}

// current is the life running now: its context and number.
func (l *life) current() (context.Context, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ctx, l.n
}

// on is the operation life n is on, and false when n is over or every one
// of the ops operations concluded.
func (l *life) on(n, ops int) (int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.next, l.n == n && l.next < ops
}

// await counts a as sent (sent) and marks it as the attempt waiting for
// its answer, unless life n is over (false).
func (l *life) await(n int, a world.Attempt, sent func()) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n != n {
		return false
	}
	sent()
	l.inflight = &a
	return true
}

// answered records the answer to the attempt in flight (record) unless
// life n is over, and reports whether it was not.
func (l *life) answered(n int, record func()) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n != n {
		return false
	}
	l.inflight = nil
	record()
	return true
}

// conclude records the conclusion of the operation life n is on (record)
// and moves to the next of the ops operations, unless n is over.
func (l *life) conclude(n, ops int, record func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n != n {
		return
	}
	record()
	l.next++
	l.finished = l.next == ops
}

// crash kills the client's process for downtime, unless it is down or
// has finished (as the simulated client's crash does nothing then).
func (c *client) crash(downtime time.Duration) {
	l := &c.life
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.down || l.finished || l.ctx == nil {
		return
	}
	at := c.r.now()
	l.n++
	l.down, l.restart = true, at.Add(downtime)
	if a := l.inflight; a != nil {
		// The request may have been served; its answer is never read.
		a.Return, a.TimedOut, a.Interrupted = at, true, true
		c.h.add(*a)
		l.inflight = nil
	}
	l.cancel()
	c.r.record(faults.Fault{Kind: faults.ClientCrashFault, At: at, Crash: faults.Crash{Node: c.work.Name, At: at, Downtime: downtime}})
	c.r.logf("crash     client %s down for %v", c.work.Name, downtime)
}

// comeBack is what the client's goroutine does once a life has ended:
// nothing more (false) when the operations are over or the run ends;
// after a crash, wait out the downtime, take up the operation the client
// was on as world.Restart says (resuming: without its think time; under
// a new key when it regenerates keys), and start the next life.
func (c *client) comeBack(ctx context.Context, outs []world.Outcome) (resuming, ok bool) {
	l := &c.life
	l.mu.Lock()
	down, restart, next := l.down, l.restart, l.next
	l.mu.Unlock()
	if !down || ctx.Err() != nil {
		return false, false
	}
	if !sleep(ctx, time.Duration(restart-c.r.now())) {
		return false, false
	}
	out := &outs[next]
	resuming, newKey := world.Restart(&c.r.w.Client, out.Attempts > 0)
	if newKey && c.work.Ops[next].Kind != api.Delete {
		c.addKey(out)
	}
	l.mu.Lock()
	l.down = false
	l.ctx, l.cancel = context.WithCancel(ctx)
	l.mu.Unlock()
	return resuming, true
}

// scheduleClientCrashes arms the world's client crashes, listed, replayed
// and random (a Poisson process on a stream of its own), over clients.
func (r *runner) scheduleClientCrashes(ctx context.Context, clients []*client) {
	p := &r.w.Faults
	list := append([]faults.Crash{}, p.ClientCrashes...)
	for _, f := range p.Replay {
		if f.Kind == faults.ClientCrashFault && !slices.Contains(list, f.Crash) {
			list = append(list, f.Crash)
		}
	}
	ch := sim.NewSeeded(r.w.Seed ^ 0x636c6e74) // "clnt": the choices of "any" and the random crashes
	var mu sync.Mutex                          // the stream is drawn from the timers' goroutines
	pick := func(node string) *client {
		if node != "any" {
			n, _ := strconv.Atoi(node[1:])
			return clients[n-1]
		}
		mu.Lock()
		defer mu.Unlock()
		return clients[ch.Pick(sim.StreamFaults, len(clients))]
	}
	for _, cr := range list {
		r.at(ctx, time.Duration(cr.At), func() { pick(cr.Node).crash(cr.Downtime) })
	}
	if p.ClientCrashEvery <= 0 || p.Replay != nil {
		return
	}
	go func() {
		for {
			mu.Lock()
			wait := time.Duration(sim.Exp(p.ClientCrashEvery).Sample(ch, sim.StreamFaults))
			mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			pick("any").crash(p.Downtime)
		}
	}()
}
