package explore

import (
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/world"
)

// The timed kinds of the menu need a moment, and a moment is infinite. The
// world makes them discrete at its steps (sim/world/step.go), the places
// where what a fault does can change:
//
//   - crash: a server crashes, down for the plan's downtime as a timed
//     crash is, at a step of one of its handlers: as the handler is about
//     to make a service call, or to answer, having made N calls (N = 0:
//     before its first call). Between two steps the handler touches
//     nothing outside its process, so a crash anywhere between them ends
//     the same way.
//   - pause: the server freezes at the same steps, for pauseLength, which
//     outlasts the client's attempt: the client gives up on it and tries
//     again elsewhere while the frozen process keeps its connections,
//     locks and leases, and resumes where it stopped.
//   - store-restart: the store restarts (its keys lost, down for the
//     plan's downtime) as one of the requests' commands reaches it.
//
// Background workers' steps and commands are left out: a worker polls for
// as long as the run lasts, and each poll would be a choice point.
//
// A fault that fires is logged anchored to its step (faults.Fault.Anchor:
// "crash s1@1.2s+1s in=c1/o1.1/a1 after=2", "crash kv@1.2s+1s
// before=c1/o1.1/a1/kv2"), and a replayed list fires it at that step, not
// at its moment, so that the counterexample replays to the same trace
// whatever else happened at that instant.

// pauseLength is how long a pause freezes its server: twice the client's
// attempt timeout, so that the attempt the paused handler serves has
// timed out (and its retry been sent) before the server runs again, with
// room for the retry's own attempt.
func pauseLength(cfg *world.Config) sim.Duration {
	return min(2*cfg.Client.TimeoutPerAttempt, sim.MaxSpan)
}

// prepareTimed turns on the world's step faults of the timed kinds on the
// menu, each at its placeholder rate.
func (m Menu) prepareTimed(cfg *world.Config) {
	p := &cfg.Faults
	if m.on[Crash] {
		p.StepCrashRate = placeholder(Crash)
	}
	if m.on[Pause] {
		p.StepPauseRate, p.StepPause = placeholder(Pause), pauseLength(cfg)
	}
	if m.on[StoreRestart] {
		p.KVRestartRate = placeholder(StoreRestart)
	}
}
