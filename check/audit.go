package check

import (
	"slices"
	"strconv"
	"strings"

	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// Kind is a kind of violation.
type Kind string

// The kinds of violation, as DESIGN.md defines them.
const (
	// Duplicate: an operation's effect happened twice or more.
	Duplicate Kind = "duplicate"
	// Lost: a client concluded "done" from a response, yet the effect
	// is missing from the ledger when the run ends.
	Lost Kind = "lost"
	// Stuck: a client gave up after its attempt budget with no effect; it
	// is availability, not safety.
	Stuck Kind = "stuck"
	// WrongAnswer: a client concluded the operation failed for good (a
	// give-up status) although it took effect. The opposite error — "done"
	// when nothing happened — is Lost.
	WrongAnswer Kind = "wrong-answer"
)

// Kinds lists the violation kinds in report order.
var Kinds = []Kind{Duplicate, Lost, Stuck, WrongAnswer}

// NonLinearizable is porcupine's finding rather than the audit's: an
// operation in a partition Linearize finds illegal. It is not in Kinds
// (the audit never reports it); shrinking and the swarm name it when that
// is the failure a run shows.
const NonLinearizable Kind = "nonlinearizable"

// Findings lists every kind either oracle names, in the order a run's
// first is picked: the audit's (Kinds), then NonLinearizable.
var Findings = append(append([]Kind{}, Kinds...), NonLinearizable)

// Violation is one business operation that broke a rule.
type Violation struct {
	Kind    Kind
	Op      api.OpID
	Effects int      // ledger rows for the operation
	Clients []string // clients that submitted it, with their conclusion
}

func (v Violation) String() string {
	return string(v.Kind) + " " + v.Op.String() + ": took effect " + strconv.Itoa(v.Effects) + "x; " + strings.Join(v.Clients, ", ")
}

// Report is the audit of one run.
type Report struct {
	Ops         int // business operations submitted
	Submissions int // (client, operation) pairs: more than Ops with several workers per operation
	Attempts    int
	Effects     int    // ledger rows (created or deleted) and gateway charges
	Beliefs     [4]int // submissions by client conclusion, indexed by world.Belief
	Counts      map[Kind]int
	Violations  []Violation  // by operation, then kind
	LatencyP50  sim.Duration // first attempt to conclusion, concluded submissions only
	LatencyP99  sim.Duration
}

// Violated reports whether any violation of kind k (any kind, if k is "")
// was found.
func (r *Report) Violated(k Kind) bool {
	if k == "" {
		return len(r.Violations) > 0
	}
	return r.Counts[k] > 0
}

// Audit checks a run's ledger against its clients' conclusions.
func Audit(res *world.Result) Report {
	rep := Report{Counts: make(map[Kind]int), Attempts: len(res.History), Effects: len(res.Ledger)}
	effects := effectsByOp(res.Ledger)
	type opStory struct {
		op       api.OpID
		outcomes []world.Outcome
	}
	var ops []opStory
	index := make(map[api.OpID]int)
	var latencies []sim.Duration
	for _, o := range res.Outcomes {
		i, ok := index[o.Op]
		if !ok {
			i = len(ops)
			index[o.Op] = i
			ops = append(ops, opStory{op: o.Op})
		}
		ops[i].outcomes = append(ops[i].outcomes, o)
		rep.Beliefs[o.Belief]++
		if o.Belief != world.Unfinished {
			latencies = append(latencies, o.End.Sub(o.Start))
		}
	}
	rep.Submissions = len(res.Outcomes)
	rep.Ops = len(ops)
	slices.SortFunc(ops, func(a, b opStory) int { return compareOp(a.op, b.op) })
	for _, s := range ops {
		n := effects[s.op]
		var clients []string
		var done, failed, exhausted bool
		for _, o := range s.outcomes {
			clients = append(clients, o.Client+" "+o.Belief.String())
			switch o.Belief {
			case world.BelievedDone:
				done = true
			case world.BelievedFailed:
				failed = true
			case world.Exhausted:
				exhausted = true
			}
		}
		add := func(k Kind) {
			rep.Counts[k]++
			rep.Violations = append(rep.Violations, Violation{Kind: k, Op: s.op, Effects: n, Clients: clients})
		}
		if n > 1 {
			add(Duplicate)
		}
		if done && n == 0 {
			add(Lost)
		}
		if exhausted && n == 0 {
			add(Stuck)
		}
		if failed && n > 0 {
			add(WrongAnswer)
		}
	}
	slices.Sort(latencies)
	rep.LatencyP50 = quantile(latencies, 0.50)
	rep.LatencyP99 = quantile(latencies, 0.99)
	return rep
}

// effectsByOp counts each operation's effects. They are counted per source
// (each ledger table, the gateway's charges) and the largest count is the
// operation's number of effects: a payment that wrote its row and charged
// the card once took effect once.
func effectsByOp(ledger []world.Row) map[api.OpID]int {
	// A deletion is the effect of the delete that asked for it, counted
	// apart from the rows created.
	type sourceOp struct {
		source  string
		deleted bool
		op      api.OpID
	}
	perSource := make(map[sourceOp]int, len(ledger))
	effects := make(map[api.OpID]int, len(ledger))
	for _, row := range ledger {
		k := sourceOp{row.Source, row.Deleted, row.Op}
		perSource[k]++
		effects[row.Op] = max(effects[row.Op], perSource[k])
	}
	return effects
}

// quantile is the nearest-rank quantile of sorted values.
func quantile(sorted []sim.Duration, q float64) sim.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func compareOp(a, b api.OpID) int {
	if a.Queue != b.Queue {
		return int(a.Queue - b.Queue)
	}
	return int(a.Index - b.Index)
}
