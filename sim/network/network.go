// Package network is the simulated network between idemsim's nodes: per-link
// latency laws, loss and duplication of requests and responses, resets after
// processing, and partitions for a window of time. Every fault decision goes
// through the kernel's Chooser (StreamFaults) or a replayed fault list, and
// every fault that fires is logged as a replayable line.
package network

import (
	"fmt"
	"slices"
	"strings"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
)

// NodeID names a node of the network.
type NodeID int32

// Dir says whether a message is a request or the response to one.
type Dir uint8

// The directions of a message.
const (
	Request Dir = iota
	Response
)

func (d Dir) String() string {
	if d == Request {
		return "request"
	}
	return "response"
}

// Msg is one message in flight.
type Msg struct {
	Src, Dst NodeID
	Dir      Dir
	Op       faults.OpID
	Attempt  int32
	Copy     bool // the network's duplicate of another message
	Payload  any
	call     *call
	net      *Network
}

// call is one Call waiting for its response.
type call struct {
	proc *sim.Proc
	done bool
	resp any
}

// Fire delivers m; it is m's arrival event.
func (m *Msg) Fire() { m.net.deliver(m) }

// Stats counts messages by fate.
type Stats struct {
	Sent, Delivered, Dropped, Duplicated, Reset, Cut, Late uint64
}

type node struct {
	name, group string
	deliver     func(*Msg)
}

type partition struct {
	faults.Partition
	a, b []bool
}

type replayKey struct {
	kind    faults.Kind
	caller  NodeID
	op      faults.OpID
	attempt int32
	copy    bool
}

// Network carries messages between nodes under a fault plan.
type Network struct {
	k      *sim.Kernel
	ch     sim.Chooser
	trace  *sim.Trace
	log    *faults.Log
	plan   faults.Plan
	nodes  []node
	links  []faults.Link // len(nodes)², resolved by Start
	parts  []partition
	replay map[replayKey]faults.Fault // nil: decide at random
	stats  Stats
}

// New returns a network on kernel k that traces to trace and logs the faults
// that fire to log.
func New(k *sim.Kernel, trace *sim.Trace, log *faults.Log, plan faults.Plan) *Network {
	return &Network{k: k, ch: k.Chooser(), trace: trace, log: log, plan: plan}
}

// AddNode adds a node named name (c1, s2) in group (clients, servers);
// deliver receives the requests addressed to it.
func (n *Network) AddNode(name, group string, deliver func(*Msg)) NodeID {
	n.nodes = append(n.nodes, node{name: name, group: group, deliver: deliver})
	return NodeID(len(n.nodes) - 1)
}

// Name is the name of node id.
func (n *Network) Name(id NodeID) string { return n.nodes[id].name }

// Lookup finds a node by name.
func (n *Network) Lookup(name string) (NodeID, bool) {
	for i, nd := range n.nodes {
		if nd.name == name {
			return NodeID(i), true
		}
	}
	return 0, false
}

// Stats reports message counts so far.
func (n *Network) Stats() Stats { return n.stats }

// Link is the resolved configuration of the link between a and b.
func (n *Network) Link(a, b NodeID) faults.Link { return n.links[int(a)*len(n.nodes)+int(b)] }

