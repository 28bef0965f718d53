// Package sim is idemsim's deterministic discrete-event kernel: virtual time,
// an event queue ordered by (time, sequence), seeded random streams behind one
// Chooser, and actors written as straight-line Go that park on blocking calls.
//
// Exactly one actor runs at a time. Actors are coroutines built on iter.Pull,
// so a hand-off is a synchronous switch, never a free-running goroutine: a
// seed and a configuration replay identically whatever the process or its
// GOMAXPROCS. Nothing here reads the wall clock or global randomness.
package sim
