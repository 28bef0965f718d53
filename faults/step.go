package faults

import (
	"strconv"

	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
)

// StepFault is a crash or pause of a server fired at a step of one of
// its handlers instead of at a moment: once the handler serving Request
// has made After service calls (0: as it starts), the way a CrashPoint
// fires at a step the strategy names. A live run uses it to put a timed
// fault where the simulated run of the same world had it, a window of a
// fraction of a millisecond that real timing rarely hits
// (live/anchor.go).
type StepFault struct {
	Kind     Kind   // CrashFault or PauseFault
	Node     string // the server
	Request  Ref    // the request whose handler it waits for (no service)
	After    int
	Downtime sim.Duration // how long the server stays down, or frozen
	// Last and Next name the calls around the step, for the reader: the
	// After-th call and the one after it (zero Refs when none).
	Last, Next Ref
	// Timed is the timed fault it stands for.
	Timed Crash
}

// Fires reports whether f fires in server's handler for request, which
// has made calls service calls. The simulated and the live server count
// a handler's calls alike, so the step is the same in both.
func (f StepFault) Fires(server string, request Ref, calls int) bool {
	return f.Node == server && f.Request == request && f.After == calls
}

// String says where the fault fires: "crash s1+3s after
// c1/o1.1/a1/db1, before its db2", "pause s1+2s as c1/o1.1/a1 starts".
func (f StepFault) String() string {
	s := f.Kind.String() + " " + f.Node + "+" + f.Downtime.String()
	if f.After == 0 {
		s += " as " + f.Request.String() + " starts"
	} else {
		last := f.Last
		if last.Service == api.NoService {
			last = f.Request
		}
		s += " after " + last.String()
		if f.Last.Service == api.NoService {
			s += " has made " + strconv.Itoa(f.After) + " calls"
		}
	}
	if f.Next.Service != api.NoService {
		s += ", before its " + f.Next.Service.String() + strconv.Itoa(int(f.Next.Call))
	}
	return s
}
