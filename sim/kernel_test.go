package sim_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/sim"
)

// fixedChooser always picks the first alternative, so tie order is the
// kernel's own and tests can predict it; it records every Pick.
type fixedChooser struct {
	sim.Chooser
	picks []int
}

func (c *fixedChooser) Pick(s sim.Stream, n int) int {
	c.picks = append(c.picks, n)
	return 0
}

func newKernel() *sim.Kernel { return sim.New(sim.NewSeeded(1)) }

// Goal: events fire in virtual-time order whatever order they were scheduled
// in. Method: schedule timers at shuffled times and record when each fires.
func TestEventsFireInTimeOrder(t *testing.T) {
	k := newKernel()
	var fired []sim.Time
	for _, ms := range []int{50, 10, 40, 20, 30, 0} {
		k.At(sim.Time(time.Duration(ms)*time.Millisecond), sim.Func(func() { fired = append(fired, k.Now()) }))
	}
	require.Equal(t, sim.Quiescent, k.Run(sim.Time(time.Hour)), "go test ./sim -run TestEventsFireInTimeOrder")
	assert.IsIncreasing(t, fired, "go test ./sim -run TestEventsFireInTimeOrder")
	assert.Len(t, fired, 6)
}

// Goal: virtual time jumps — a 24-hour wait costs two events, not a day.
// Method: an actor sleeps 24h; count events and check the clock.
func TestLongSleepCostsNothing(t *testing.T) {
	k := newKernel()
	var woke sim.Time
	k.Spawn("sleeper", func(p *sim.Proc) {
		p.Sleep(24 * time.Hour)
		woke = k.Now()
	})
	k.Run(sim.Time(48 * time.Hour))
	assert.Equal(t, sim.Time(24*time.Hour), woke, "go test ./sim -run TestLongSleepCostsNothing")
	assert.Equal(t, uint64(2), k.Stats().Events, "start + wake; go test ./sim -run TestLongSleepCostsNothing")
	k.Close()
}

// Goal: WaitFor ends with a wake or with its timeout, whichever comes first,
// and the loser has no effect. Method: two waiters, one woken early, one not.
func TestWaitForWakeOrTimeout(t *testing.T) {
	k := newKernel()
	var early, late *sim.Proc
	var earlyWoken, lateWoken bool
	var earlyAt, lateAt sim.Time
	early = k.Spawn("early", func(p *sim.Proc) {
		earlyWoken = p.WaitFor(time.Second)
		earlyAt = k.Now()
		p.Sleep(5 * time.Second) // a stale timeout at 1s must not end this sleep
		earlyAt = k.Now()
	})
	late = k.Spawn("late", func(p *sim.Proc) {
		lateWoken = p.WaitFor(time.Second)
		lateAt = k.Now()
	})
	k.At(sim.Time(100*time.Millisecond), sim.Func(func() { k.Wake(early) }))
	k.At(sim.Time(2*time.Second), sim.Func(func() { k.Wake(late) })) // too late: no effect
	k.Run(sim.Time(time.Hour))
	const cmd = "go test ./sim -run TestWaitForWakeOrTimeout"
	assert.True(t, earlyWoken, cmd)
	assert.Equal(t, sim.Time(5100*time.Millisecond), earlyAt, cmd)
	assert.False(t, lateWoken, cmd)
	assert.Equal(t, sim.Time(time.Second), lateAt, cmd)
	k.Close()
}

// Goal: a killed actor never runs again, its pending timers are void, and a
// blocking call in its deferred code cannot touch the world (a crash skips
// the cleanup). Method: kill a sleeping actor whose defer tries to sleep and
// set a flag afterwards.
func TestKillParkedActor(t *testing.T) {
	k := newKernel()
	var resumed, cleanupRan, cleanupFinished bool
	victim := k.Spawn("victim", func(p *sim.Proc) {
		defer func() {
			cleanupRan = true
			p.Sleep(time.Millisecond) // panics: the actor is dead
			cleanupFinished = true
		}()
		p.Sleep(time.Second)
		resumed = true
	})
	k.At(sim.Time(500*time.Millisecond), sim.Func(func() { k.Kill(victim) }))
	k.Run(sim.Time(time.Hour))
	const cmd = "go test ./sim -run TestKillParkedActor"
	assert.False(t, resumed, cmd)
	assert.True(t, cleanupRan, cmd)
	assert.False(t, cleanupFinished, cmd)
	assert.True(t, victim.Dead(), cmd)
	k.Close()
}

