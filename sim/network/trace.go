package network

import (
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
)

// Trace record kinds of the network, in the range sim.NetworkKinds owns.
// MsgRecord is the event of the message kinds, PartitionRecord of the
// partition kinds.
const (
	TraceSend           uint16 = sim.NetworkKinds + iota // a message leaves; Delay: its latency
	TraceDeliver                                         // a message arrives
	TraceDrop                                            // a message is lost as it leaves
	TraceDuplicate                                       // a copy is sent; Delay: when it arrives, from now
	TraceReset                                           // a response is never sent: the connection reset
	TraceCut                                             // lost to a partition
	TraceLate                                            // a response nobody waits for any more
	TracePartitionStart                                  // a partition begins
	TracePartitionEnd                                    // a partition heals
	TraceBroken                                          // a service call's connection broke: its caller is told
	traceKindsEnd
)

// The network's kinds must end below the world's: a compile error here
// means the ranges of sim/trace.go overlap.
const _ = sim.WorldKinds - traceKindsEnd

// IsRecord reports whether a record of kind k is the network's.
func IsRecord(k uint16) bool { return k >= sim.NetworkKinds && k < traceKindsEnd }

// MsgID is a message's identity as a trace record carries it, packed so
// that recording costs no allocation; Network.Ref unpacks it into a
// faults.Ref.
type MsgID struct {
	c int32 // the operation, packed, or the worker's index for a worker's call
	d int32 // the attempt
	// e: bit 0 the direction, bit 1 a copy, bits 2-4 the service, bit 5 a
	// worker's call, bits 8-31 the caller's node, bits 32- the call number.
	e int64
}

// ID packs m's identity (the network remembers each worker's name).
func (n *Network) ID(m *Msg) MsgID { return n.pack(&m.Ref, m.Dir, m.caller) }

// IDOf packs the identity of the message ref names in direction dir, as
// ID does for a message in flight, for a trace written outside the
// simulation (a live run), which has no Msg. ok is false when no node is
// named ref.Caller.
func (n *Network) IDOf(ref faults.Ref, dir Dir) (_ MsgID, ok bool) {
	caller, ok := n.byName[ref.Caller]
	if !ok {
		return MsgID{}, false
	}
	return n.pack(&ref, dir, caller), true
}

func (n *Network) pack(ref *faults.Ref, dir Dir, caller NodeID) MsgID {
	e := int64(dir) | int64(ref.Service)<<2 | int64(caller)<<8 | int64(ref.Call)<<32
	if ref.Copy {
		e |= 2
	}
	c := ref.Op.Pack()
	if ref.Worker != "" {
		e |= 1 << 5
		id, ok := n.workerN[ref.Worker]
		if !ok {
			id = int32(len(n.workers))
			n.workers = append(n.workers, ref.Worker)
			n.workerN[ref.Worker] = id
		}
		c = id
	}
	return MsgID{c: c, d: ref.Attempt, e: e}
}

// Ref unpacks a message's identity.
func (n *Network) Ref(id MsgID) faults.Ref {
	r := faults.Ref{
		Caller:  n.nodes[(id.e>>8)&0xffffff].name,
		Attempt: id.d,
		Copy:    id.e&2 != 0,
		Service: id.Service(),
		Call:    int32(id.e >> 32),
	}
	if id.Worker() {
		r.Worker = n.workers[id.c]
	} else {
		r.Op = api.UnpackOpID(id.c)
	}
	return r
}

// Record puts id in the fields of a record that carry it: C, D and E.
func (id MsgID) Record() sim.Record { return sim.Record{C: id.c, D: id.d, E: id.e} }

// DecodeMsgID is the inverse of MsgID.Record.
func DecodeMsgID(r sim.Record) MsgID { return MsgID{c: r.C, d: r.D, e: r.E} }

// Dir is the message's direction.
func (id MsgID) Dir() Dir { return Dir(id.e & 1) }

// Service is the service called (NoService for a client's request).
func (id MsgID) Service() api.Service { return api.Service((id.e >> 2) & 7) }

