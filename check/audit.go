package check

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// Kind is a kind of violation.
type Kind string

// The kinds of violation, each judged per business operation (check/doc.go
// says which of them porcupine's verdict must agree with).
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
	// Unconfirmed: the operation took effect, but no client that submitted
	// it was told: each ran out of attempts (none concluded done or
	// failed). The business did the work; the customer does not know.
	Unconfirmed Kind = "unconfirmed"
	// OrphanCharge: the gateway holds more charges of the operation (not
	// refunded) than the strategy's ledger tables hold payment rows for it
	// at the end of the run: money moved that no business record accounts
	// for. Judged only for a strategy that keeps ledger tables.
	OrphanCharge Kind = "orphan-charge"
)

// NumKinds is len(Kinds), for arrays indexed by kind.
const NumKinds = 6

// Kinds lists the violation kinds in report order: the three that break
// the exactly-once promise (duplicate, lost, wrong-answer: safety) come
// first as they always have, with stuck (availability) among them in its
// historical place; then the two that are about what was left unsaid or
// unrecorded.
var Kinds = []Kind{Duplicate, Lost, Stuck, WrongAnswer, Unconfirmed, OrphanCharge}

// Index is k's position in Kinds, or -1.
func (k Kind) Index() int { return slices.Index(Kinds, k) }

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
	// Orphans and OrphanCents: for an orphan charge, how many of the
	// operation's charges no payment row accounts for, and their money.
	Orphans     int
	OrphanCents int64
	// Cause: for stuck and unconfirmed, why the client gave up (GiveUp).
	Cause *GiveUp
}

func (v Violation) String() string {
	s := string(v.Kind) + " " + v.Op.String() + ": took effect " + strconv.Itoa(v.Effects) + "x"
	if v.Kind == OrphanCharge {
		s += ", " + plural(v.Orphans, "gateway charge") + " (" + Cents(v.OrphanCents) + ") with no payment row"
	}
	s += "; " + strings.Join(v.Clients, ", ")
	if v.Cause != nil {
		s += "; gave up: " + v.Cause.String()
	}
	return s
}

// Cents prints an amount of money in cents as dollars: "$12.34".
func Cents(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s$%d.%02d", sign, c/100, c%100)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// Report is the audit of one run.
type Report struct {
	Ops         int // business operations submitted
	Submissions int // (client, operation) pairs: more than Ops with several workers per operation
	Attempts    int
	Effects     int    // ledger rows (created or deleted) and gateway charges
	Beliefs     [4]int // submissions by client conclusion, indexed by world.Belief
	Counts      map[Kind]int
	Violations  []Violation // by operation, then kind
	// OrphanCents is the money of every orphan charge, in cents.
	OrphanCents int64
	// GiveUps counts the stuck and unconfirmed operations by the class
	// of their cause (GiveUp.Class), in the order first met.
	GiveUps    []ClassCount
	LatencyP50 sim.Duration // first attempt to conclusion, concluded submissions only
	LatencyP99 sim.Duration
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
	orphans := orphanCharges(res)
	var why *giveUps
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
		add := func(k Kind) *Violation {
			rep.Counts[k]++
			rep.Violations = append(rep.Violations, Violation{Kind: k, Op: s.op, Effects: n, Clients: clients})
			return &rep.Violations[len(rep.Violations)-1]
		}
		gaveUp := func(v *Violation) {
			if why == nil {
				why = newGiveUps(res)
			}
			for _, o := range s.outcomes {
				if o.Belief == world.Exhausted {
					v.Cause = why.of(o)
					rep.GiveUps = tally(rep.GiveUps, v.Cause.Class)
					return
				}
			}
		}
		if n > 1 {
			add(Duplicate)
		}
		if done && n == 0 {
			add(Lost)
		}
		if exhausted && n == 0 {
			gaveUp(add(Stuck))
		}
		if failed && n > 0 {
			add(WrongAnswer)
		}
		if exhausted && n > 0 && !done && !failed {
			gaveUp(add(Unconfirmed))
		}
		if o, ok := orphans[s.op]; ok {
			v := add(OrphanCharge)
			v.Orphans, v.OrphanCents = o.charges, o.cents
			rep.OrphanCents += o.cents
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

// orphan is what an operation's orphan charges come to.
type orphan struct {
	charges int
	cents   int64
}

// orphanCharges finds, per operation, the gateway charges (not refunded)
// beyond the payment rows the strategy's ledger tables hold for it (rows
// created; a deletion does not unmake the record of a payment). Which of
// an operation's charges is the orphan does not matter: they are all for
// its amount. A strategy with no ledger tables keeps no business record
// to compare, so nothing is judged for it.
func orphanCharges(res *world.Result) map[api.OpID]orphan {
	if len(res.Config.Strategy.Ledger) == 0 {
		return nil
	}
	type tableOp struct {
		table string
		op    api.OpID
	}
	rows := make(map[tableOp]int)
	recorded := make(map[api.OpID]int)
	charges := make(map[api.OpID][]int64)
	for _, r := range res.Ledger {
		switch {
		case r.Source == world.SourceGateway:
			charges[r.Op] = append(charges[r.Op], r.Amount)
		case !r.Deleted:
			k := tableOp{r.Source, r.Op}
			rows[k]++
			recorded[r.Op] = max(recorded[r.Op], rows[k])
		}
	}
	var out map[api.OpID]orphan
	for op, amounts := range charges {
		extra := len(amounts) - recorded[op]
		if extra <= 0 {
			continue
		}
		if out == nil {
			out = make(map[api.OpID]orphan)
		}
		o := orphan{charges: extra}
		for _, a := range amounts[len(amounts)-extra:] {
			o.cents += a
		}
		out[op] = o
	}
	return out
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
