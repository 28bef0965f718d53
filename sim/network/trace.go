package network

import (
	"strconv"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
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
	b = append(b, faults.OpID{Queue: r.C >> 16, Index: r.C & 0xffff}.String()...)
	b = append(b, "/a"...)
	b = strconv.AppendInt(b, int64(r.D), 10)
	if r.E&2 != 0 {
		b = append(b, "/copy"...)
	}
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
	}
	return b, true
}