// Goal: an actor can kill another actor and itself. Method: a killer kills a
// sleeper, then itself; nothing after either kill runs.
func TestKillFromActorAndSelf(t *testing.T) {
	k := newKernel()
	var after []string
	sleeper := k.Spawn("sleeper", func(p *sim.Proc) {
		p.Sleep(time.Second)
		after = append(after, "sleeper")
	})
	k.Spawn("killer", func(p *sim.Proc) {
		p.Sleep(time.Millisecond)
		k.Kill(sleeper)
		after = append(after, "killer-before-self")
		k.Kill(p)
		after = append(after, "killer-after-self")
	})
	k.Run(sim.Time(time.Hour))
	assert.Equal(t, []string{"killer-before-self"}, after, "go test ./sim -run TestKillFromActorAndSelf")
	k.Close()
}

// Goal: Cond wakes waiters on Broadcast and Signal, and a timed-out waiter
// is not woken by a later Broadcast. Method: three waiters, one with a short
// timeout, then a signal and a broadcast.
func TestCond(t *testing.T) {
	k := newKernel()
	var c sim.Cond
	got := map[string]sim.Time{}
	k.Spawn("a", func(p *sim.Proc) { c.Wait(p); got["a"] = k.Now() })
	k.Spawn("b", func(p *sim.Proc) { c.Wait(p); got["b"] = k.Now() })
	k.Spawn("t", func(p *sim.Proc) {
		if !c.WaitFor(p, 10*time.Millisecond) {
			p.Sleep(time.Hour) // a broadcast must not cut this short
		}
		got["t"] = k.Now()
	})
	k.At(sim.Time(time.Second), sim.Func(func() { c.Signal(k) }))
	k.At(sim.Time(2*time.Second), sim.Func(func() { c.Broadcast(k) }))
	k.Run(sim.Time(2 * time.Hour))
	const cmd = "go test ./sim -run TestCond"
	assert.Equal(t, sim.Time(time.Second), got["a"], cmd)
	assert.Equal(t, sim.Time(2*time.Second), got["b"], cmd)
	assert.Equal(t, sim.Time(10*time.Millisecond+time.Hour), got["t"], cmd)
	assert.Equal(t, 0, c.Len(), cmd)
	k.Close()
}

// Goal: a run stops at its virtual deadline or its event bound, and says
// which. Method: a ticker that never stops.
func TestDeadlineAndEventLimit(t *testing.T) {
	const cmd = "go test ./sim -run TestDeadlineAndEventLimit"
	tick := func(k *sim.Kernel) {
		k.Spawn("ticker", func(p *sim.Proc) {
			for {
				p.Sleep(time.Second)
			}
		})
	}
	k := newKernel()
	tick(k)
	assert.Equal(t, sim.Deadline, k.Run(sim.Time(10*time.Second+time.Millisecond)), cmd)
	assert.Equal(t, sim.Time(10*time.Second+time.Millisecond), k.Now(), cmd)
	k.Close()

	k = newKernel()
	k.SetMaxEvents(5)
	tick(k)
	assert.Equal(t, sim.EventLimit, k.Run(sim.Time(time.Hour)), cmd)
	assert.Equal(t, uint64(5), k.Stats().Events, cmd)
	k.Close()
}

