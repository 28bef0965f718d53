// Package network is the simulated network between idemsim's nodes: per-link
// latency laws, loss and duplication of requests and responses, resets after
// processing, and partitions for a window of time. Every fault decision goes
// through the kernel's Chooser or a replayed fault list, and every fault
// that fires is logged as a replayable line.
//
// Two kinds of link: between clients and servers (HTTP: a lost message
// leaves the caller to its timeout, and a message may be delivered twice),
// and between a server and a service node (a connection: a lost message
// breaks it, and the caller hears of it when the message would have
// arrived; nothing is duplicated).
package network

import (
	"fmt"
	"slices"
	"strings"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
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
	Ref      faults.Ref // the request's identity; a response carries its request's
	Payload  any
	caller   NodeID // the node Ref.Caller names, for trace records
	gen      uint32 // call's generation when m was made: see check
	call     *call
	net      *Network
	fail     bool // a failure notice for a service call, not a message
}

// call is one Call waiting for its response, and its request.
//
// Calls and messages are recycled through the network's free lists, so that
// a request costs no allocation once a run has warmed up. A message is
// recycled when nothing can name it any more: it was lost, or it fired and
// was not handed to a receiver, or its receiver released it. A call counts
// in refs what still names it — the Call waiting on it, and every live
// message of it (the request, copies, responses, failure notices) — and is
// recycled when that count reaches zero, so a late response or a duplicate
// still in flight always finds its own call, never a reused one. A message
// handed to a receiver that never releases it (a service node, a worker
// killed by a crash) keeps its call from being recycled: the collector
// frees both.
type call struct {
	req     Msg // the request, allocated with its call
	proc    *sim.Proc
	resp    any
	refs    int32
	gen     uint32 // times this call was recycled
	done    bool
	failed  bool // a service call whose connection broke
	service bool
}

// Fire delivers m; it is m's arrival event.
func (m *Msg) Fire() {
	n := m.net
	m.check()
	if m.fail {
		n.failCall(m)
		n.free(m)
		return
	}
	if n.deliver(m) {
		n.free(m)
	}
}

// Owner implements sim.Owned: a message's arrival belongs to the node it
// is addressed to.
func (m *Msg) Owner() string { return m.net.nodes[m.Dst].name }

// Caller is the node that m's Ref.Caller names.
func (m *Msg) Caller() NodeID { return m.caller }

// Stats counts messages by fate.
type Stats struct {
	Sent, Delivered, Dropped, Duplicated, Reset, Cut, Late, Failed uint64
}

type node struct {
	name, group string
	service     api.Service
	deliver     func(*Msg)
}

type partition struct {
	faults.Partition
	a, b []bool
}

// rule is a link rule resolved against the nodes.
type rule struct {
	faults.LinkRule
	a, b []bool
}

type replayKey struct {
	kind faults.Kind
	ref  faults.Ref
}

// The groups of nodes.
const (
	GroupClients  = "clients"
	GroupServers  = "servers"
	GroupServices = "services"
)

// Network carries messages between nodes under a fault plan.
type Network struct {
	k       *sim.Kernel
	ch      sim.Chooser
	trace   *sim.Trace
	log     *faults.Log
	plan    faults.Plan
	nodes   []node
	byName  map[string]NodeID
	rules   []rule
	ruled   []bool // per node: named by some rule, so its links need resolving
	parts   []partition
	replay  map[replayKey]sim.Duration // a replayed fault's Extra, all a decision reads (nil: decide at random)
	workers []string                   // worker names, for trace records
	workerN map[string]int32
	stats   Stats
	// Free lists: see call.
	freeMsgs  []*Msg
	freeCalls []*call
}

// New returns a network on kernel k that traces to trace and logs the faults
// that fire to log.
func New(k *sim.Kernel, trace *sim.Trace, log *faults.Log, plan faults.Plan) *Network {
	return &Network{k: k, ch: k.Chooser(), trace: trace, log: log, plan: plan,
		byName: make(map[string]NodeID), workerN: make(map[string]int32)}
}

// AddNode adds a node named name (c1, s2) in group (clients, servers);
// deliver receives the requests addressed to it (a receiver that is done
// with a request, having answered it, may Release it for reuse).
func (n *Network) AddNode(name, group string, deliver func(*Msg)) NodeID {
	n.nodes = append(n.nodes, node{name: name, group: group, deliver: deliver})
	id := NodeID(len(n.nodes) - 1)
	n.byName[name] = id
	return id
}

// AddService adds the node of service s, named after it, in group services.
func (n *Network) AddService(s api.Service, deliver func(*Msg)) NodeID {
	id := n.AddNode(s.String(), GroupServices, deliver)
	n.nodes[id].service = s
	return id
}

