package check

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/anishathalye/porcupine"

	"github.com/idemsim/idemsim/sim/api"
)

// This file holds the sequential specification of each response contract:
// what a strategy that declares the contract promises its clients about the
// operations of one partition (the operations and keys that share attempts,
// see Linearize), written as a porcupine model.
//
// The abstract state is, per operation of the partition, how many times it
// has taken effect and what its answers have bound it to, and per key
// whether work under it has taken effect (a payment exists at a
// client-chosen id: a delete can remove it) or was accepted for later. An
// attempt's answer is read twice: by what its status means under the
// contract (the request acted, it may have, it reports that the key's work
// is done or is not, it accepted the work for later), and by what its
// client concluded from it, if the client stopped on it (done: the
// operation took effect; failed: it did not and never will). The audit
// read that ends every partition's history says how many effects the
// ledger holds for each operation, and must match.

// request is a porcupine operation's input: one attempt, or the audit read.
type request struct {
	Audit  bool     // the final read of the ledger, after the run's end
	Kind   api.Kind // create, poll or delete
	Op     int      // the attempt's operation: an index into the partition's operations
	Key    int      // the attempt's key: an index into the partition's keys
	Client string
	N      int  // the attempt's number within its client's operation
	Copy   bool // the network's copy of the attempt
}

// reading is what a client concluded from an answer, when it stopped on it.
type reading uint8

const (
	readNothing reading = iota // the client went on (retried, polled, re-read), or the answer never came
	readDone                   // the client concluded the operation happened
	readFailed                 // the client concluded the operation failed for good
)

// answer is a porcupine operation's output.
type answer struct {
	Unknown  bool // no answer came (timed out, or the client crashed waiting): it may or may not have acted
	Status   int
	Resource string
	Reading  reading
	Effects  []int // the audit read: effects per operation of the partition, in its order
}

// rules are the parts of a specification that only the order of the
// answers, or the resources they name, can break: Linearize switches them
// off to say why an illegal partition is illegal.
type rules uint8

const (
	// ruleOrder: a "done" answer needs the effect in place when it is
	// given (not merely by the end of the run), and a read (a GET, a 202
	// saying "pending", a 404) must agree with the key's state at its
	// moment.
	ruleOrder rules = 1 << iota
	// ruleNames: every answer that names a resource names the one its
	// operation is bound to, never another operation's, and under
	// client-chosen ids the key itself.
	ruleNames

	strict   = ruleOrder | ruleNames
	endState = rules(0) // only what the ledger's final counts can contradict
)

// spec is a contract's specification for one partition.
type spec struct {
	contract api.Contract
	rules    rules
	ops      []api.OpID // the partition's operations, for descriptions
	keys     []string   // the partition's keys: a client-chosen id is its key
	// final are the effects the audit read will find per operation.
	// Effects never go away, so a step that would take an operation past
	// its final count leads nowhere: knowing the counts from the start
	// prunes such steps at once instead of at the audit read, which
	// changes no verdict and spares porcupine most of its search.
	final []int
}

// known reports whether the contract has a specification.
func known(c api.Contract) bool {
	return slices.Contains(api.Contracts(), c)
}

// opState is what the specification knows of one operation.
type opState struct {
	effects  int  // times it took effect (under contract none, 0 or 1: more are allowed)
	owed     bool // a client was told it is done (without the order rule: it must be by the end)
	refused  bool // a client was told it failed for good: it must never take effect
	resource string
}

// keyState is what the specification knows of one key: what a server says
// about the key reads it.
type keyState struct {
	// there: work under this key took effect (a payment exists at a
	// client-chosen id: a delete removes it).
	there bool
	// promised: 202-then-poll accepted work under this key, for
	// operation owner. The work takes effect at some moment after the
	// accept (a background worker does it), which the specification
	// places where an answer first needs it, or at the end.
	promised bool
	owner    int
}

// state is the abstract state of a partition. It holds slices, so == cannot
// compare it (porcupine would panic in its checker goroutines): equal and
// hash do.
type state struct {
	ops  []opState
	keys []keyState
}

func (s state) equal(o state) bool {
	return slices.Equal(s.ops, o.ops) && slices.Equal(s.keys, o.keys)
}