// Start resolves the plan against the nodes added so far and schedules the
// partitions. It fails if the plan names a node that does not exist.
func (n *Network) Start() error {
	count := len(n.nodes)
	n.links = make([]faults.Link, count*count)
	for i := range n.links {
		n.links[i] = n.plan.Link
	}
	for _, r := range n.plan.Links {
		a, err := n.resolve(r.A)
		if err != nil {
			return fmt.Errorf("network: link %s: %w", r, err)
		}
		b, err := n.resolve(r.B)
		if err != nil {
			return fmt.Errorf("network: link %s: %w", r, err)
		}
		for i := 0; i < count; i++ {
			for j := 0; j < count; j++ {
				if a[i] && b[j] || a[j] && b[i] {
					r.Apply(&n.links[i*count+j])
				}
			}
		}
	}
	parts := n.plan.Partitions
	if n.plan.Replay != nil {
		n.replay = make(map[replayKey]faults.Fault)
		for _, f := range n.plan.Replay {
			switch {
			case f.Kind == faults.PartitionFault:
				// A recorded partition that the plan also holds runs once.
				if !slices.ContainsFunc(parts, func(p faults.Partition) bool { return p.String() == f.Partition.String() }) {
					parts = append(parts, f.Partition)
				}
			case f.Kind.OnMessage():
				caller, ok := n.Lookup(f.Msg.Caller)
				if !ok {
					return fmt.Errorf("network: replayed fault %q: no node %s", f, f.Msg.Caller)
				}
				n.replay[replayKey{f.Kind, caller, f.Msg.Op, f.Msg.Attempt, f.Msg.Copy}] = f
			}
		}
	}
	for _, p := range parts {
		a, err := n.resolve(p.A)
		if err != nil {
			return fmt.Errorf("network: partition %s: %w", p, err)
		}
		b, err := n.resolve(p.B)
		if err != nil {
			return fmt.Errorf("network: partition %s: %w", p, err)
		}
		n.parts = append(n.parts, partition{Partition: p, a: a, b: b})
		idx := int32(len(n.parts) - 1)
		n.k.At(p.From, sim.Func(func() {
			n.log.Add(faults.Fault{Kind: faults.PartitionFault, At: p.From, Partition: p})
			n.trace.Add(sim.Record{At: n.k.Now(), Kind: TracePartitionStart, A: idx})
		}))
		n.k.At(p.To, sim.Func(func() {
			n.trace.Add(sim.Record{At: n.k.Now(), Kind: TracePartitionEnd, A: idx})
		}))
	}
	return nil
}

