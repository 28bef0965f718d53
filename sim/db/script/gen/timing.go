package gen

import (
	"time"

	"github.com/idemsim/idemsim/sim/db/script"
)

// The timing generated scripts are recorded with (tools/pgscript -random,
// against a server started with deadlock_timeout = DeadlockTimeout), four
// times faster than the hand-written scripts' W = 1 s. It is safe because
// every statement the templates write finishes in a few milliseconds unless
// it waits for a lock, and the lock model never lets two waiters be
// released at once:
//
//   - Window (W) must exceed the deadlock check of the statement that closes
//     a cycle (DeadlockTimeout after it starts waiting) with room for the
//     backend to be scheduled: 150 ms of margin.
//   - Settle (S) lets a statement released by the line just run finish
//     (milliseconds), and, because it is also at least DeadlockTimeout plus
//     a margin, a released statement that waits again has had its deadlock
//     check by the time the next line is sent. So, as with the hand-written
//     scripts, the waiter that closes a cycle is always the one whose check
//     finds it: the earlier waiters checked before the cycle existed.
//   - Tail is a last Settle: the lock model ends every script with nothing
//     blocked, so only a script where PostgreSQL and the model disagree
//     waits it out.
//
// The runners wait only while some statement is blocked, so a script that
// never blocks costs its round trips alone.
//
// The simulation prints the same lines under these timings and under
// script.DefaultOptions: its statements take no virtual time, and both keep
// Window and Settle above the deadlock timeout. The test of the recordings
// runs DefaultOptions, which is what `idemsim sql` runs.
const (
	DeadlockTimeout = 100 * time.Millisecond
	Window          = 250 * time.Millisecond
	Settle          = 250 * time.Millisecond
	Tail            = 250 * time.Millisecond
)

// SimOptions are the simulation runner's options matching the timing
// above.
func SimOptions() script.Options {
	o := script.DefaultOptions()
	o.DB.DeadlockTimeout = DeadlockTimeout
	o.Window, o.Settle, o.Tail = Window, Settle, Tail
	return o
}
