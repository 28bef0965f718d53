package server

import (
	"errors"
	"time"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim/api"
)

// The link between a server and its services, as the simulated network
// carries a service call (sim/network/network.go): a request lost on its
// way (a partition between the server and the service, a fault on the
// service link) never reaches the service, and an answer lost comes after
// the service acted. Either way the caller learns that its connection
// broke when the lost message would have arrived: api.ErrConnection from
// the store, the gateway and the queue (sim/world/services.go), and 08006
// with the connection closed from the database (live/pgdb/link.go).

// linkLost asks the process's ServiceLink about the request or answer of
// call ref, and waits, as the caller would, before reporting a loss. A
// crash cuts the wait short.
func (e *env) linkLost(ref faults.Ref, answered bool) bool {
	decide := e.l.p.cfg.ServiceLink
	if decide == nil || e.l.ctx.Err() != nil {
		return false // a dead process's calls meet no more faults
	}
	lost, after := decide(e.l.p.cfg.Name, ref, answered)
	if !lost {
		return false
	}
	t := time.NewTimer(after)
	defer t.Stop()
	select {
	case <-t.C:
	case <-e.l.ctx.Done():
	}
	return true
}

// linked makes call, the service call ref, over the link: the call is not
// made when its request is lost, and its answer is dropped when that is
// lost; a call that got no answer at all (a timeout) is left alone.
func linked[T any](e *env, ref faults.Ref, call func() (T, error)) (T, error) {
	var zero T
	if e.linkLost(ref, false) {
		return zero, api.ErrConnection
	}
	v, err := call()
	if errors.Is(err, api.ErrTimeout) || !e.linkLost(ref, true) {
		return v, err
	}
	return zero, api.ErrConnection
}

// dbLink is the database session's Link for the actor: call n of the
// session is the actor's database call base+n.
func (e *env) dbLink(base int32) func(call int, answered bool) bool {
	return func(call int, answered bool) bool {
		r := e.ref
		r.Service, r.Call = api.ServiceDB, base+int32(call)
		return e.linkLost(r, answered)
	}
}
