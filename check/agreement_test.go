package check_test

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// agreementSeeds is how many worlds each strategy meets:
// IDEMSIM_AGREEMENT_SEEDS (make verify sets it higher), else 300, or 40
// with -short (the edit loop's).
func agreementSeeds(t *testing.T) uint64 {
	if s := os.Getenv("IDEMSIM_AGREEMENT_SEEDS"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, "IDEMSIM_AGREEMENT_SEEDS=%q", s)
		return n
	}
	if testing.Short() {
		return 40
	}
	return 300
}

// agreementWorld is the chaos world of seed for strategy s, at one of the
// strategy's levels (in turn by seed), and, for three seeds in four, with
// clients that split an operation over several keys or one key over
// several operations: a new key after a 5xx; a new key after a crash
// (clients crash about once a second); a key reused for the next operation.
// It returns the world and the command that shows it.
func agreementWorld(s api.Strategy, seed uint64) (world.Config, string) {
	cfg := experiments.Chaos(s, seed)
	cmd := "idemsim run --strategy " + s.Name + " --chaos " + strconv.FormatUint(seed, 10)
	if len(s.Levels) > 0 {
		cfg.DB.Isolation = s.Levels[seed%uint64(len(s.Levels))]
		cmd += " --isolation " + cfg.DB.Isolation.Slug()
	}
	switch seed % 4 {
	case 1:
		cfg.Client.NewKeyAfter5xx = true
		cmd += " --key-after-5xx new"
	case 2:
		cfg.Client.KeyOnRestart = world.KeyRegenerate
		cfg.Faults.ClientCrashEvery = time.Second
		cmd += " --key-on-restart regenerate --client-crash-every 1s"
	case 3:
		cfg.Client.ReuseKeyRate = 0.3
		cmd += " --reuse-key 0.3"
	}
	if s.Deletes() && seed%2 == 0 {
		// Deletes, their retries, and creates that arrive after them.
		cfg.Client.DeleteRate = 0.3
		cmd += " --delete-after 0.3"
	}
	return cfg, cmd
}

// agreed is one world's comparison of the two oracles.
type agreed struct {
	seed       uint64
	partitions int
	unknown    int // partitions whose verdict (or breach) porcupine could not settle within its step budget
	illegal    int
	breaches   map[check.Breach]int
	folded     int
	largest    int // the most porcupine operations in one partition
	steps      int // the most model steps one porcupine call took
	disagree   []string
	check      time.Duration // wall time of Linearize
}

// expectsIllegal lists, for each operation, why porcupine must find its
// partition illegal for its final counts: the audit finds it duplicate
// (unless the contract is none, which promises nothing about repeats),
// lost or wrong-answer (never for stuck, unconfirmed or an orphan charge
// alone, which contradict no answer); or, under 202-then-poll, a 202 accepted it, no
// client was told it failed, and the ledger has no effect of it (the audit
// calls it stuck if its client ran out of attempts).
func expectsIllegal(res *world.Result, rep *check.Report) map[api.OpID][]string {
	why := make(map[api.OpID][]string)
	contract := res.Config.Strategy.Contract
	for _, v := range rep.Violations {
		switch {
		case v.Kind == check.Stuck, v.Kind == check.Unconfirmed, v.Kind == check.OrphanCharge:
		case v.Kind == check.Duplicate && contract == api.ContractNone:
		default:
			why[v.Op] = append(why[v.Op], string(v.Kind))
		}
	}
	if contract != api.ContractPoll202 {
		return why
	}
	accepted := make(map[api.OpID]bool)
	for _, a := range res.History {
		if !a.TimedOut && a.Status == api.StatusAccepted {
			accepted[a.Op] = true
		}
	}
	for _, o := range res.Outcomes {
		if o.Belief == world.BelievedFailed {
			delete(accepted, o.Op)
		}
	}
	for _, r := range res.Ledger {
		delete(accepted, r.Op)
	}
	for op := range accepted {
		why[op] = append(why[op], "accepted, never done")
	}
	return why
}

// conclusionsAreLastAnswers checks what Linearize assumes of the world: a
// client that concluded done or failed did so on its last request for the
// operation, which was answered with the status it concluded on.
func conclusionsAreLastAnswers(res *world.Result) []string {
	last := make(map[string]world.Attempt)
	for _, a := range res.History {
		last[a.Client+" "+a.Op.String()] = a
	}
	var wrong []string
	for _, o := range res.Outcomes {
		if o.Belief != world.BelievedDone && o.Belief != world.BelievedFailed {
			continue
		}
		a, ok := last[o.Client+" "+o.Op.String()]
		if !ok || a.TimedOut || a.Status != o.Status || a.Return != o.End {
			wrong = append(wrong, fmt.Sprintf("%s concluded %s on %d at %v, but its last request was %+v", o.Client, o.Belief, o.Status, o.End, a))
		}
	}
	return wrong
}

