package network

import (
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
)

// Trace record kinds of the network; the world's own start at 100.
const (
	TraceSend           uint16 = iota + 1 // F: latency
	TraceDeliver                          //
	TraceDrop                             //
	TraceDuplicate                        // F: when the copy arrives, from now
	TraceReset                            //
	TraceCut                              // lost to a partition
	TraceLate                             // a response nobody waits for any more
	TracePartitionStart                   // A: partition index
	TracePartitionEnd                     // A: partition index
	TraceBroken                           // a service call's connection broke: its caller is told
	TraceLastKind
)

// Render appends the text of a network trace record (without its time) to
// b; ok is false if r is not a network record.
func (n *Network) Render(b []byte, r sim.Record) (_ []byte, ok bool) {
	switch r.Kind {
	case TracePartitionStart, TracePartitionEnd:
		b = append(b, "partition "...)
		b = append(b, n.parts[r.A].Partition.String()...)
		if r.Kind == TracePartitionStart {
			return append(b, " begins"...), true
		}
		return append(b, " heals"...), true
	}
	if r.Kind == 0 || r.Kind >= TraceLastKind {
		return b, false
	}
	b = append(b, n.nodes[r.A].name...)
	b = append(b, '>')
	b = append(b, n.nodes[r.B].name...)
	if Dir(r.E&1) == Request {
		b = append(b, " request "...)
	} else {
		b = append(b, " response "...)
	}
	b = append(b, n.UnpackRef(r.C, r.D, r.E).String()...)
	switch r.Kind {
	case TraceSend:
		b = append(b, " sent, latency "...)
		b = append(b, sim.Duration(r.F).String()...)
	case TraceDeliver:
		b = append(b, " delivered"...)
	case TraceDrop:
		b = append(b, " DROPPED"...)
	case TraceDuplicate:
		b = append(b, " DUPLICATED, copy arrives in "...)
		b = append(b, sim.Duration(r.F).String()...)
	case TraceReset:
		b = append(b, " RESET after processing: never sent"...)
	case TraceCut:
		b = append(b, " CUT by a partition"...)
	case TraceLate:
		b = append(b, " arrived after the caller stopped waiting"...)
	case TraceBroken:
		b = append(b, " lost: the connection broke, the caller sees an error"...)
	}
	return b, true
}

// RecordOp is the operation a network record speaks of (zero for a worker's
// call), for filtering a trace by operation.
func (n *Network) RecordOp(r sim.Record) api.OpID {
	if r.Kind == 0 || r.Kind >= TraceLastKind || r.Kind == TracePartitionStart || r.Kind == TracePartitionEnd || r.E&(1<<5) != 0 {
		return api.OpID{}
	}
	return api.UnpackOpID(r.C)
}
