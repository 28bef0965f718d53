package check

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// Verdict is porcupine's answer for one partition.
type Verdict string

// The verdicts.
const (
	// OK: some order of the attempts, each at a moment within its own
	// call and answer, is a run the contract allows.
	OK Verdict = "ok"
	// Illegal: no such order exists.
	Illegal Verdict = "illegal"
	// Unknown: the search did not finish within the timeout. It is never
	// read as ok; it is also the one verdict that depends on the machine.
	Unknown Verdict = "unknown"
)

// Breach says which part of the contract an illegal partition breaks.
// Linearize finds it by checking the partition again without the rules
// that only the order of the answers, or the resources they name, can
// break.
type Breach string

// The breaches.
const (
	// BreachEffects: the ledger's final counts contradict the answers —
	// an operation took effect twice, or not at all though a client was
	// told it was done or a 202 accepted it, or at all though a client
	// was told it failed. These are what the audit sees.
	BreachEffects Breach = "effects"
	// BreachEarly: the final counts are possible, but only in the wrong
	// order: a client was told "done" before anything that could have
	// done it had begun, or a read contradicted an answer given before
	// it. The audit, which looks at the end state, cannot see it.
	BreachEarly Breach = "early"
	// BreachNames: only the resources named break the contract: answers
	// for one operation name different payments, or another operation's,
	// or (client-chosen ids) not the key. The audit cannot see it either.
	BreachNames Breach = "names"
)

// Breaches lists the breaches in report order.
var Breaches = []Breach{BreachEffects, BreachEarly, BreachNames}

// Partition is the check of one partition: the operations and keys that
// share attempts.
type Partition struct {
	Ops  []api.OpID // in order
	Keys []string   // in order
	// Attempts are the partition's attempts in the run's history; Folded
	// of them, unanswered, stand in porcupine's history as one
	// unanswered attempt of the same operation, key and kind that was
	// sent no later (see Linearize).
	Attempts, Folded int
	Verdict          Verdict
	// Breach is set for an illegal partition ("" if the checks that name
	// it ran out of time).
	Breach Breach
	// History and Info are what porcupine.Visualize draws; they are kept
	// for an illegal partition only.
	History []porcupine.Operation
	Info    porcupine.LinearizationInfo
	spec    *spec
}

// Visualize writes porcupine's HTML view of an illegal partition: its
// history and the longest orders of it the contract allows.
func (p *Partition) Visualize(w io.Writer) error {
	if p.spec == nil {
		return fmt.Errorf("check: partition %v is %s: only an illegal one keeps what a picture needs", p.Ops, p.Verdict)
	}
	return porcupine.Visualize(p.spec.model(), p.Info, w)
}

// Linearization is porcupine's check of one run.
type Linearization struct {
	Contract   api.Contract
	Timeout    time.Duration // per porcupine call
	Partitions []Partition   // by first operation
	Counts     map[Verdict]int
	Breaches   map[Breach]int // illegal partitions by breach
}

// DefaultTimeout bounds each porcupine call. A partition's history is a few
// dozen operations at most, checked in well under a millisecond; the
// timeout is there for the pathological case, which then counts as
// unknown.
const DefaultTimeout = time.Second

// Linearize checks a run's history against the specification of the
// contract its strategy declares, with porcupine.
//
// The history is cut into partitions: two attempts are in the same one
// when they share a business operation or an idempotency key, so an
// operation whose client minted a new key (after a restart or a 5xx) keeps
// its keys together, and a key a client reused for a second operation
// keeps both operations together. Each partition's history is its attempts
// — create, poll and delete requests, each from its call to its answer —
// and, after the run's end, one audit read of how many effects the ledger
// holds for each of its operations (counted as the audit counts them). An
// attempt that was never answered (it timed out, or its client crashed
// waiting) has an unknown result: its answer is placed at infinity, and it
// may or may not have acted. A request the network delivered twice reached
// the server twice, and the client kept whichever answer came first: its
// copy joins the history as an unanswered attempt sent at the same moment.
// Unanswered attempts of one operation under one key and kind are
// interchangeable but for when they were sent, and at most one of them can
// matter (an operation takes effect once at most — under contract none the
// specification only records whether it has — and a poll never acts), so
// porcupine gets only the earliest, which can do anything any of the
// others could: the verdict is the same, and the search no longer doubles
// with every timeout.
//
// Each partition is checked by its own porcupine call, bounded by timeout
// (DefaultTimeout if 0); for an illegal one, Linearize checks again without
// the rules on the order of answers and on the resources they name, to say
// which part of the contract is broken.
func Linearize(res *world.Result, timeout time.Duration) (Linearization, error) {
	return linearize(res, timeout, true)
}