// compare runs both oracles on one world.
func compare(seed uint64, res *world.Result) agreed {
	r := agreed{seed: seed, breaches: make(map[check.Breach]int)}
	rep := check.Audit(res)
	start := time.Now()
	lin, err := check.LinearizeBySearch(res, 0)
	r.check = time.Since(start)
	if err != nil {
		r.disagree = append(r.disagree, err.Error())
		return r
	}
	// Linearize's shortcuts settle most partitions without porcupine; they
	// must settle them as porcupine does. Both are bounded by porcupine's
	// step budget, not the clock, so that every figure here, the unknown
	// partitions included, is the same on any machine and under -race.
	quick, err := check.LinearizeWithin(res, 0)
	if err != nil {
		r.disagree = append(r.disagree, err.Error())
		return r
	}
	for i, p := range lin.Partitions {
		q := quick.Partitions[i]
		if p.Verdict == check.Unknown || q.Verdict == check.Unknown {
			continue // over the budget: the search, not the check, fell short
		}
		if p.Verdict != q.Verdict || p.Breach != q.Breach {
			r.disagree = append(r.disagree, fmt.Sprintf("partition %v: porcupine says %s %s, Linearize's shortcuts %s %s", p.Ops, p.Verdict, p.Breach, q.Verdict, q.Breach))
		}
	}
	r.disagree = append(r.disagree, conclusionsAreLastAnswers(res)...)
	why := expectsIllegal(res, &rep)
	r.partitions = len(lin.Partitions)
	r.steps = lin.MostSteps
	for _, p := range lin.Partitions {
		r.folded += p.Folded
		r.largest = max(r.largest, p.Attempts-p.Folded+1)
		var reasons []string
		for _, o := range p.Ops {
			for _, w := range why[o] {
				reasons = append(reasons, o.String()+" "+w)
			}
		}
		if p.Verdict == check.Unknown || p.Verdict == check.Illegal && p.Breach == "" {
			r.unknown++
			continue
		}
		if p.Verdict == check.Illegal {
			r.illegal++
			r.breaches[p.Breach]++
		}
		sees := p.Verdict == check.Illegal && p.Breach == check.BreachEffects
		switch {
		case sees && len(reasons) == 0:
			r.disagree = append(r.disagree, fmt.Sprintf("partition %v: porcupine finds the final counts impossible, the audit finds nothing", p.Ops))
		case !sees && len(reasons) > 0:
			r.disagree = append(r.disagree, fmt.Sprintf("partition %v: the audit finds %s, porcupine says %s %s", p.Ops, strings.Join(reasons, ", "), p.Verdict, p.Breach))
		}
	}
	return r
}

// Goal: the ledger audit and porcupine agree on every world, as the package
// documentation defines agreement: a partition is illegal for its final
// counts exactly when the audit finds a duplicate, lost or wrong-answer
// operation in it (with the exceptions stated there); and Linearize, whose
// shortcuts spare most searches, gives every partition porcupine's verdict
// and breach. Method: every strategy over IDEMSIM_AGREEMENT_SEEDS chaos
// worlds, with clients that spread operations over keys and keys over
// operations; each world is audited, searched by porcupine partition by
// partition, and linearized; a disagreement names the world.
func TestAuditAndPorcupineAgree(t *testing.T) {
	n := agreementSeeds(t)
	var total agreed
	total.breaches = make(map[check.Breach]int)
	for _, s := range models.All() {
		t.Run(s.Name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./check")
			var sum agreed
			sum.breaches = make(map[check.Breach]int)
			configOf := func(seed uint64) world.Config { cfg, _ := agreementWorld(s, seed); return cfg }
			err := experiments.SweepFunc(configOf, 1, n, runtime.GOMAXPROCS(0), func(seed uint64, res *world.Result) agreed {
				return compare(seed, res)
			}, func(r agreed) {
				_, cmd := agreementWorld(s, r.seed)
				for _, d := range r.disagree {
					assert.Fail(t, "the audit and porcupine disagree", "%s, seed %d: %s\nlook at it: %s --trace\n%s", s.Name, r.seed, d, cmd, rerun)
				}
				sum.partitions += r.partitions
				sum.unknown += r.unknown
				sum.illegal += r.illegal
				sum.folded += r.folded
				sum.largest = max(sum.largest, r.largest)
				sum.steps = max(sum.steps, r.steps)
				if r.check > sum.check {
					sum.check, sum.seed = r.check, r.seed
				}
				for b, c := range r.breaches {
					sum.breaches[b] += c
				}
			})
			require.NoError(t, err, rerun)
			// The bound on searches that run out of steps: a figure of the
			// worlds alone (see compare).
			assert.LessOrEqual(t, float64(sum.unknown), 0.001*float64(sum.partitions), "%s: %d of %d partitions unknown\n%s", s.Name, sum.unknown, sum.partitions, rerun)
			t.Logf("%s: %d worlds, %d partitions: illegal %d %v, unknown %d; %d unanswered attempts folded, largest partition %d operations, longest search %d steps; slowest check %v (seed %d)",
				s.Name, n, sum.partitions, sum.illegal, sum.breaches, sum.unknown, sum.folded, sum.largest, sum.steps, sum.check.Round(time.Microsecond), sum.seed)
			total.partitions += sum.partitions
			total.unknown += sum.unknown
			total.steps = max(total.steps, sum.steps)
		})
	}
	t.Logf("all: %d partitions, %d unknown; longest search %d steps (budget %d)", total.partitions, total.unknown, total.steps, check.DefaultSteps)
}

// Goal: the same world gets the same verdicts, partition by partition.
// Method: a few worlds of every strategy, each run twice from its seed and
// linearized each time, under the step budget (a wall-clock timeout could
// make one of the two unknown).
func TestLinearizeIsDeterministic(t *testing.T) {
	for _, s := range models.All() {
		t.Run(s.Name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./check")
			for seed := uint64(1); seed <= 8; seed++ {
				cfg, cmd := agreementWorld(s, seed)
				var verdicts [2][]string
				for i := range verdicts {
					res, err := world.Run(cfg)
					require.NoError(t, err, rerun)
					lin, err := check.LinearizeWithin(res, 0)
					require.NoError(t, err, rerun)
					for _, p := range lin.Partitions {
						verdicts[i] = append(verdicts[i], fmt.Sprint(p.Ops, p.Keys, p.Attempts, p.Folded, p.Verdict, p.Breach))
					}
				}
				assert.Equal(t, verdicts[0], verdicts[1], "%s\n%s", cmd, rerun)
			}
		})
	}
}
