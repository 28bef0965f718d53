package sim_test

import (
	"testing"
	"time"

	"github.com/idemsim/idemsim/sim"
)

// The physical limits: the kernel's queue and hand-off primitive with no
// simulation around them. Run: make bench (go test -bench . -cpu 1 ./sim ./experiments).

func BenchmarkBareQueue(b *testing.B) {
	for b.Loop() {
		sim.BareQueue(100_000, 1000)
	}
	b.ReportMetric(float64(b.N)*100_000/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkBareHandoff(b *testing.B) {
	for b.Loop() {
		sim.BareHandoff(1000)
	}
	b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "handoffs/s")
}

// timer re-arms itself every period: a plain timer event with no actor.
type timer struct {
	k      *sim.Kernel
	period time.Duration
}

func (t *timer) Fire() { t.k.After(t.period, t) }

// BenchmarkTimerEvents: 1000 self-re-arming timers with distinct periods,
// the kernel's event loop with no actor hand-off.
func BenchmarkTimerEvents(b *testing.B) {
	const timers, perIteration = 1000, 100_000
	var events uint64
	for b.Loop() {
		k := sim.New(sim.NewSeeded(1))
		k.SetMaxEvents(perIteration)
		for i := 0; i < timers; i++ {
			k.After(0, &timer{k: k, period: time.Duration(1000+i*7) * time.Microsecond})
		}
		k.Run(sim.Time(time.Hour * 1000))
		events += k.Stats().Events
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkActorHandoffs: 100 actors sleeping in a loop; each wake is one
// hand-off into the actor and back.
func BenchmarkActorHandoffs(b *testing.B) {
	const actors, perIteration = 100, 100_000
	var handoffs uint64
	for b.Loop() {
		k := sim.New(sim.NewSeeded(1))
		k.SetMaxEvents(perIteration)
		for i := 0; i < actors; i++ {
			period := time.Duration(1000+i*13) * time.Microsecond
			k.Spawn("sleeper", func(p *sim.Proc) {
				for {
					p.Sleep(period)
				}
			})
		}
		k.Run(sim.Time(time.Hour * 1000))
		handoffs += k.Stats().Handoffs
		k.Close()
	}
	b.ReportMetric(float64(handoffs)/b.Elapsed().Seconds(), "handoffs/s")
}