func (s state) hash() uint64 {
	// FNV-1a over the fields, without building a byte slice.
	h := uint64(14695981039346656037)
	mix := func(v uint64) {
		h ^= v
		h *= 1099511628211
	}
	flag := func(on bool) uint64 {
		if on {
			return 1
		}
		return 0
	}
	for _, o := range s.ops {
		mix(uint64(o.effects)<<2 | flag(o.owed)<<1 | flag(o.refused))
		for i := 0; i < len(o.resource); i++ {
			mix(uint64(o.resource[i]))
		}
		mix(0xff)
	}
	for _, k := range s.keys {
		mix(uint64(k.owner)<<2 | flag(k.there)<<1 | flag(k.promised))
	}
	return h
}

// clone copies s so that a step can change the copy: porcupine's steps
// must not modify the state they are given.
func (sp *spec) clone(s state) state {
	return state{ops: slices.Clone(s.ops), keys: slices.Clone(s.keys)}
}

// possible reports whether the contract allows the final counts at all:
// not a duplicate where it allows one effect.
func (sp *spec) possible() bool {
	return sp.contract == api.ContractNone || !slices.ContainsFunc(sp.final, func(n int) bool { return n > 1 })
}

// initial is the state before any request; none if the final counts are
// impossible whatever happens (a duplicate under a contract that allows
// one effect).
func (sp *spec) initial() []state {
	if !sp.possible() {
		return nil
	}
	return []state{{ops: make([]opState, len(sp.ops)), keys: make([]keyState, len(sp.keys))}}
}

// meaning is what an answer says under a contract, before the client's
// reading of it.
type meaning uint8

const (
	says     meaning = iota // nothing about the effect: a refusal, "in progress, come back", a 404 from a missing handler
	mayHave                 // the request may have acted (5xx, or no answer)
	acted                   // the request acted: its work took effect now
	ensured                 // the key's work has taken effect, by this request or an earlier one (a replay)
	present                 // a read: the key's work has taken effect (no act)
	absent                  // a read: the key's work has not taken effect (yet)
	accepted                // 202 to a create: the work is accepted, still pending
	pending                 // 202 to a poll: still pending
)

// meaningOf is what an answer to a request of kind k says under the
// contract.
func (sp *spec) meaningOf(k api.Kind, a answer) meaning {
	if a.Unknown || a.Status >= 500 {
		return mayHave
	}
	ok := a.Status >= 200 && a.Status < 300
	switch sp.contract {
	case api.ContractNone, api.Contract409:
		// Under 409-on-duplicate a repeat is answered 409, which says
		// nothing by itself: the client's reading of it (done) is what
		// promises.
		if k == api.Create && ok {
			return acted
		}
	case api.ContractReplay:
		if k == api.Create && ok {
			return ensured
		}
	case api.Contract412:
		switch {
		case k == api.Create && ok:
			return acted
		case k == api.Poll && ok && a.Resource != "":
			return present
		case k == api.Poll && ok:
			return absent
		}
	case api.ContractPoll202:
		switch {
		case k == api.Create && a.Status == api.StatusAccepted:
			return accepted
		case k == api.Poll && a.Status == api.StatusAccepted:
			return pending
		case ok:
			return present // the stored outcome, once the work is done
		}
	case api.ContractChosen:
		switch {
		case k == api.Create && a.Status == api.StatusCreated:
			return acted
		case k == api.Delete && ok:
			return acted
		case ok:
			return present // a create or GET finding the payment at its id
		case a.Status == api.StatusNotFound && k != api.Create:
			return absent
		}
	}
	return says
}

// act applies a request that acted to s: a create takes effect under its
// key (under 202-then-poll, its work is accepted, to take effect later); a
// delete, under client-chosen ids, removes the payment at its key and
// takes effect as its own operation; a poll never acts. ok is false when
// the contract does not allow the act. A delete names the payment by its
// key, the id the client chose (as client-id's handler reads it), so it
// falls in the partition of the create that made the payment.
func (sp *spec) act(s state, in request) (state, bool) {
	if s.ops[in.Op].refused {
		return s, false
	}
	k := s.keys[in.Key]
	switch {
	case in.Kind == api.Poll:
		return s, true
	case in.Kind == api.Delete && sp.contract != api.ContractChosen:
		// Only client-chosen ids define a delete: every other strategy
		// answers it 404 without touching anything.
		return s, true
	case in.Kind == api.Delete:
		if !k.there {
			return s, false
		}
		s = sp.clone(s)
		s.keys[in.Key].there = false
		return sp.effect(s, in.Op)
	case sp.contract == api.ContractPoll202:
		if k.promised {
			return s, true // the key's work was accepted before: this is its status
		}
		s = sp.clone(s)
		s.keys[in.Key].promised, s.keys[in.Key].owner = true, in.Op
		return s, true
	case sp.contract == api.ContractChosen && k.there:
		return s, false // an id is created only where none is
	}
	s = sp.clone(s)
	s.keys[in.Key].there = true
	return sp.effect(s, in.Op)
}