// Name is the name of node id.
func (n *Network) Name(id NodeID) string { return n.nodes[id].name }

// Lookup finds a node by name.
func (n *Network) Lookup(name string) (NodeID, bool) {
	id, ok := n.byName[name]
	return id, ok
}

// Stats reports message counts so far.
func (n *Network) Stats() Stats { return n.stats }

// service is the service at either end of the link between a and b, or
// NoService for a link between clients and servers.
func (n *Network) service(a, b NodeID) api.Service {
	if s := n.nodes[a].service; s != api.NoService {
		return s
	}
	return n.nodes[b].service
}

// Link is the resolved configuration of the link between a and b: the
// plan's default for its kind, then every rule that names both ends.
func (n *Network) Link(a, b NodeID) faults.Link {
	l := n.plan.Link
	if n.service(a, b) != api.NoService {
		l = n.plan.ServiceLink
	}
	if !n.ruled[a] && !n.ruled[b] {
		return l
	}
	for i := range n.rules {
		r := &n.rules[i]
		if r.a[a] && r.b[b] || r.a[b] && r.b[a] {
			r.Apply(&l)
		}
	}
	return l
}

// streams are the chooser streams of a link's latency and fault draws: a
// service's own, so that its traffic never shifts the draws of the HTTP
// network or of another service.
func (n *Network) streams(a, b NodeID) (latency, faultStream sim.Stream) {
	switch n.service(a, b) {
	case api.ServiceDB:
		return sim.StreamDB, sim.StreamDBFaults
	case api.ServiceKV:
		return sim.StreamKV, sim.StreamKVFaults
	case api.ServiceGateway:
		return sim.StreamGateway, sim.StreamGatewayFaults
	case api.ServiceQueue:
		return sim.StreamQueue, sim.StreamQueueFaults
	}
	return sim.StreamNetwork, sim.StreamFaults
}

