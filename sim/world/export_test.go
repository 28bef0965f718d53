package world

import (
	"fmt"

	"github.com/idemsim/idemsim/sim"
)

// SetMaxRunBytes lowers the bound on what a run may hold, so that a test
// reaches it with a small world, until the returned function restores it.
func SetMaxRunBytes(n uint64) (restore func()) {
	was := maxRunBytes
	maxRunBytes = n
	return func() { maxRunBytes = was }
}

// Records are the run's kept records.
func (r *Result) Records() []sim.Record { return r.w.trace.Records() }

// Reencode decodes rec with the one decoder and encodes the typed event
// again; typ names the event's Go type.
func Reencode(rec sim.Record) (again sim.Record, typ string) {
	e := decode(rec)
	again = e.record()
	again.At = rec.At
	return again, fmt.Sprintf("%T", e)
}