// effect counts one more effect of operation op in s, which the caller
// owns: one at most, except under contract none, which allows any number
// and so only records that there is one.
func (sp *spec) effect(s state, op int) (state, bool) {
	o := &s.ops[op]
	if o.effects > 0 && sp.contract != api.ContractNone || sp.final != nil && sp.final[op] == 0 {
		return s, false
	}
	o.effects = 1
	return s, true
}

// realize makes the work accepted under key take effect now, if it has
// not: ok reports whether the key's work has then taken effect.
func (sp *spec) realize(s state, key int) (state, bool) {
	k := s.keys[key]
	if k.there || !k.promised || s.ops[k.owner].refused {
		return s, k.there
	}
	s = sp.clone(s)
	s.keys[key].there = true
	return sp.effect(s, k.owner)
}

// step is the specification's transition: the states s can move to when
// request in gets answer out (none if the answer breaks the contract).
func (sp *spec) step(s state, in request, out answer) []state {
	if in.Audit {
		if sp.audit(s, out.Effects) {
			return []state{s}
		}
		return nil
	}
	var next []state
	switch m := sp.meaningOf(in.Kind, out); m {
	case mayHave:
		next = append(next, s)
		if t, ok := sp.act(s, in); ok && !t.equal(s) {
			next = append(next, t)
		}
	case acted:
		if t, ok := sp.act(s, in); ok {
			next = append(next, t)
		}
	case ensured:
		// A replay if the operation took effect already; else the
		// request acted, or (when another operation's work is done
		// under the same key, a key reused) it was answered that
		// work's replay.
		if s.ops[in.Op].effects > 0 || s.keys[in.Key].there {
			next = append(next, s)
		}
		if s.ops[in.Op].effects == 0 {
			if t, ok := sp.act(s, in); ok {
				next = append(next, t)
			}
		}
	case accepted:
		if t, ok := sp.act(s, in); ok && sp.reads(t, in, pending) {
			next = append(next, t)
		}
	case present:
		t, ok := s, sp.reads(s, in, present)
		if sp.rules&ruleOrder != 0 && sp.contract == api.ContractPoll202 {
			t, ok = sp.realize(s, in.Key)
		}
		if ok {
			next = append(next, t)
		}
	default:
		if sp.reads(s, in, m) {
			next = append(next, s)
		}
	}
	kept := next[:0]
	for _, t := range next {
		if t, ok := sp.named(t, in, out); ok {
			if t, ok := sp.concluded(t, in, out.Reading); ok {
				kept = append(kept, t)
			}
		}
	}
	return kept
}

// reads reports whether a read answered m under the request's key agrees
// with s (always, without the order rule).
func (sp *spec) reads(s state, in request, m meaning) bool {
	if sp.rules&ruleOrder == 0 {
		return true
	}
	switch m {
	case present:
		return s.keys[in.Key].there
	case absent, pending:
		return !s.keys[in.Key].there
	}
	return true
}

// named applies the resource an answer names.
func (sp *spec) named(s state, in request, out answer) (state, bool) {
	r := out.Resource
	if sp.rules&ruleNames == 0 || r == "" || sp.contract == api.ContractNone {
		// Under contract none every request makes its own payment.
		return s, true
	}
	if sp.contract == api.ContractChosen {
		return s, r == sp.keys[in.Key]
	}
	for i, o := range s.ops {
		if i != in.Op && o.resource == r {
			return s, false // another operation's resource
		}
	}
	switch s.ops[in.Op].resource {
	case r:
		return s, true
	case "":
		s = sp.clone(s)
		s.ops[in.Op].resource = r
		return s, true
	}
	return s, false
}

