package explore

import (
	"fmt"
	"slices"

	"github.com/idemsim/idemsim/sim"
)

// TieMode is how a search treats the order of events due at one instant.
type TieMode uint8

// The tie modes.
const (
	// TiesNone keeps the kernel's order (earliest scheduled first), as
	// the first part of the explorer did: the zero value, so that a
	// search that does not ask for ties is the one it was.
	TiesNone TieMode = iota
	// TiesDPOR explores one order per class of equivalent orders (orders
	// that differ only by swapping independent events), found by
	// source-set dynamic partial-order reduction with sleep sets.
	TiesDPOR
	// TiesAll explores every order: the naive enumeration DPOR is checked
	// against.
	TiesAll
)

var tieModeNames = []string{"none", "dpor", "all"}

func (m TieMode) String() string { return tieModeNames[m] }

// TieModeSyntax is the accepted values of a tie mode, for error messages.
const TieModeSyntax = "dpor, all or none"

// streamResources are the seeded streams as resources.
var streamResources = func() (r [numStreams]uint64) {
	for s := range r {
		r[s] = sim.Resource("stream", sim.Stream(s).String())
	}
	return r
}()

// ParseTieMode reads a tie mode by its name.
func ParseTieMode(s string) (TieMode, error) {
	for i, n := range tieModeNames {
		if n == s {
			return TieMode(i), nil
		}
	}
	return 0, fmt.Errorf("unknown tie mode %q (accepted: %s)", s, TieModeSyntax)
}

// event is one event a run popped, as the recorder saw it: its sequence
// number, the event that scheduled it (0: none), its instant, whether it
// was stale, the resources it touched (sorted, without repeats), and the
// index of the tie point that chose it (-1: it ran without a choice).
type event struct {
	seq, parent uint64
	at          sim.Time
	stale       bool
	foot        []uint64
	node        int
}

// dependent reports whether two footprints share a resource (or one of
// them touched sim.Everything): then the events' order may matter.
func dependent(a, b []uint64) bool {
	for _, r := range a {
		if r == sim.Everything {
			return true
		}
	}
	for _, r := range b {
		if r == sim.Everything || slices.Contains(a, r) {
			return true
		}
	}
	return false
}

// addResource adds r to a sorted footprint.
func addResource(foot []uint64, r uint64) []uint64 {
	i, ok := slices.BinarySearch(foot, r)
	if ok {
		return foot
	}
	return slices.Insert(foot, i, r)
}

// union adds b's resources to a.
func union(a, b []uint64) []uint64 {
	for _, r := range b {
		a = addResource(a, r)
	}
	return a
}

// recorder is what a run's DPOR chooser keeps of its events: the log, and
// which event scheduled each sequence number.
type recorder struct {
	events  []event
	parents []uint64 // by sequence number
	cur     int      // the running event's index in events, -1 before the first
	// chosen is the event the last tie point chose, and that point.
	chosen     uint64
	chosenNode int
	// owners caches each owner's process resource (read by key only).
	owners map[string]uint64
}

func (r *recorder) begin(t sim.Tie, at sim.Time) {
	var parent uint64
	if t.Seq < uint64(len(r.parents)) {
		parent = r.parents[t.Seq]
	}
	e := event{seq: t.Seq, parent: parent, at: at, stale: t.Stale, node: -1}
	if t.Seq == r.chosen {
		e.node = r.chosenNode
	}
	// An event's own process is always in its footprint: two events of
	// one owner are dependent. A callback with no owner may reach
	// anything.
	if t.Owner == "" {
		e.foot = []uint64{sim.Everything}
	} else {
		res, ok := r.owners[t.Owner]
		if !ok {
			res = sim.ProcessResource(t.Owner)
			r.owners[t.Owner] = res
		}
		e.foot = []uint64{res}
	}
	r.events = append(r.events, e)
	r.cur = len(r.events) - 1
}