// Worker reports whether a background worker made the call.
func (id MsgID) Worker() bool { return id.e&(1<<5) != 0 }

// Op is the operation the message serves: zero for a worker's call.
func (id MsgID) Op() api.OpID {
	if id.Worker() {
		return api.OpID{}
	}
	return api.UnpackOpID(id.c)
}

// Attempt is the attempt of the operation the message serves.
func (id MsgID) Attempt() int32 { return id.d }

// MsgRecord is what became of one message: a record of the kinds
// TraceSend to TraceBroken but the partition kinds.
type MsgRecord struct {
	Fate     uint16 // the record kind
	Src, Dst NodeID
	ID       MsgID
	Delay    sim.Duration // TraceSend: the latency; TraceDuplicate: when the copy arrives
}

// Record encodes e.
func (e MsgRecord) Record() sim.Record {
	r := e.ID.Record()
	r.Kind, r.A, r.B, r.F = e.Fate, int32(e.Src), int32(e.Dst), int64(e.Delay)
	return r
}

// DecodeMsg is the inverse of MsgRecord.Record; ok is false for a record
// of another kind.
func DecodeMsg(r sim.Record) (_ MsgRecord, ok bool) {
	if !IsRecord(r.Kind) || r.Kind == TracePartitionStart || r.Kind == TracePartitionEnd {
		return MsgRecord{}, false
	}
	return MsgRecord{Fate: r.Kind, Src: NodeID(r.A), Dst: NodeID(r.B), ID: DecodeMsgID(r), Delay: sim.Duration(r.F)}, true
}

// PartitionRecord is a partition beginning or healing.
type PartitionRecord struct {
	Index int32 // the partition's place in the plan
	Heals bool
}

// Record encodes e.
func (e PartitionRecord) Record() sim.Record {
	kind := TracePartitionStart
	if e.Heals {
		kind = TracePartitionEnd
	}
	return sim.Record{Kind: kind, A: e.Index}
}

// DecodePartition is the inverse of PartitionRecord.Record; ok is false
// for a record of another kind.
func DecodePartition(r sim.Record) (_ PartitionRecord, ok bool) {
	if r.Kind != TracePartitionStart && r.Kind != TracePartitionEnd {
		return PartitionRecord{}, false
	}
	return PartitionRecord{Index: r.A, Heals: r.Kind == TracePartitionEnd}, true
}

// AppendPartition appends the text of a partition record: "partition ...
// begins" or "heals".
func (n *Network) AppendPartition(b []byte, e PartitionRecord) []byte {
	b = append(b, "partition "...)
	b = append(b, n.parts[e.Index].Partition.String()...)
	if e.Heals {
		return append(b, " heals"...)
	}
	return append(b, " begins"...)
}

// AppendMsg appends the text of a message record, without its time.
func (n *Network) AppendMsg(b []byte, e MsgRecord) []byte {
	b = append(b, n.nodes[e.Src].name...)
	b = append(b, '>')
	b = append(b, n.nodes[e.Dst].name...)
	if e.ID.Dir() == Request {
		b = append(b, " request "...)
	} else {
		b = append(b, " response "...)
	}
	b = append(b, n.Ref(e.ID).String()...)
	switch e.Fate {
	case TraceSend:
		b = append(b, " sent, latency "...)
		b = append(b, e.Delay.String()...)
	case TraceDeliver:
		b = append(b, " delivered"...)
	case TraceDrop:
		b = append(b, " DROPPED"...)
	case TraceDuplicate:
		b = append(b, " DUPLICATED, copy arrives in "...)
		b = append(b, e.Delay.String()...)
	case TraceReset:
		b = append(b, " RESET after processing: never sent"...)
	case TraceCut:
		b = append(b, " CUT by a partition"...)
	case TraceLate:
		b = append(b, " arrived after the caller stopped waiting"...)
	case TraceBroken:
		b = append(b, " lost: the connection broke, the caller sees an error"...)
	}
	return b
}
