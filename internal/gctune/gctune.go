// Package gctune sets the garbage collector for idemsim's work: many small
// simulations, each with a live heap of a few megabytes, whose garbage is
// nearly everything they allocate. At Go's default (GOGC=100) so small a
// heap is collected after every few megabytes allocated, and on two
// workers the collector rather than the simulations sets the pace: a
// sweep's seeds per second rose by half on one worker and nearly doubled
// on two at GOGC=400 (README, "Experiments"). The heap a sweep holds stays
// flat as seeds grow; it is only allowed to grow larger between
// collections. Nothing a run computes depends on the collector.
package gctune

import (
	"os"
	"runtime/debug"
)

// Percent is the GOGC idemsim runs with.
const Percent = 400

// Apply sets the collector to Percent, unless the user chose a GOGC.
func Apply() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(Percent)
	}
}