func (r *recorder) scheduled(seq uint64) {
	if n := int(seq) + 1; n > len(r.parents) {
		r.parents = append(r.parents, make([]uint64, n-len(r.parents))...)
	}
	if r.cur >= 0 {
		r.parents[seq] = r.events[r.cur].seq
	}
}

func (r *recorder) touch(res uint64) {
	if r.cur >= 0 {
		e := &r.events[r.cur]
		e.foot = addResource(e.foot, res)
	}
}

// sleeper is an event in a sleep set: an event enabled here whose
// exploration from an earlier point already covers every schedule that
// would run it next, with the union of the footprints it had there.
type sleeper struct {
	seq  uint64
	foot []uint64
}

// node is the search's state at one choice point of the current path. A
// fault or delay point's node is nil: its alternatives are all explored.
// A tie point's node holds the live events it offers (its alternatives,
// by index), the backtrack set (the alternatives that must be explored,
// found by race analysis), those explored, each alternative's footprint
// over every run that took it, and the sleep set the path brought.
type node struct {
	live  []uint64
	back  []bool
	done  []bool
	foot  [][]uint64
	sleep []sleeper
}

func newNode(live []uint64, sleep []sleeper, taken int) *node {
	n := &node{live: live, back: make([]bool, len(live)), done: make([]bool, len(live)), foot: make([][]uint64, len(live)), sleep: sleep}
	n.back[taken] = true
	return n
}

// asleep reports whether the event seq is in the node's inherited sleep
// set.
func (n *node) asleep(seq uint64) bool {
	return slices.ContainsFunc(n.sleep, func(s sleeper) bool { return s.seq == seq })
}

// sleepFor is the sleep set of a run that takes alternative taken here:
// the inherited one and the alternatives explored before.
func (n *node) sleepFor(taken int) []sleeper {
	out := slices.Clone(n.sleep)
	for j, d := range n.done {
		if d && j != taken {
			out = append(out, sleeper{seq: n.live[j], foot: n.foot[j]})
		}
	}
	return out
}

// nextAlt is the alternative to explore after the current one, or -1: one
// in the backtrack set, not explored, not the one taken, not asleep.
func (n *node) nextAlt(taken int) int {
	for j := range n.live {
		if n.back[j] && !n.done[j] && j != taken && !n.asleep(n.live[j]) {
			return j
		}
	}
	return -1
}

// addBacktrack puts one of initials (sequence numbers) in the backtrack
// set unless one already is: the first that is live here and not asleep.
// When none of them is live here (the race analysis assumed more than
// the run showed), every alternative is added: soundness first.
func (n *node) addBacktrack(initials []uint64) {
	found := false
	for j, s := range n.live {
		if slices.Contains(initials, s) {
			found = true
			if n.back[j] {
				return
			}
		}
	}
	if !found {
		for j := range n.back {
			n.back[j] = true
		}
		return
	}
	for j, s := range n.live {
		if slices.Contains(initials, s) && !n.asleep(s) {
			n.back[j] = true
			return
		}
	}
}

// bitset is a set of small integers.
type bitset []uint64

func newBitset(n int) bitset    { return make(bitset, (n+63)/64) }
func (b bitset) has(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }
func (b bitset) set(i int)      { b[i/64] |= 1 << (i % 64) }
func (b bitset) or(c bitset) {
	for i := range b {
		b[i] |= c[i]
	}
}

// reversals finds the races of a run's events and, for each, the events
// whose running first at the racing event's tie point would reverse it
// (the initials of the reversal), calling add(node, initials). Events race
// only within one instant (time orders the rest, and delay points, which
// the search enumerates, move it). Within an instant, an event happens
// before another when it scheduled it, or when the two are dependent and
// it ran first, or through a chain of such; two dependent events race
// when neither scheduling nor a third event in between orders them, and
// the first was chosen at a tie point (an event that ran alone had no
// rival then).
func reversals(evs []event, add func(node int, initials []uint64)) {
	for lo := 0; lo < len(evs); {
		hi := lo + 1
		for hi < len(evs) && evs[hi].at == evs[lo].at {
			hi++
		}
		instant(evs[lo:hi], add)
		lo = hi
	}
}

