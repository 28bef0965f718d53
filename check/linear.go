package check

import (
	"cmp"
	"context"
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
	// History is porcupine's history of the partition, kept for an
	// illegal one only, for Visualize.
	History []porcupine.Operation
	spec    *spec
	timeout time.Duration
}

// Visualize writes porcupine's HTML view of an illegal partition: its
// history and the longest orders of it the contract allows. Porcupine
// works those out again here (Linearize only asks for a verdict, which
// costs less), under the same timeout.
func (p *Partition) Visualize(w io.Writer) error {
	if p.spec == nil {
		return fmt.Errorf("check: partition %v is %s: only an illegal one keeps what a picture needs", p.Ops, p.Verdict)
	}
	_, info := porcupine.CheckOperationsVerbose(p.spec.model(), p.History, p.timeout)
	return porcupine.Visualize(p.spec.model(), info, w)
}

// Linearization is porcupine's check of one run.
type Linearization struct {
	Contract api.Contract
	// Each porcupine call is bounded by Timeout, or by Steps of its model
	// when Steps is set (LinearizeWithin).
	Timeout time.Duration
	Steps   int
	// MostSteps is the most steps one porcupine call took, under a step
	// budget: how close the run came to it.
	MostSteps  int
	Partitions []Partition // by first operation
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
// Before porcupine searches, Linearize tries the one order that needs no
// search: the attempts as they were sent, each taking effect (or not, when
// its answer allows both) at its call, then the audit read. That order
// keeps every real-time constraint (an attempt answered before another was
// sent was also sent before it), so if the specification accepts it the
// partition is linearizable, and that order is the proof: porcupine could
// only say ok too. Most partitions of a run are one client retrying alone
// and pass this way. A partition whose final counts the contract never
// allows (an operation that took effect twice where once is the most) is
// illegal for its effects whatever the order, and needs no search either.
//
// Each partition that needs a search is checked by its own porcupine call,
// bounded by timeout (DefaultTimeout if 0); for an illegal one, Linearize
// checks again without the rules on the order of answers and on the
// resources they name, to say which part of the contract is broken.
func Linearize(res *world.Result, timeout time.Duration) (Linearization, error) {
	return linearize(res, limit{timeout: timeout}, shortcuts{fold: true, witness: true})
}

// LinearizeWithin is Linearize with each porcupine call bounded by a
// budget of steps of the specification's model (DefaultSteps if 0) instead
// of the wall clock: a search that needs more is unknown. Every verdict,
// unknown included, then depends on the run alone, never on the machine's
// speed or load, which is what a test that bounds the unknown needs.
func LinearizeWithin(res *world.Result, steps int) (Linearization, error) {
	if steps <= 0 {
		steps = DefaultSteps
	}
	return linearize(res, limit{steps: steps}, shortcuts{fold: true, witness: true})
}

// DefaultSteps is LinearizeWithin's budget per porcupine call: fifty times
// the most a search took in the agreement test's worlds (about 2,000 steps
// over 1,500 worlds per strategy; `go test ./check -run
// TestAuditAndPorcupineAgree -v` logs it), and a fraction of a second of
// search on a pathological partition (TestStepBudget's endless one), less
// than DefaultTimeout allows.
const DefaultSteps = 100_000

// limit bounds each porcupine call: by steps if set, else by the timeout.
type limit struct {
	timeout time.Duration
	steps   int
}

// shortcuts says which of Linearize's shortcuts to take: without fold,
// every unanswered attempt is in porcupine's history; without witness,
// porcupine searches every partition, also those the order as sent
// already shows linearizable and those whose counts alone are impossible.
// The tests check that neither changes a verdict or a breach.
type shortcuts struct{ fold, witness bool }

// linearize is Linearize, with or without its shortcuts, under a limit.
func linearize(res *world.Result, lim limit, how shortcuts) (Linearization, error) {
	contract := res.Config.Strategy.Contract
	if !known(contract) {
		return Linearization{}, fmt.Errorf("check: no specification for contract %q (known: %v)", contract, api.Contracts())
	}
	if lim.steps <= 0 && lim.timeout <= 0 {
		lim.timeout = DefaultTimeout
	}
	lin := Linearization{Contract: contract, Timeout: lim.timeout, Steps: lim.steps, Counts: make(map[Verdict]int), Breaches: make(map[Breach]int)}
	c := &checker{res: res, contract: contract, timeout: lim.timeout, steps: lim.steps, how: how, effects: effectsByOp(res.Ledger)}
	c.concluded, c.copied = perAttempt(res)
	groups := partition(res)
	lin.Partitions = make([]Partition, 0, len(groups))
	for i := range groups {
		p := c.check(&groups[i])
		lin.Counts[p.Verdict]++
		if p.Verdict == Illegal && p.Breach != "" {
			lin.Breaches[p.Breach]++
		}
		lin.Partitions = append(lin.Partitions, p)
	}
	lin.MostSteps = c.most
	return lin, nil
}

// IllegalOps lists the operations of the partitions found illegal, by
// partition: the operations porcupine calls non-linearizable.
func (l *Linearization) IllegalOps() []api.OpID {
	var out []api.OpID
	for _, p := range l.Partitions {
		if p.Verdict == Illegal {
			out = append(out, p.Ops...)
		}
	}
	return out
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
func partition(res *world.Result) []group {
	// Operations and keys are nodes of one union-find, numbered as they
	// are first seen; each attempt's and each outcome key's pair of nodes
	// is kept, so that maps are looked up once. Sized for the usual run,
	// where most operations are sent under one key of their own.
	parent := make([]int, 0, 2*len(res.Outcomes))
	find := func(x int) int {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	opNodes := make(map[api.OpID]int, len(res.Outcomes))
	keyNodes := make(map[string]int, len(res.Outcomes))
	ops := make([]api.OpID, 0, len(res.Outcomes))
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
	type pair struct {
		op, key int // nodes
		name    string
	}
	pairs := make([]pair, 0, len(res.History)+len(res.Outcomes))
	link := func(op api.OpID, key string) {
		p := pair{opNode(op), keyNode(key), key}
		if ra, rb := find(p.op), find(p.key); ra != rb {
			parent[rb] = ra
		}
		pairs = append(pairs, p)
	}
	for _, a := range res.History {
		link(a.Op, a.Key)
	}
	for _, o := range res.Outcomes {
		for _, k := range o.Keys {
			link(o.Op, k)
		}
		opNode(o.Op)
	}
	for _, r := range res.Ledger {
		opNode(r.Op)
	}
	slices.SortFunc(ops, compareOp)

	// Groups are numbered by their first operation. Each group's
	// operations, keys and attempts are cut from one array of each,
	// sized by a first count: a run has hundreds of partitions.
	groupOf := make([]int, len(parent)) // by root node: 1 + the group's index
	var opCounts []int
	for _, o := range ops {
		r := find(opNodes[o])
		if groupOf[r] == 0 {
			opCounts = append(opCounts, 0)
			groupOf[r] = len(opCounts)
		}
		opCounts[groupOf[r]-1]++
	}
	of := func(node int) int { return groupOf[find(node)] - 1 }
	groups := make([]group, len(opCounts))
	keySeen := make([]bool, len(parent)) // by node
	attemptCounts, keyCounts := make([]int, len(groups)), make([]int, len(groups))
	for i, p := range pairs {
		g := of(p.op)
		if i < len(res.History) {
			attemptCounts[g]++
		}
		if !keySeen[p.key] {
			keySeen[p.key] = true
			keyCounts[g]++
		}
	}
	opArray := make([]api.OpID, 0, len(ops))
	attemptArray := make([]int, 0, len(res.History))
	keyArray := make([]string, 0, len(keyNodes))
	for i := range groups {
		groups[i].ops = grow(&opArray, opCounts[i])[:0]
		groups[i].attempts = grow(&attemptArray, attemptCounts[i])[:0]
		groups[i].keys = grow(&keyArray, keyCounts[i])[:0]
	}
	for _, o := range ops {
		g := &groups[of(opNodes[o])]
		g.ops = append(g.ops, o)
	}
	clear(keySeen)
	for i, p := range pairs {
		g := &groups[of(p.op)]
		if i < len(res.History) {
			g.attempts = append(g.attempts, i)
		}
		if !keySeen[p.key] {
			keySeen[p.key] = true
			g.keys = append(g.keys, p.name)
		}
	}
	for _, g := range groups {
		slices.Sort(g.keys)
	}
	return groups
}

// clientOp is one client's business operation.
type clientOp struct {
	client string
	op     api.OpID
}

// sent names one request a client sent: its client, its operation, and
// its number among the requests the client sent for the operation, from 1
// (as a fault's message reference numbers it).
type sent struct {
	clientOp
	n int32
}

// perAttempt gives, for each attempt of the history, what its client
// concluded if it stopped on it, and whether the network delivered it
// twice.
//
// A client stops on the last attempt of its operation; what it concluded
// is read when it concluded done or failed (exhausted and unfinished
// conclude nothing about the effect). Every request a client sends is in
// the history once, in the order sent: its number, by which a fault names
// it, is its rank among its operation's.
func perAttempt(res *world.Result) (concluded []reading, copied []bool) {
	twice := make(map[sent]bool)
	for _, f := range res.Faults {
		if m := f.Msg; f.Kind == faults.DuplicateRequest && m.Service == api.NoService && m.Worker == "" {
			twice[sent{clientOp{m.Caller, m.Op}, m.Attempt}] = true
		}
	}
	type sends struct {
		n    int32 // requests so far
		last int   // the last one's index in the history
	}
	of := make(map[clientOp]int, len(res.Outcomes)) // index in all
	all := make([]sends, 0, len(res.Outcomes))
	copied = make([]bool, len(res.History))
	for i, a := range res.History {
		c := clientOp{a.Client, a.Op}
		j, ok := of[c]
		if !ok {
			j = len(all)
			of[c] = j
			all = append(all, sends{})
		}
		ss := &all[j]
		ss.n++
		ss.last = i
		copied[i] = len(twice) > 0 && twice[sent{c, ss.n}]
	}
	concluded = make([]reading, len(res.History))
	for _, o := range res.Outcomes {
		j, ok := of[clientOp{o.Client, o.Op}]
		if !ok {
			continue
		}
		switch o.Belief {
		case world.BelievedDone:
			concluded[all[j].last] = readDone
		case world.BelievedFailed:
			concluded[all[j].last] = readFailed
		}
	}
	return concluded, copied
}

// checker is one run's check: what every partition's reads, and the
// memory it reuses from partition to partition (most partitions pass in
// the order sent, and allocating anew for each cost more than checking
// them).
type checker struct {
	res       *world.Result
	contract  api.Contract
	timeout   time.Duration
	how       shortcuts
	effects   map[api.OpID]int
	concluded []reading // by attempt
	copied    []bool    // by attempt

	steps int // porcupine's budget of model steps per call; 0: the timeout bounds it
	most  int // the most steps one call took, under the budget

	// Reused from partition to partition.
	events       []event
	clients      []string
	finals       []int
	states, next []state
	starts       []start
}

// start is the initial states of partitions of one shape.
type start struct {
	ops, keys int
	states    []state
}

// initial is sp.initial(), for a partition whose final counts are
// possible, kept per shape (its numbers of operations and keys): the
// initial state depends on nothing else then, and a step never writes the
// state it is given, so partitions of one shape can share it. A run's
// partitions come in a few shapes, most of them one operation under one
// key, and this spares most of the witness pass's allocations (measured
// with BenchmarkLinearizeOnly -benchmem).
func (c *checker) initial(sp *spec) []state {
	for _, s := range c.starts {
		if s.ops == len(sp.ops) && s.keys == len(sp.keys) {
			return s.states
		}
	}
	s := start{len(sp.ops), len(sp.keys), sp.initial()}
	c.starts = append(c.starts, s)
	return s.states
}

// grow takes the next n elements of the array, zero (never written yet):
// a run's partitions cut their slices from a few shared arrays instead of
// allocating hundreds of small ones.
func grow[T any](array *[]T, n int) []T {
	if cap(*array)-len(*array) < n {
		*array = make([]T, 0, max(1024, n))
	}
	from := len(*array)
	*array = (*array)[:from+n]
	return (*array)[from : from+n : from+n]
}

// check builds the partition's history and checks it.
func (c *checker) check(g *group) Partition {
	p := Partition{Ops: g.ops, Keys: g.keys, Attempts: len(g.attempts)}
	// The partitions' operations are disjoint: their final counts are cut
	// from one array, never written again.
	final := grow(&c.finals, len(g.ops))
	for i, o := range g.ops {
		final[i] = c.effects[o]
	}
	events := c.history(g, final, &p.Folded)
	sp := spec{contract: c.contract, rules: strict, ops: g.ops, keys: g.keys, final: final}
	// What porcupine needs is built only for a partition it must search,
	// or draw.
	ported := func() []porcupine.Operation {
		history := make([]porcupine.Operation, len(events))
		for i, e := range events {
			history[i] = porcupine.Operation{ClientId: e.client, Input: e.in, Call: e.call, Output: e.out, Return: e.ret, Metadata: e.note}
		}
		return history
	}
	if c.how.witness {
		switch {
		case !sp.possible():
			// The final counts are ones the contract never allows (an
			// operation that took effect twice where once is the most):
			// no order can help, and no search is needed to say so.
			held := sp // on the heap only for the partitions that keep it
			p.Verdict, p.Breach, p.History, p.spec, p.timeout = Illegal, BreachEffects, ported(), &held, c.timeout
			return p
		case c.accepts(&sp, events):
			p.Verdict = OK
			return p
		}
	}
	held := sp
	return c.search(p, &held, ported())
}

// accepts reports whether sp accepts history, sorted by call, in that
// order (the audit read last): each attempt linearized at its call, the
// states it may lead to all kept, as porcupine's model over sets of states
// keeps them. Acceptance proves the history linearizable, since that order
// keeps real time; a refusal proves nothing, and the caller asks
// porcupine. The sets of states live in the checker's buffers, reused.
// The caller has checked that the final counts are possible.
func (c *checker) accepts(sp *spec, history []event) bool {
	states, next := append(c.states[:0], c.initial(sp)...), c.next[:0]
	defer func() { c.states, c.next = states, next }()
	for i := range history {
		e := &history[i]
		next = next[:0]
		for _, s := range states {
			for _, t := range sp.step(s, e.in, e.out) {
				if !slices.ContainsFunc(next, t.equal) {
					next = append(next, t)
				}
			}
		}
		if len(next) == 0 {
			return false
		}
		states, next = next, states
	}
	return true
}

// porcupineRun is one porcupine call on a partition's history under sp,
// bounded by the checker's step budget if it has one, else by its timeout.
// Over budget, every further step is refused, which ends porcupine's search
// at once; a refusal can only make it answer illegal, so that answer is
// then unknown, while ok (an order found with real steps) stands.
func (c *checker) porcupineRun(sp *spec, history []porcupine.Operation) porcupine.CheckResult {
	model := sp.model()
	if c.steps <= 0 {
		return porcupine.CheckOperationsTimeout(model, history, c.timeout)
	}
	left, refused := c.steps, false
	step := model.StepContext
	model.Step = nil // porcupine derives it from StepContext
	model.StepContext = func(ctx context.Context, st, in, out any) (bool, any) {
		if left == 0 {
			refused = true
			return false, st
		}
		left--
		return step(ctx, st, in, out)
	}
	// No timeout: porcupine's one search goroutine has sent its answer
	// before the call returns, so left and refused are read after it.
	result := porcupine.CheckOperationsTimeout(model, history, 0)
	c.most = max(c.most, c.steps-left)
	if refused && result == porcupine.Illegal {
		return porcupine.Unknown
	}
	return result
}

// search has porcupine search a partition's history and, for an illegal
// one, find the part of the contract it breaks.
func (c *checker) search(p Partition, sp *spec, history []porcupine.Operation) Partition {
	switch c.porcupineRun(sp, history) {
	case porcupine.Ok:
		p.Verdict = OK
		return p
	case porcupine.Unknown:
		p.Verdict = Unknown
		return p
	}
	p.Verdict, p.History, p.spec, p.timeout = Illegal, history, sp, c.timeout
	without := func(r rules) porcupine.CheckResult {
		loose := *sp
		loose.rules = r
		return c.porcupineRun(&loose, history)
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

// event is an operation of a partition's history, as porcupine would be
// given it (Linearize builds porcupine's, with its values boxed, only for
// a partition it must search).
type event struct {
	client    int
	in        request
	out       answer
	call, ret int64
	note      note
}

// history is the partition's history: its attempts, each
// request the network delivered twice with an unanswered copy of it sent
// at the same moment (the client keeps the first answer to come, from
// either), unanswered ones folded (counted in *folded), then the audit
// read.
func (c *checker) history(g *group, final []int, folded *int) []event {
	res, fold := c.res, c.how.fold
	ops := c.events[:0]
	defer func() { c.events = ops }()
	// A partition has a few operations, keys and clients: they are found
	// by looking along short slices, which costs less than maps.
	clients := c.clients[:0]
	defer func() { c.clients = clients }()
	clientID := func(name string) int {
		id := slices.Index(clients, name)
		if id < 0 {
			id = len(clients)
			clients = append(clients, name)
		}
		return id
	}
	type unansweredKey struct {
		op, key int
		kind    api.Kind
		n       int // without folding, each attempt on its own
	}
	var order []unansweredKey
	var waiting [][]sentOnly // by order
	wait := func(k unansweredKey, a *world.Attempt, copy bool) {
		if !fold {
			k.n = len(order) + 1
		}
		i := slices.Index(order, k)
		if i < 0 {
			i = len(order)
			order = append(order, k)
			waiting = append(waiting, nil)
		}
		waiting[i] = append(waiting[i], sentOnly{a, copy})
	}
	last := int64(res.End)
	for _, i := range g.attempts {
		a := &res.History[i]
		last = max(last, int64(a.Call))
		in := request{Kind: a.Kind, Op: slices.Index(g.ops, a.Op), Key: slices.Index(g.keys, a.Key), Client: a.Client, N: a.N}
		k := unansweredKey{in.Op, in.Key, a.Kind, 0}
		if c.copied[i] {
			wait(k, a, true)
		}
		if a.TimedOut {
			wait(k, a, false)
			continue
		}
		last = max(last, int64(a.Return))
		ops = append(ops, event{client: clientID(a.Client), in: in, call: int64(a.Call),
			out: answer{Status: a.Status, Resource: a.Resource, Reading: c.concluded[i]}, ret: int64(a.Return),
			note: note{one: sentOnly{a: a}}})
	}
	for j, k := range order {
		group := waiting[j]
		first := 0
		for i, w := range group {
			if w.a.Call < group[first].a.Call {
				first = i
			}
		}
		*folded += len(group) - 1
		w := group[first]
		a := w.a
		ops = append(ops, event{client: clientID(a.Client), call: int64(a.Call), ret: unanswered,
			in:  request{Kind: a.Kind, Op: k.op, Key: k.key, Client: a.Client, N: a.N, Copy: w.copy},
			out: answer{Unknown: true}, note: note{one: w, others: slices.Delete(group, first, first+1)}})
	}
	ops = append(ops, event{client: len(clients), in: request{Audit: true}, out: answer{Effects: final},
		call: last + 1, ret: last + 1})
	// In the order sent, which is the order Linearize tries first (only
	// the unanswered, appended last, can be out of it).
	byCall := func(a, b event) int { return cmp.Compare(a.call, b.call) }
	if !slices.IsSortedFunc(ops, byCall) {
		slices.SortStableFunc(ops, byCall)
	}
	return ops
}

// sentOnly is a request in a partition's history: an attempt, or the
// network's copy of it.
type sentOnly struct {
	a    *world.Attempt
	copy bool
}

func (w sentOnly) String() string {
	name := w.a.Client + " attempt " + strconv.Itoa(w.a.N) + " at " + w.a.Call.String()
	if w.copy {
		return "the network's copy of " + name
	}
	return name
}

// note is a porcupine operation's metadata, which its picture shows: the
// request it is and, for an unanswered one, those it stands for; none for
// the audit read. It is put in words only for a picture.
type note struct {
	one    sentOnly
	others []sentOnly
}

func (n note) String() string {
	if n.one.a == nil {
		return "the ledger after the run"
	}
	s := n.one.String()
	if len(n.others) > 0 {
		words := make([]string, len(n.others))
		for i, w := range n.others {
			words[i] = w.String()
		}
		s += "; stands for " + strings.Join(words, ", ")
	}
	return s
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
	if l.Steps > 0 {
		fmt.Fprintf(&b, ", unknown %d (budget %d steps)", l.Counts[Unknown], l.Steps)
	} else {
		fmt.Fprintf(&b, ", unknown %d (timeout %v)", l.Counts[Unknown], l.Timeout)
	}
	return b.String()
}