func (n *Network) resolve(set faults.NodeSet) ([]bool, error) {
	in := make([]bool, len(n.nodes))
	for _, name := range set {
		found := false
		for i, nd := range n.nodes {
			if name == "*" || nd.name == name || nd.group == name {
				in[i] = true
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("no node %s (this run has %s)", name, n.describeNodes())
		}
	}
	return in, nil
}

func (n *Network) describeNodes() string {
	var groups []string
	for i := 0; i < len(n.nodes); {
		j := i
		for j+1 < len(n.nodes) && n.nodes[j+1].group == n.nodes[i].group {
			j++
		}
		if i == j {
			groups = append(groups, n.nodes[i].name)
		} else {
			groups = append(groups, n.nodes[i].name+".."+n.nodes[j].name)
		}
		i = j + 1
	}
	return strings.Join(groups, ", ")
}

// cut reports whether a partition separates a and b now.
func (n *Network) cut(a, b NodeID) bool {
	now := n.k.Now()
	for i := range n.parts {
		p := &n.parts[i]
		if now >= p.From && now < p.To && (p.a[a] && p.b[b] || p.a[b] && p.b[a]) {
			return true
		}
	}
	return false
}

// decide reports whether fault kind hits message m, at random with the
// link's rate or, when replaying, exactly when the list says so.
func (n *Network) decide(kind faults.Kind, m *Msg, rate float64) (faults.Fault, bool) {
	f := faults.Fault{Kind: kind, At: n.k.Now()}
	if n.replay != nil {
		caller := m.Src
		if m.Dir == Response {
			caller = m.Dst
		}
		r, ok := n.replay[replayKey{kind, caller, m.Op, m.Attempt, m.Copy}]
		if !ok {
			return f, false
		}
		f.Extra = r.Extra
	} else {
		switch {
		case rate <= 0:
			return f, false
		case rate < 1 && !n.ch.Flip(sim.StreamFaults, rate):
			return f, false
		}
		if kind == faults.DuplicateRequest || kind == faults.DuplicateResponse {
			// At least 1ns, so the copy arrives after the original even
			// on a zero-latency link.
			f.Extra = max(1, n.Link(m.Src, m.Dst).Delay.Sample(n.ch, sim.StreamFaults))
		}
	}
	f.Msg = n.ref(m)
	n.log.Add(f)
	return f, true
}

func (n *Network) ref(m *Msg) faults.Ref {
	caller := m.Src
	if m.Dir == Response {
		caller = m.Dst
	}
	return faults.Ref{Caller: n.nodes[caller].name, Op: m.Op, Attempt: m.Attempt, Copy: m.Copy}
}

func (n *Network) record(kind uint16, m *Msg, f int64) {
	flags := int64(m.Dir)
	if m.Copy {
		flags |= 2
	}
	n.trace.Add(sim.Record{
		At: n.k.Now(), Kind: kind, A: int32(m.Src), B: int32(m.Dst),
		C: m.Op.Queue<<16 | m.Op.Index, D: m.Attempt, E: flags, F: f,
	})
}

func (n *Network) send(m *Msg) {
	n.stats.Sent++
	if n.cut(m.Src, m.Dst) {
		n.stats.Cut++
		n.record(TraceCut, m, 0)
		return
	}
	link := n.Link(m.Src, m.Dst)
	drop, rate := faults.DropRequest, link.DropRequestRate
	if m.Dir == Response {
		drop, rate = faults.DropResponse, link.DropResponseRate
	}
	if _, hit := n.decide(drop, m, rate); hit {
		n.stats.Dropped++
		n.record(TraceDrop, m, 0)
		return
	}
	delay := link.Delay.Sample(n.ch, sim.StreamNetwork)
	n.record(TraceSend, m, int64(delay))
	n.k.After(delay, m)
	if m.Copy {
		return // a copy is not copied again, so each message has one identity
	}
	dup := faults.DuplicateRequest
	if m.Dir == Response {
		dup = faults.DuplicateResponse
	}
	if f, hit := n.decide(dup, m, link.DuplicateRate); hit {
		n.stats.Duplicated++
		c := *m
		c.Copy = true
		n.record(TraceDuplicate, m, int64(delay+f.Extra))
		n.k.After(delay+f.Extra, &c)
	}
}

func (n *Network) deliver(m *Msg) {
	if n.cut(m.Src, m.Dst) {
		n.stats.Cut++
		n.record(TraceCut, m, 0)
		return
	}
	if m.Dir == Request {
		n.stats.Delivered++
		n.record(TraceDeliver, m, 0)
		n.nodes[m.Dst].deliver(m)
		return
	}
	c := m.call
	if c.done {
		n.stats.Late++
		n.record(TraceLate, m, 0)
		return
	}
	n.stats.Delivered++
	n.record(TraceDeliver, m, 0)
	c.done = true
	c.resp = m.Payload
	n.k.Wake(c.proc)
}

// Call sends payload from src to dst as attempt number attempt of operation
// op, and parks p until the response arrives or timeout passes. It reports
// whether a response arrived.
func (n *Network) Call(p *sim.Proc, src, dst NodeID, op faults.OpID, attempt int32, payload any, timeout sim.Duration) (any, bool) {
	p.Alive()
	c := &call{proc: p}
	n.send(&Msg{Src: src, Dst: dst, Dir: Request, Op: op, Attempt: attempt, Payload: payload, call: c, net: n})
	deadline := n.k.Now().Add(timeout)
	for !c.done {
		if !p.WaitFor(deadline.Sub(n.k.Now())) {
			c.done = true
			return nil, false
		}
	}
	return c.resp, true
}

// Reply answers request req with payload. The connection may reset after
// processing (the link's reset rate), in which case nothing is sent.
func (n *Network) Reply(req *Msg, payload any) {
	m := &Msg{Src: req.Dst, Dst: req.Src, Dir: Response, Op: req.Op, Attempt: req.Attempt, Copy: req.Copy, Payload: payload, call: req.call, net: n}
	if _, hit := n.decide(faults.Reset, m, n.Link(m.Src, m.Dst).ResetRate); hit {
		n.stats.Reset++
		n.record(TraceReset, m, 0)
		return
	}
	n.send(m)
}
