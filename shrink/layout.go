package shrink

import (
	"slices"
	"strconv"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// layout is which queues, worker slots, operations and servers of a run
// are kept (numbered from 1, as the run names them). Applying it renames
// what is kept so that the smaller run names it the same way a run of its
// size would (queue 5 of those kept becomes o1 if it is the first), and
// drops every fault that names something removed.
type layout struct {
	workers int   // the run's workers per queue
	queues  []int // kept queues
	slots   []int // kept worker slots within a queue
	ops     []int // kept operation indexes within a queue
	servers int   // servers kept: s1..s<servers>
	// fold: a fault on a removed server moves to a kept one (sK to
	// s((K-1) mod servers + 1)) rather than going.
	fold bool
	// rotate renames the kept servers, sK to s((K-1+rotate) mod servers
	// + 1), and what names them with them: under round-robin the first
	// request goes to s1, so this picks which server's faults it meets.
	rotate int
}

// identity keeps everything of cfg.
func identity(cfg world.Config) layout {
	return layout{workers: cfg.WorkersPerOp, queues: seq(cfg.Clients / cfg.WorkersPerOp), slots: seq(cfg.WorkersPerOp), ops: seq(cfg.OpsPerClient), servers: cfg.Servers}
}

func (l layout) withQueues(q []int) layout { l.queues = q; return l }
func (l layout) withSlots(s []int) layout  { l.slots = s; return l }
func (l layout) withOps(o []int) layout    { l.ops = o; return l }

// apply is cfg cut down to the layout, its faults, clocks and link rules
// renamed; false if what is left does not make a valid run.
func (l layout) apply(cfg world.Config) (world.Config, bool) {
	cfg.Clients, cfg.WorkersPerOp = len(l.queues)*len(l.slots), len(l.slots)
	cfg.OpsPerClient, cfg.Servers = len(l.ops), l.servers
	list := make([]faults.Fault, 0, len(cfg.Faults.Replay))
	for _, f := range cfg.Faults.Replay {
		if g, ok := l.fault(f); ok {
			list = append(list, g)
		}
	}
	cfg.Faults.Replay = list
	var clocks []world.Clock
	for _, c := range cfg.Clocks {
		if name, ok := l.node(c.Node); ok {
			c.Node = name
			clocks = append(clocks, c)
		}
	}
	cfg.Clocks = clocks
	var rules []faults.LinkRule
	for _, r := range cfg.Faults.Links {
		a, okA := l.nodes(r.A)
		b, okB := l.nodes(r.B)
		if okA && okB {
			r.A, r.B = a, b
			rules = append(rules, r)
		}
	}
	cfg.Faults.Links = rules
	return cfg, cfg.Validate() == nil
}

// fault renames f into the layout, or reports that it names something
// removed.
func (l layout) fault(f faults.Fault) (faults.Fault, bool) {
	ok := true
	switch {
	case f.Kind.OnMessage():
		f.Msg, ok = l.ref(f.Msg)
	case f.Kind == faults.PartitionFault:
		var okB bool
		f.Partition.A, ok = l.nodes(f.Partition.A)
		f.Partition.B, okB = l.nodes(f.Partition.B)
		ok = ok && okB
	case f.Kind == faults.CrashAtFault:
		f.Point.Node, ok = l.node(f.Point.Node)
	default: // crashes, pauses, failovers: a node at a moment
		f.Crash.Node, ok = l.node(f.Crash.Node)
		if f.Anchored() && ok {
			// and at a step of a request that must still exist
			f.Anchor, ok = l.ref(f.Anchor)
		}
	}
	return f, ok
}

// ref renames a message reference.
func (l layout) ref(r faults.Ref) (faults.Ref, bool) {
	if r.Worker != "" {
		var ok bool
		r.Caller, ok = l.node(r.Caller) // a server's background worker
		return r, ok
	}
	caller, ok := l.node(r.Caller)
	if !ok {
		return r, false
	}
	q, okQ := position(l.queues, int(r.Op.Queue))
	i, okI := position(l.ops, int(r.Op.Index))
	if !okQ || !okI {
		return r, false
	}
	r.Caller, r.Op = caller, api.OpID{Queue: int32(q), Index: int32(i)}
	return r, true
}

// node renames a node: a client by its queue and slot, a server if it is
// kept; the services and groups stay.
func (l layout) node(name string) (string, bool) {
	if len(name) < 2 || name[0] != 'c' && name[0] != 's' {
		return name, true
	}
	n, err := strconv.Atoi(name[1:])
	if err != nil || n < 1 {
		return name, true // "clients", "servers", "services"
	}
	if name[0] == 's' {
		if n > l.servers && !l.fold {
			return name, false
		}
		return "s" + strconv.Itoa(((n-1)%l.servers+l.rotate)%l.servers+1), true
	}
	q, okQ := position(l.queues, (n-1)/l.workers+1)
	j, okJ := position(l.slots, (n-1)%l.workers+1)
	if !okQ || !okJ {
		return name, false
	}
	return "c" + strconv.Itoa((q-1)*len(l.slots)+j), true
}

// nodes renames a node set, dropping removed nodes; false if none is left.
func (l layout) nodes(set faults.NodeSet) (faults.NodeSet, bool) {
	var out faults.NodeSet
	for _, name := range set {
		if n, ok := l.node(name); ok {
			out = append(out, n)
		}
	}
	return out, len(out) > 0
}

// position is v's place (from 1) in kept, which is sorted.
func position(kept []int, v int) (int, bool) {
	i, found := slices.BinarySearch(kept, v)
	return i + 1, found
}