// concluded applies the client's reading of an answer it stopped on.
func (sp *spec) concluded(s state, in request, rd reading) (state, bool) {
	switch rd {
	case readDone:
		if sp.rules&ruleOrder == 0 {
			if !s.ops[in.Op].owed {
				s = sp.clone(s)
				s.ops[in.Op].owed = true
			}
			return s, true
		}
		if sp.contract == api.ContractPoll202 && s.keys[in.Key].promised && s.keys[in.Key].owner == in.Op {
			s, _ = sp.realize(s, in.Key)
		}
		return s, s.ops[in.Op].effects > 0
	case readFailed:
		// Failed for good: no effect now, and none ever after. (Effects
		// never go away, so this is also what the final count alone can
		// say: it holds without the order rule.)
		if s.ops[in.Op].effects > 0 {
			return s, false
		}
		if !s.ops[in.Op].refused {
			s = sp.clone(s)
			s.ops[in.Op].refused = true
		}
	}
	return s, true
}

// audit reports whether the ledger's final counts agree with s: each
// operation took effect as many times as the state says (under contract
// none: at least once exactly when the state has an effect), where an
// operation whose work a 202 accepted, and which no client was told
// failed, has taken effect; and an operation a client was told is done
// has taken effect.
func (sp *spec) audit(s state, effects []int) bool {
	accepted := make([]bool, len(s.ops))
	for _, k := range s.keys {
		if k.promised {
			accepted[k.owner] = true
		}
	}
	for i, o := range s.ops {
		n := o.effects
		if accepted[i] && !o.refused {
			n = max(n, 1)
		}
		if o.owed && n == 0 {
			return false
		}
		got := effects[i]
		if sp.contract == api.ContractNone {
			got = min(got, 1)
		}
		if got != n {
			return false
		}
	}
	return true
}

// model is the specification as a porcupine model. Its steps branch (a
// request that may have acted leads to two states), so it is written as a
// nondeterministic model and turned into a deterministic one over sets of
// states; equality and hashing are defined on the states themselves.
func (sp *spec) model() porcupine.Model {
	nm := porcupine.NondeterministicModel{
		Init: func() []any {
			var states []any
			for _, s := range sp.initial() {
				states = append(states, s)
			}
			return states
		},
		Step: func(st, in, out any) []any {
			next := sp.step(st.(state), in.(request), out.(answer))
			states := make([]any, len(next))
			for i, t := range next {
				states[i] = t
			}
			return states
		},
		Equal:             func(a, b any) bool { return a.(state).equal(b.(state)) },
		Hash:              func(st any) uint64 { return st.(state).hash() },
		DescribeOperation: func(in, out any) string { return sp.describe(in.(request), out.(answer)) },
		DescribeState:     func(st any) string { return sp.describeState(st.(state)) },
	}
	return nm.ToModel()
}

func (sp *spec) describe(in request, out answer) string {
	if in.Audit {
		parts := make([]string, len(sp.ops))
		for i, op := range sp.ops {
			parts[i] = op.String() + "=" + strconv.Itoa(out.Effects[i])
		}
		return "audit: " + strings.Join(parts, " ")
	}
	s := fmt.Sprintf("%s %s %s %s #%d", in.Client, sp.ops[in.Op], in.Kind, sp.keys[in.Key], in.N)
	if in.Copy {
		s += " (copy)"
	}
	if out.Unknown {
		return s + " -> ?"
	}
	s += " -> " + strconv.Itoa(out.Status)
	if out.Resource != "" {
		s += " " + out.Resource
	}
	switch out.Reading {
	case readDone:
		s += " (done)"
	case readFailed:
		s += " (failed)"
	}
	return s
}

func (sp *spec) describeState(s state) string {
	var parts []string
	for i, o := range s.ops {
		p := sp.ops[i].String() + ": " + strconv.Itoa(o.effects)
		if o.owed {
			p += " owed"
		}
		if o.refused {
			p += " refused"
		}
		if o.resource != "" {
			p += " " + o.resource
		}
		parts = append(parts, p)
	}
	for i, k := range s.keys {
		switch {
		case k.there:
			parts = append(parts, sp.keys[i]+" done")
		case k.promised:
			parts = append(parts, sp.keys[i]+" accepted for "+sp.ops[k.owner].String())
		}
	}
	return strings.Join(parts, "; ")
}