// Start resolves the plan against the nodes added so far and schedules the
// partitions. It fails if the plan names a node that does not exist.
func (n *Network) Start() error {
	n.ruled = make([]bool, len(n.nodes))
	for _, r := range n.plan.Links {
		a, err := n.resolve(r.A)
		if err != nil {
			return fmt.Errorf("network: link %s: %w", r, err)
		}
		b, err := n.resolve(r.B)
		if err != nil {
			return fmt.Errorf("network: link %s: %w", r, err)
		}
		for i := range n.ruled {
			n.ruled[i] = n.ruled[i] || a[i] || b[i]
		}
		n.rules = append(n.rules, rule{LinkRule: r, a: a, b: b})
	}
	parts := n.plan.Partitions
	if n.plan.Replay != nil {
		n.replay = make(map[replayKey]sim.Duration)
		for _, f := range n.plan.Replay {
			switch {
			case f.Kind == faults.PartitionFault:
				// A recorded partition that the plan also holds runs once.
				if !slices.ContainsFunc(parts, func(p faults.Partition) bool { return p.String() == f.Partition.String() }) {
					parts = append(parts, f.Partition)
				}
			case f.Kind.OnMessage():
				n.replay[replayKey{f.Kind, f.Msg}] = f.Extra
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
			n.add(PartitionRecord{Index: idx}.Record())
		}))
		n.k.At(p.To, sim.Func(func() {
			n.add(PartitionRecord{Index: idx, Heals: true}.Record())
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
		for j+1 < len(n.nodes) && n.nodes[j+1].group == n.nodes[i].group && n.nodes[i].service == api.NoService {
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

// Decide reports whether the fault kind hits the message or call ref, at
// random with probability rate from stream or, when replaying, exactly when
// the list says so. A fault that fires is logged.
func (n *Network) Decide(kind faults.Kind, ref faults.Ref, rate float64, stream sim.Stream) (faults.Fault, bool) {
	extra, hit := n.hits(kind, &ref, rate, stream)
	f := faults.Fault{Kind: kind, At: n.k.Now(), Msg: ref, Extra: extra}
	if hit {
		n.log.Add(f)
	}
	return f, hit
}

// hits is Decide without building or logging the fault, for the message
// path, where a fault is rare and the fault record large: extra is the
// recorded Extra of a replayed fault.
func (n *Network) hits(kind faults.Kind, ref *faults.Ref, rate float64, stream sim.Stream) (extra sim.Duration, hit bool) {
	if n.replay != nil {
		extra, ok := n.replay[replayKey{kind, *ref}]
		return extra, ok
	}
	switch {
	case rate <= 0:
		return 0, false
	case rate < 1 && !n.ch.Flip(stream, rate):
		return 0, false
	}
	return 0, true
}

// Replaying reports whether random fault decisions are replaced by a list.
func (n *Network) Replaying() bool { return n.replay != nil }

// add puts r in the trace at the present moment.
func (n *Network) add(r sim.Record) {
	r.At = n.k.Now()
	n.trace.Add(r)
}

func (n *Network) record(fate uint16, m *Msg, delay sim.Duration) {
	n.add(MsgRecord{Fate: fate, Src: m.Src, Dst: m.Dst, ID: n.ID(m), Delay: delay}.Record())
}

// link is Link without the copy when no rule names either end: the plan's
// own link, or *buf.
func (n *Network) link(a, b NodeID, buf *faults.Link) *faults.Link {
	if n.ruled[a] || n.ruled[b] {
		*buf = n.Link(a, b)
		return buf
	}
	if n.service(a, b) != api.NoService {
		return &n.plan.ServiceLink
	}
	return &n.plan.Link
}

// newMsg takes a message from the free list, or allocates one; it names c,
// which counts it.
func (n *Network) newMsg(c *call) *Msg {
	c.refs++
	if k := len(n.freeMsgs); k > 0 {
		m := n.freeMsgs[k-1]
		n.freeMsgs = n.freeMsgs[:k-1]
		return m
	}
	return new(Msg)
}

// copyMsg is a new message equal to m (a duplicate, a failure notice).
func (n *Network) copyMsg(m *Msg) *Msg {
	c := n.newMsg(m.call)
	*c = *m
	return c
}

// free ends message m's life: it was lost, or it fired and was not handed to
// a receiver, or its receiver released it. Nothing names it any more.
func (n *Network) free(m *Msg) {
	c := m.call
	if m != &c.req {
		*m = Msg{} // drop the payload for the collector
		n.freeMsgs = append(n.freeMsgs, m)
	}
	n.unref(c)
}

// unref drops one of c's holders, and recycles c when it was the last.
func (n *Network) unref(c *call) {
	c.refs--
	if c.refs == 0 {
		*c = call{gen: c.gen + 1}
		n.freeCalls = append(n.freeCalls, c)
	}
}

// check panics if m outlived its call: the free lists' invariant, checked
// wherever a message is used, so that a broken count fails loudly instead
// of answering another call.
func (m *Msg) check() {
	if m.call == nil || m.gen != m.call.gen {
		panic(fmt.Sprintf("network: message %s used after its call was recycled", m.Ref))
	}
}

// Release tells the network that the receiver of request m is done with
// it: it will neither read it nor reply to it again, so it can be recycled.
// A receiver that never calls it only costs an allocation.
func (n *Network) Release(m *Msg) {
	m.check()
	n.free(m)
}

// send puts m on the wire. m is not queued if the link loses it; it is then
// freed here, and the caller must not touch it again.
func (n *Network) send(m *Msg) {
	n.stats.Sent++
	var buf faults.Link
	link := n.link(m.Src, m.Dst, &buf)
	latency, faultStream := n.streams(m.Src, m.Dst)
	service := m.call.service
	if n.cut(m.Src, m.Dst) {
		n.stats.Cut++
		n.record(TraceCut, m, 0)
		n.breakCall(m, link, latency)
		n.free(m)
		return
	}
	drop, rate := faults.DropRequest, link.DropRequestRate
	if m.Dir == Response {
		drop, rate = faults.DropResponse, link.DropResponseRate
	}
	if extra, hit := n.hits(drop, &m.Ref, rate, faultStream); hit {
		n.log.Add(faults.Fault{Kind: drop, At: n.k.Now(), Msg: m.Ref, Extra: extra})
		n.stats.Dropped++
		n.record(TraceDrop, m, 0)
		n.breakCall(m, link, latency)
		n.free(m)
		return
	}
	delay := link.Delay.Sample(n.ch, latency)
	n.record(TraceSend, m, delay)
	n.k.After(delay, m)
	if m.Ref.Copy || service {
		return // a copy is not copied again; a connection does not duplicate
	}
	dup := faults.DuplicateRequest
	if m.Dir == Response {
		dup = faults.DuplicateResponse
	}
	if extra, hit := n.hits(dup, &m.Ref, link.DuplicateRate, faultStream); hit {
		if !n.Replaying() {
			// At least 1ns, so the copy arrives after the original even
			// on a zero-latency link.
			extra = max(1, link.Delay.Sample(n.ch, faultStream))
		}
		n.log.Add(faults.Fault{Kind: dup, At: n.k.Now(), Msg: m.Ref, Extra: extra})
		n.stats.Duplicated++
		c := n.copyMsg(m)
		c.Ref.Copy = true
		n.record(TraceDuplicate, m, delay+extra)
		n.k.After(delay+extra, c)
	}
}

// breakCall tells a service call's caller that its connection broke, at the
// moment the lost message would have arrived. An HTTP caller is told
// nothing: it waits for its timeout.
func (n *Network) breakCall(m *Msg, link *faults.Link, latency sim.Stream) {
	if !m.call.service {
		return
	}
	notice := n.copyMsg(m)
	notice.fail = true
	n.k.After(link.Delay.Sample(n.ch, latency), notice)
}

func (n *Network) failCall(m *Msg) {
	c := m.call
	if c.done {
		return
	}
	n.stats.Failed++
	n.record(TraceBroken, m, 0)
	c.done, c.failed = true, true
	n.k.Wake(c.proc)
}

// deliver hands m to its destination; it reports whether m is done with (a
// request handed to a receiver is not, until the receiver releases it).
func (n *Network) deliver(m *Msg) (done bool) {
	if n.cut(m.Src, m.Dst) {
		n.stats.Cut++
		n.record(TraceCut, m, 0)
		latency, _ := n.streams(m.Src, m.Dst)
		var buf faults.Link
		n.breakCall(m, n.link(m.Src, m.Dst, &buf), latency)
		return true
	}
	if m.Dir == Request {
		n.stats.Delivered++
		n.record(TraceDeliver, m, 0)
		n.nodes[m.Dst].deliver(m)
		return false
	}
	c := m.call
	if c.done {
		n.stats.Late++
		n.record(TraceLate, m, 0)
		return true
	}
	n.stats.Delivered++
	n.record(TraceDeliver, m, 0)
	c.done = true
	c.resp = m.Payload
	n.k.Wake(c.proc)
	return true
}

// Outcome is how a Call ended.
type Outcome uint8

// The outcomes of a call.
const (
	Answered Outcome = iota // the response arrived
	TimedOut                // the caller's timeout passed first
	Broken                  // a service call's connection broke: a message was lost
)

// Call sends payload from src to dst as the request ref, and parks p until
// the response arrives, timeout passes (0: no timeout), or — when dst or
// src is a service — the connection breaks.
func (n *Network) Call(p *sim.Proc, src, dst NodeID, ref faults.Ref, payload any, timeout sim.Duration) (any, Outcome) {
	caller := src // a client calls as itself; a server's handler for its client
	if n.nodes[src].name != ref.Caller {
		var ok bool
		if caller, ok = n.byName[ref.Caller]; !ok {
			p.Alive()
			panic(fmt.Sprintf("network: call %s from an unknown caller", ref))
		}
	}
	return n.CallAs(p, src, dst, caller, ref, payload, timeout)
}

// CallAs is Call for a caller that knows the node ref.Caller names (a
// handler: its request's Caller), which saves looking it up by name.
func (n *Network) CallAs(p *sim.Proc, src, dst, caller NodeID, ref faults.Ref, payload any, timeout sim.Duration) (any, Outcome) {
	p.Alive()
	var c *call
	if k := len(n.freeCalls); k > 0 {
		c = n.freeCalls[k-1]
		n.freeCalls = n.freeCalls[:k-1]
	} else {
		c = new(call)
	}
	// Two holders: this Call, and the request. A Call whose actor is
	// killed while it waits never lets go: its call is left to the
	// collector.
	c.proc, c.service, c.refs = p, n.service(src, dst) != api.NoService, 2
	c.req = Msg{Src: src, Dst: dst, Dir: Request, Ref: ref, Payload: payload, caller: caller, gen: c.gen, call: c, net: n}
	n.send(&c.req)
	if timeout <= 0 {
		for !c.done {
			p.Wait()
		}
	} else {
		deadline := n.k.Now().Add(timeout)
		for !c.done {
			if !p.WaitFor(deadline.Sub(n.k.Now())) {
				c.done = true
				n.unref(c)
				return nil, TimedOut
			}
		}
	}
	resp, out := c.resp, Answered
	if c.failed {
		resp, out = nil, Broken
	}
	n.unref(c)
	return resp, out
}

// Reply answers request req with payload. The connection may reset after
// processing (the link's reset rate), in which case nothing is sent.
func (n *Network) Reply(req *Msg, payload any) {
	req.check()
	m := n.newMsg(req.call)
	*m = Msg{Src: req.Dst, Dst: req.Src, Dir: Response, Ref: req.Ref, Payload: payload, caller: req.caller, gen: req.gen, call: req.call, net: n}
	var buf faults.Link
	link := n.link(m.Src, m.Dst, &buf)
	latency, faultStream := n.streams(m.Src, m.Dst)
	if extra, hit := n.hits(faults.Reset, &m.Ref, link.ResetRate, faultStream); hit {
		n.log.Add(faults.Fault{Kind: faults.Reset, At: n.k.Now(), Msg: m.Ref, Extra: extra})
		n.stats.Reset++
		n.record(TraceReset, m, 0)
		n.breakCall(m, link, latency)
		n.free(m)
		return
	}
	n.send(m)
}