// Goal: the order of events due at the same instant is the chooser's
// decision, so an enumerator can explore it. Method: three timers at the same
// time under a chooser that records Pick calls; then under seeded choosers,
// several orders appear across seeds.
func TestTiesGoThroughChooser(t *testing.T) {
	const cmd = "go test ./sim -run TestTiesGoThroughChooser"
	run := func(c sim.Chooser) string {
		k := sim.New(c)
		var order string
		for _, name := range []string{"a", "b", "c"} {
			k.At(sim.Time(time.Second), sim.Func(func() { order += name }))
		}
		k.Run(sim.Time(time.Hour))
		return order
	}
	fc := &fixedChooser{Chooser: sim.NewSeeded(1)}
	order := run(fc)
	assert.Equal(t, []int{3, 2}, fc.picks, cmd)
	assert.Len(t, order, 3, cmd)
	orders := map[string]bool{}
	for seed := uint64(0); seed < 64; seed++ {
		orders[run(sim.NewSeeded(seed))] = true
	}
	assert.Len(t, orders, 6, "all 3! orders appear over 64 seeds; "+cmd)
}

// Goal: a panic inside an actor surfaces with the actor's name and the
// virtual time, not as a silent hang. Method: an actor panics after 1s.
func TestActorPanicNamesActorAndTime(t *testing.T) {
	k := newKernel()
	k.Spawn("doomed", func(p *sim.Proc) {
		p.Sleep(time.Second)
		panic("boom")
	})
	defer k.Close()
	defer func() {
		r := recover()
		require.NotNil(t, r, "go test ./sim -run TestActorPanicNamesActorAndTime")
		msg := fmt.Sprint(r)
		assert.Contains(t, msg, "doomed")
		assert.Contains(t, msg, "1.000000s")
		assert.Contains(t, msg, "boom")
	}()
	k.Run(sim.Time(time.Hour))
}

// Goal: streams are independent — extra draws on one stream do not shift
// another (pebble's per-fault PRNGs). Method: draw from faults with and
// without interleaved network draws.
func TestStreamsAreIndependent(t *testing.T) {
	a, b := sim.NewSeeded(9), sim.NewSeeded(9)
	for i := 0; i < 100; i++ {
		b.Bits(sim.StreamNetwork)
		require.Equal(t, a.Bits(sim.StreamFaults), b.Bits(sim.StreamFaults), "go test ./sim -run TestStreamsAreIndependent")
	}
	assert.NotEqual(t, sim.NewSeeded(9).Bits(sim.StreamFaults), sim.NewSeeded(10).Bits(sim.StreamFaults))
	assert.NotEqual(t, sim.NewSeeded(9).Bits(sim.StreamFaults), sim.NewSeeded(9).Bits(sim.StreamNetwork))
}

// Goal: the trace hash changes with any field or the order of records and is
// stable otherwise. Method: hash variants of the same records.
func TestTraceHash(t *testing.T) {
	h := func(recs ...sim.Record) uint64 {
		tr := sim.NewTrace(false)
		for _, r := range recs {
			tr.Add(r)
		}
		return tr.Hash()
	}
	r1 := sim.Record{At: 1, Kind: 2, A: 3, B: 4, C: 5, D: 6, E: 7, F: 8}
	r2 := sim.Record{At: 2, Kind: 2}
	const cmd = "go test ./sim -run TestTraceHash"
	assert.Equal(t, h(r1, r2), h(r1, r2), cmd)
	assert.NotEqual(t, h(r1, r2), h(r2, r1), cmd)
	assert.NotEqual(t, h(r1), h(r1, r1), cmd)
	for i := 0; i < 8; i++ {
		m := r1
		switch i {
		case 0:
			m.At++
		case 1:
			m.Kind++
		case 2:
			m.A++
		case 3:
			m.B++
		case 4:
			m.C++
		case 5:
			m.D++
		case 6:
			m.E++
		case 7:
			m.F++
		}
		assert.NotEqual(t, h(r1), h(m), "field %d; %s", i, cmd)
	}
}

// Goal: Time prints as seconds with microseconds, the trace's first column.
func TestTimeString(t *testing.T) {
	for _, tc := range []struct {
		t    sim.Time
		want string
	}{
		{0, "0.000000s"},
		{sim.Time(1500 * time.Microsecond), "0.001500s"},
		{sim.Time(90*time.Second + 7*time.Microsecond), "90.000007s"},
		{-sim.Time(time.Second), "-1.000000s"},
	} {
		assert.Equal(t, tc.want, tc.t.String(), "go test ./sim -run TestTimeString")
	}
}