// linearize is Linearize; without fold, every unanswered attempt is in
// porcupine's history (the tests check that folding changes no verdict).
func linearize(res *world.Result, timeout time.Duration, fold bool) (Linearization, error) {
	contract := res.Config.Strategy.Contract
	if !known(contract) {
		return Linearization{}, fmt.Errorf("check: no specification for contract %q (known: %v)", contract, api.Contracts())
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	lin := Linearization{Contract: contract, Timeout: timeout, Counts: make(map[Verdict]int), Breaches: make(map[Breach]int)}
	effects := effectsByOp(res.Ledger)
	copies := duplicated(res)
	concluded := decisive(res)
	for _, g := range partition(res) {
		p := g.check(res, contract, effects, concluded, copies, timeout, fold)
		lin.Counts[p.Verdict]++
		if p.Verdict == Illegal && p.Breach != "" {
			lin.Breaches[p.Breach]++
		}
		lin.Partitions = append(lin.Partitions, p)
	}
	return lin, nil
}

// Of returns the partition that holds operation op, or nil.
func (l *Linearization) Of(op api.OpID) *Partition {
	for i := range l.Partitions {
		if slices.Contains(l.Partitions[i].Ops, op) {
			return &l.Partitions[i]
		}
	}
	return nil
}

// group is one partition before it is checked: its operations, keys and
// attempts (indices into the run's history).
type group struct {
	ops      []api.OpID
	keys     []string
	attempts []int
}

// partition groups the run's operations and keys into partitions (a
// union-find over both), ordered by their first operation.
func partition(res *world.Result) []*group {
	// Operations and keys are nodes of one union-find, numbered as they
	// are first seen.
	var parent []int
	find := func(x int) int {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	union := func(a, b int) {
		if ra, rb := find(a), find(b); ra != rb {
			parent[rb] = ra
		}
	}
	opNodes := make(map[api.OpID]int)
	keyNodes := make(map[string]int)
	var ops []api.OpID
	opNode := func(o api.OpID) int {
		n, ok := opNodes[o]
		if !ok {
			n = len(parent)
			parent = append(parent, n)
			opNodes[o] = n
			ops = append(ops, o)
		}
		return n
	}
	keyNode := func(k string) int {
		n, ok := keyNodes[k]
		if !ok {
			n = len(parent)
			parent = append(parent, n)
			keyNodes[k] = n
		}
		return n
	}
	for _, a := range res.History {
		union(opNode(a.Op), keyNode(a.Key))
	}
	for _, o := range res.Outcomes {
		for _, k := range o.Keys {
			union(opNode(o.Op), keyNode(k))
		}
		opNode(o.Op)
	}
	for _, r := range res.Ledger {
		opNode(r.Op)
	}
	slices.SortFunc(ops, compareOp)
	byRoot := make(map[int]*group)
	var groups []*group
	for _, o := range ops {
		r := find(opNodes[o])
		g := byRoot[r]
		if g == nil {
			g = &group{}
			byRoot[r] = g
			groups = append(groups, g)
		}
		g.ops = append(g.ops, o)
	}
	keySeen := make(map[string]bool)
	for i, a := range res.History {
		g := byRoot[find(opNodes[a.Op])]
		g.attempts = append(g.attempts, i)
		if !keySeen[a.Key] {
			keySeen[a.Key] = true
			g.keys = append(g.keys, a.Key)
		}
	}
	for _, o := range res.Outcomes {
		g := byRoot[find(opNodes[o.Op])]
		for _, k := range o.Keys {
			if !keySeen[k] {
				keySeen[k] = true
				g.keys = append(g.keys, k)
			}
		}
	}
	for _, g := range groups {
		slices.Sort(g.keys)
	}
	return groups
}

// decisive maps each attempt a client stopped on to what it concluded: the
// last attempt of a client's operation, when the client concluded done or
// failed (exhausted and unfinished conclude nothing about the effect).
func decisive(res *world.Result) map[int]reading {
	type clientOp struct {
		client string
		op     api.OpID
	}
	last := make(map[clientOp]int)
	for i, a := range res.History {
		last[clientOp{a.Client, a.Op}] = i
	}
	out := make(map[int]reading)
	for _, o := range res.Outcomes {
		i, ok := last[clientOp{o.Client, o.Op}]
		if !ok {
			continue
		}
		switch o.Belief {
		case world.BelievedDone:
			out[i] = readDone
		case world.BelievedFailed:
			out[i] = readFailed
		}
	}
	return out
}

// sent names one request a client sent: its client, its operation, and
// its number among the requests the client sent for the operation, from 1
// (as a fault's message reference numbers it).
type sent struct {
	client string
	op     api.OpID
	n      int32
}

// duplicated lists the requests the network delivered twice.
func duplicated(res *world.Result) map[sent]bool {
	out := make(map[sent]bool)
	for _, f := range res.Faults {
		if m := f.Msg; f.Kind == faults.DuplicateRequest && m.Service == api.NoService && m.Worker == "" {
			out[sent{m.Caller, m.Op, m.Attempt}] = true
		}
	}
	return out
}

// check builds the partition's porcupine history and checks it.
func (g *group) check(res *world.Result, contract api.Contract, effects map[api.OpID]int, concluded map[int]reading, copies map[sent]bool,
	timeout time.Duration, fold bool) Partition {
	p := Partition{Ops: g.ops, Keys: g.keys, Attempts: len(g.attempts)}
	final := make([]int, len(g.ops))
	for i, o := range g.ops {
		final[i] = effects[o]
	}
	sp := &spec{contract: contract, rules: strict, ops: g.ops, keys: g.keys, final: final}
	history := g.history(res, concluded, final, copies, fold, &p.Folded)
	verdict, info := porcupine.CheckOperationsVerbose(sp.model(), history, timeout)
	switch verdict {
	case porcupine.Ok:
		p.Verdict = OK
		return p
	case porcupine.Unknown:
		p.Verdict = Unknown
		return p
	}
	p.Verdict, p.History, p.Info, p.spec = Illegal, history, info, sp
	without := func(r rules) porcupine.CheckResult {
		loose := *sp
		loose.rules = r
		return porcupine.CheckOperationsTimeout(loose.model(), history, timeout)
	}
	switch without(endState) {
	case porcupine.Illegal:
		p.Breach = BreachEffects
	case porcupine.Ok:
		switch without(ruleOrder) {
		case porcupine.Illegal:
			p.Breach = BreachEarly
		case porcupine.Ok:
			p.Breach = BreachNames
		}
	}
	return p
}

// unanswered is infinity for an attempt whose answer never came.
const unanswered = math.MaxInt64

// history is the partition's porcupine history: its attempts, each
// request the network delivered twice with an unanswered copy of it sent
// at the same moment (the client keeps the first answer to come, from
// either), unanswered ones folded (counted in *folded), then the audit
// read.
func (g *group) history(res *world.Result, concluded map[int]reading, final []int, copies map[sent]bool, fold bool, folded *int) []porcupine.Operation {
	opIndex := make(map[api.OpID]int, len(g.ops))
	for i, o := range g.ops {
		opIndex[o] = i
	}
	keyIndex := make(map[string]int, len(g.keys))
	for i, k := range g.keys {
		keyIndex[k] = i
	}
	clients := make(map[string]int)
	clientID := func(name string) int {
		id, ok := clients[name]
		if !ok {
			id = len(clients)
			clients[name] = id
		}
		return id
	}
	type unansweredKey struct {
		op, key int
		kind    api.Kind
		n       int // without folding, each attempt on its own
	}
	var order []unansweredKey
	type sentOnly struct {
		a    *world.Attempt
		copy bool
	}
	waiting := make(map[unansweredKey][]sentOnly)
	wait := func(k unansweredKey, a *world.Attempt, copy bool) {
		if !fold {
			k.n = len(order) + 1
		}
		if waiting[k] == nil {
			order = append(order, k)
		}
		waiting[k] = append(waiting[k], sentOnly{a, copy})
	}
	var ops []porcupine.Operation
	last := int64(res.End)
	nth := make(map[sent]int32)
	for _, i := range g.attempts {
		a := &res.History[i]
		last = max(last, int64(a.Call))
		in := request{Kind: a.Kind, Op: opIndex[a.Op], Key: keyIndex[a.Key], Client: a.Client, N: a.N}
		k := unansweredKey{in.Op, in.Key, a.Kind, 0}
		// Every request a client sends is in the history once, in the
		// order sent: its number is its rank among its operation's.
		s := sent{a.Client, a.Op, 0}
		nth[s]++
		if s.n = nth[s]; copies[s] {
			wait(k, a, true)
		}
		if a.TimedOut {
			wait(k, a, false)
			continue
		}
		last = max(last, int64(a.Return))
		ops = append(ops, porcupine.Operation{ClientId: clientID(a.Client), Input: in, Call: int64(a.Call),
			Output: answer{Status: a.Status, Resource: a.Resource, Reading: concluded[i]}, Return: int64(a.Return),
			Metadata: attemptName(a)})
	}
	name := func(w sentOnly) string {
		if w.copy {
			return "the network's copy of " + attemptName(w.a)
		}
		return attemptName(w.a)
	}
	for _, k := range order {
		group := waiting[k]
		first := group[0]
		for _, w := range group[1:] {
			if w.a.Call < first.a.Call {
				first = w
			}
		}
		note := name(first)
		if len(group) > 1 {
			var others []string
			for _, w := range group {
				if w != first {
					others = append(others, name(w))
				}
			}
			note += "; stands for " + strings.Join(others, ", ")
			*folded += len(group) - 1
		}
		a := first.a
		ops = append(ops, porcupine.Operation{ClientId: clientID(a.Client), Call: int64(a.Call), Return: unanswered,
			Input:  request{Kind: a.Kind, Op: k.op, Key: k.key, Client: a.Client, N: a.N, Copy: first.copy},
			Output: answer{Unknown: true}, Metadata: note})
	}
	ops = append(ops, porcupine.Operation{ClientId: len(clients), Input: request{Audit: true}, Output: answer{Effects: final},
		Call: last + 1, Return: last + 1, Metadata: "the ledger after the run"})
	return ops
}

// attemptName names an attempt in a picture: "c3 attempt 2 at 1.2s".
func attemptName(a *world.Attempt) string {
	return a.Client + " attempt " + strconv.Itoa(a.N) + " at " + a.Call.String()
}

// Summary is the report in one line: "16 partitions: ok 15, illegal 1,
// unknown 0 (timeout 1s)", with the illegal partitions the audit cannot see
// counted by breach ("illegal 3 (1 early)").
func (l *Linearization) Summary() string {
	var b strings.Builder
	noun := "partitions"
	if len(l.Partitions) == 1 {
		noun = "partition"
	}
	fmt.Fprintf(&b, "%d %s: ok %d, illegal %d", len(l.Partitions), noun, l.Counts[OK], l.Counts[Illegal])
	var only []string
	for _, br := range Breaches[1:] {
		if n := l.Breaches[br]; n > 0 {
			only = append(only, strconv.Itoa(n)+" "+string(br))
		}
	}
	if len(only) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(only, ", "))
	}
	fmt.Fprintf(&b, ", unknown %d (timeout %v)", l.Counts[Unknown], l.Timeout)
	return b.String()
}
