package server

import (
	"sync"

	"github.com/idemsim/idemsim/faults"
)

// StepFaults arms crashes and pauses at steps of the servers' handlers
// (faults.StepFault), for all the run's servers; each fires at most once,
// as the timed fault it stands for does.
type StepFaults struct {
	mu    sync.Mutex
	specs []faults.StepFault
	fired []bool
}

// NewStepFaults arms specs.
func NewStepFaults(specs []faults.StepFault) *StepFaults {
	return &StepFaults{specs: specs, fired: make([]bool, len(specs))}
}

// reach says whether a fault fires in server's handler for request, which
// has made calls service calls, and takes it off the list.
func (s *StepFaults) reach(server string, request faults.Ref, calls int) (faults.StepFault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.specs {
		if !s.fired[i] && f.Fires(server, request, calls) {
			s.fired[i] = true
			return f, true
		}
	}
	return faults.StepFault{}, false
}

// callsMade is how many service calls the actor has made.
func (e *env) callsMade() int {
	e.calls.mu.Lock()
	n := int32(0)
	for _, c := range e.calls.n {
		n += c
	}
	e.calls.mu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.db != nil {
		// The open session's calls are added to the counts when it
		// finishes.
		n += int32(e.db.Calls())
	}
	return int(n)
}

// atStep fires the step fault armed for where the handler is: as it
// starts, and after each of its service calls. A crash never returns; a
// pause takes hold at the handler's next checkpoint.
func (e *env) atStep() {
	p := e.l.p
	if p.cfg.Steps == nil || e.ref.Worker != "" {
		return
	}
	f, ok := p.cfg.Steps.reach(p.cfg.Name, e.ref, e.callsMade())
	if !ok {
		return
	}
	switch f.Kind {
	case faults.CrashFault:
		at := p.now()
		p.crashWith(f.Downtime, faults.Fault{Kind: faults.CrashFault, At: at, Crash: faults.Crash{Node: p.cfg.Name, At: at, Downtime: f.Downtime}})
		panic(errCrashed)
	case faults.PauseFault:
		p.Pause(f.Downtime)
	}
}