// Goal: when a Wake and a WaitFor's timeout fall on the same instant, the
// waiter's answer agrees with whichever ran first: a wake accepted before the
// waiter resumed counts as a wake even if the timer event is picked next (a
// response that lands exactly at the deadline is delivered, not lost).
// Method: over many seeds, wake at exactly the timeout; both orders appear.
func TestWakeAtTimeoutInstant(t *testing.T) {
	orders := map[bool]int{}
	for seed := uint64(0); seed < 200; seed++ {
		k := sim.New(sim.NewSeeded(seed))
		var woken, resumed, wakeFirst bool
		waiter := k.Spawn("waiter", func(p *sim.Proc) {
			woken = p.WaitFor(time.Second)
			resumed = true
		})
		k.At(sim.Time(time.Second), sim.Func(func() {
			wakeFirst = !resumed
			k.Wake(waiter)
		}))
		k.Run(sim.Time(time.Hour))
		k.Close()
		require.Equal(t, wakeFirst, woken, "seed %d; go test ./sim -run TestWakeAtTimeoutInstant", seed)
		orders[wakeFirst]++
	}
	assert.Len(t, orders, 2, "both orders occur; go test ./sim -run TestWakeAtTimeoutInstant")
}

// Goal: a paused group runs nothing until the pause ends; what its actors
// were due to do happens at the thaw (in an order the chooser picks, as for
// any events due at one instant), a wake sent during the pause ends a wait
// at the thaw, and actors outside the group run on.
// Method: two actors in a group (a sleeper and a waiter woken at 150ms), one
// outside; the group pauses from 100ms to 300ms.
func TestGroupPause(t *testing.T) {
	const cmd = "go test ./sim -run TestGroupPause"
	k := newKernel()
	g := &sim.Group{}
	var log []string
	note := func(what string) { log = append(log, fmt.Sprintf("%v %s", k.Now(), what)) }
	k.SpawnIn(g, "sleeper", func(p *sim.Proc) {
		p.Sleep(120 * time.Millisecond)
		note("sleeper wakes")
		p.Sleep(10 * time.Millisecond)
		note("sleeper again")
	})
	waiter := k.SpawnIn(g, "waiter", func(p *sim.Proc) {
		woken := p.WaitFor(time.Second)
		note(fmt.Sprintf("waiter woken=%v", woken))
	})
	k.Spawn("outside", func(p *sim.Proc) {
		p.Sleep(200 * time.Millisecond)
		note("outside runs during the pause")
	})
	k.At(sim.Time(100*time.Millisecond), sim.Func(func() { g.Pause(sim.Time(300 * time.Millisecond)) }))
	k.At(sim.Time(150*time.Millisecond), sim.Func(func() { k.Wake(waiter) }))
	require.Equal(t, sim.Quiescent, k.Run(sim.Time(time.Hour)), cmd)
	require.Len(t, log, 4, cmd)
	assert.Equal(t, "0.200000s outside runs during the pause", log[0], cmd)
	assert.ElementsMatch(t, []string{"0.300000s sleeper wakes", "0.300000s waiter woken=true"}, log[1:3], cmd)
	assert.Equal(t, "0.310000s sleeper again", log[3], cmd)
	assert.False(t, g.Paused(sim.Time(300*time.Millisecond)), cmd)
}

// Goal: Stop ends a run before its next event, so a run whose actors would
// poll forever can end when its goal is met. Method: an actor that sleeps
// in a loop, stopped from a timer at 1s.
func TestStop(t *testing.T) {
	const cmd = "go test ./sim -run TestStop"
	k := newKernel()
	k.Spawn("poller", func(p *sim.Proc) {
		for {
			p.Sleep(100 * time.Millisecond)
		}
	})
	k.At(sim.Time(time.Second), sim.Func(k.Stop))
	assert.Equal(t, sim.Stopped, k.Run(sim.Time(time.Hour)), cmd)
	assert.Equal(t, sim.Time(time.Second), k.Now(), cmd)
	k.Close()
}
