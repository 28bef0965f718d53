// Package gctune sets the garbage collector for idemsim's work: many small
// simulations, each with a live heap of a few megabytes, whose garbage is
// nearly everything they allocate. At Go's default (GOGC=100) so small a
// heap is collected after every few megabytes allocated, and on two
// workers the collector rather than the simulations sets the pace: a
// sweep's seeds per second rose by half on one worker and nearly doubled
// on two at GOGC=400 (docs/benchmarks.md, "The runner"). The heap a sweep holds stays
// flat as seeds grow; it is only allowed to grow larger between
// collections. Nothing a run computes depends on the collector.
package gctune

import (
	"os"
	"runtime/debug"
)

// Percent is the GOGC idemsim runs with.
const Percent = 400

// MemoryLimit is the soft limit on the memory the Go runtime manages
// (GOMEMLIMIT) idemsim runs with. At Percent the heap of one large run may
// grow to five times what is live before a collection; as it nears the
// limit, the collector runs more often instead. A run holds at most 1 GiB
// (world.MaxRunBytes), so it stays near 2 GiB; small simulations never
// come close, and keep Percent's pace.
const MemoryLimit = 2 << 30

// Apply sets the collector to Percent and MemoryLimit, each unless the user
// chose one (GOGC, GOMEMLIMIT).
func Apply() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(Percent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(MemoryLimit)
	}
}