// instant is reversals within the events of one instant.
func instant(evs []event, add func(node int, initials []uint64)) {
	n := len(evs)
	if n < 2 {
		return
	}
	at := make(map[uint64]int, n) // sequence number to index
	for i, e := range evs {
		at[e.seq] = i
	}
	pred := make([]bitset, n)  // happens-before predecessors
	cause := make([]bitset, n) // scheduling predecessors
	dep := make([]bitset, n)   // dependent earlier events
	for j := range evs {
		pred[j], cause[j], dep[j] = newBitset(n), newBitset(n), newBitset(n)
		p, scheduled := at[evs[j].parent]
		if scheduled && p < j {
			cause[j].or(cause[p])
			cause[j].set(p)
			pred[j].or(pred[p])
			pred[j].set(p)
		}
		for i := range j {
			if dependent(evs[i].foot, evs[j].foot) {
				dep[j].set(i)
				pred[j].or(pred[i])
				pred[j].set(i)
			}
		}
	}
	for j := range evs {
		for i := range j {
			e := &evs[i]
			if !dep[j].has(i) || e.stale || e.node < 0 || cause[j].has(i) {
				continue
			}
			between := false
			for k := i + 1; k < j && !between; k++ {
				between = pred[k].has(i) && pred[j].has(k)
			}
			if between {
				continue
			}
			// v: the events after e not ordered after it, then the
			// rival; its initials are those with no predecessor in v.
			v := []int{}
			for k := i + 1; k < j; k++ {
				if !pred[k].has(i) {
					v = append(v, k)
				}
			}
			v = append(v, j)
			var initials []uint64
			for x, k := range v {
				first := true
				for _, m := range v[:x] {
					if pred[k].has(m) {
						first = false
						break
					}
				}
				if first {
					initials = append(initials, evs[k].seq)
				}
			}
			add(e.node, initials)
		}
	}
}

// absorb takes a DPOR run into the search's path: the tie points it
// created become nodes, each tie point's chosen event adds what it touched
// to its alternative's footprint, and every race among the events that
// ran (before a sleep set blocked the run) adds the reversal's first
// event to the backtrack set of the point the race's first event was
// chosen at, if that point lies at or below floor: the points above a
// subtree's root are never changed.
func absorb(d *dporRun, points []Point, taken []int, stack []*node, floor int) []*node {
	stack = append(stack, d.nodes...)
	for len(stack) < len(points) {
		stack = append(stack, nil)
	}
	evs := d.rec.events
	if d.blocked {
		evs = evs[:d.blockedAt]
	}
	for i := range evs {
		e := &evs[i]
		if e.node >= 0 {
			nd := stack[e.node]
			if a := taken[e.node]; nd.live[a] == e.seq {
				nd.foot[a] = union(nd.foot[a], e.foot)
			}
		}
	}
	reversals(evs, func(at int, initials []uint64) {
		if at >= floor && at < len(stack) && stack[at] != nil {
			stack[at].addBacktrack(initials)
		}
	})
	if stack == nil {
		stack = []*node{} // a DPOR search's path, even with no point
	}
	return stack
}

// nextDPOR is next for a DPOR search: fault and delay points take their
// next alternative, tie points the next of their backtrack set that is
// neither explored nor asleep. The path's nodes below the point changed
// are dropped with the prefix.
func nextDPOR(points []Point, taken []int, stack []*node, floor int) ([]int, []*node, bool) {
	for i := len(points) - 1; i >= floor; i-- {
		if nd := stack[i]; nd != nil {
			j := nd.nextAlt(taken[i])
			if j < 0 {
				continue
			}
			nd.done[taken[i]] = true
			prefix := slices.Clone(taken[:i+1])
			prefix[i] = j
			return prefix, stack[:i+1], true
		}
		if taken[i]+1 < points[i].Alts {
			prefix := slices.Clone(taken[:i+1])
			prefix[i]++
			return prefix, stack[:i+1], true
		}
	}
	return nil, nil, false
}
