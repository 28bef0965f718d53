package check

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// built is a hand-built run: attempts, one line each, as
//
//	c1 o1.1 k1 create 0 10 201 pay_1
//
// (client, operation, key, kind, call and answer in milliseconds, status,
// and the resource named if any; "?" for an answer that never came and no
// status), the clients' conclusions ("c1 o1.1 done"), and the ledger's
// effects per operation ("o1.1=1 o1.2=0").
type built struct {
	attempts, outcomes []string
	ledger             string
}

func ms(s string) sim.Time {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic("bad milliseconds " + s)
	}
	return sim.Time(time.Duration(n) * time.Millisecond)
}

func op(s string) api.OpID {
	o, err := api.ParseOpID(s)
	if err != nil {
		panic(err)
	}
	return o
}

func (b built) result(contract api.Contract) *world.Result {
	res := &world.Result{}
	res.Config.Strategy = api.Strategy{Name: "hand-built", Contract: contract}
	kinds := map[string]api.Kind{"create": api.Create, "poll": api.Poll, "delete": api.Delete}
	n := map[string]int{}
	keys := map[string][]string{}
	for _, line := range b.attempts {
		f := strings.Fields(line)
		a := world.Attempt{Client: f[0], Op: op(f[1]), Key: f[2], Kind: kinds[f[3]], Call: ms(f[4])}
		n[f[0]+f[1]]++
		a.N = n[f[0]+f[1]]
		if f[5] == "?" {
			a.TimedOut, a.Return = true, a.Call.Add(time.Second)
		} else {
			a.Return = ms(f[5])
			a.Status, _ = strconv.Atoi(f[6])
			if len(f) > 7 {
				a.Resource = f[7]
			}
		}
		if k := keys[f[0]+f[1]]; len(k) == 0 || k[len(k)-1] != a.Key {
			keys[f[0]+f[1]] = append(k, a.Key)
		}
		res.History = append(res.History, a)
		res.End = max(res.End, a.Return)
	}
	beliefs := map[string]world.Belief{"done": world.BelievedDone, "failed": world.BelievedFailed, "exhausted": world.Exhausted, "unfinished": world.Unfinished}
	for _, line := range b.outcomes {
		f := strings.Fields(line)
		res.Outcomes = append(res.Outcomes, world.Outcome{Client: f[0], Op: op(f[1]), Belief: beliefs[f[2]], Keys: keys[f[0]+f[1]]})
	}
	for _, e := range strings.Fields(b.ledger) {
		o, count, _ := strings.Cut(e, "=")
		c, _ := strconv.Atoi(count)
		for i := 0; i < c; i++ {
			res.Ledger = append(res.Ledger, world.Row{Source: "payments", ID: strconv.Itoa(len(res.Ledger) + 1), Op: op(o)})
		}
	}
	return res
}

// Goal: each contract's specification accepts the histories it promises
// and rejects the others, for the reason given: the final counts
// (effects), the order of the answers (early) or the resources they name
// (names). Method: small hand-built histories through Linearize, each
// either consistent with the contract or breaking one promise of it.
func TestSpecifications(t *testing.T) {
	for _, tc := range []struct {
		name     string
		contract api.Contract
		run      built
		want     Verdict
		breach   Breach
	}{
		// Replay: a repeated key gets the first answer again; the
		// operation takes effect at most once, and exactly once if a
		// client was told done.
		{"replay/done-once", api.ContractReplay, built{
			[]string{"c1 o1.1 k1 create 0 10 201 pay_1"}, []string{"c1 o1.1 done"}, "o1.1=1"}, OK, ""},
		{"replay/retry-after-lost-answer", api.ContractReplay, built{
			[]string{"c1 o1.1 k1 create 0 ?", "c1 o1.1 k1 create 1100 1110 201 pay_1"}, []string{"c1 o1.1 done"}, "o1.1=1"}, OK, ""},
		{"replay/5xx-may-have-acted", api.ContractReplay, built{
			[]string{"c1 o1.1 k1 create 0 10 500", "c1 o1.1 k1 create 20 30 200 pay_1"}, []string{"c1 o1.1 done"}, "o1.1=1"}, OK, ""},
		{"replay/unanswered-may-not-have-acted", api.ContractReplay, built{
			[]string{"c1 o1.1 k1 create 0 ?", "c1 o1.1 k1 create 1100 1110 503"}, []string{"c1 o1.1 exhausted"}, "o1.1=0"}, OK, ""},
		{"replay/duplicate", api.ContractReplay, built{
			[]string{"c1 o1.1 k1 create 0 ?", "c1 o1.1 k1 create 1100 1110 201 pay_2"}, []string{"c1 o1.1 done"}, "o1.1=2"}, Illegal, BreachEffects},
		{"replay/lost", api.ContractReplay, built{
			[]string{"c1 o1.1 k1 create 0 10 201 pay_1"}, []string{"c1 o1.1 done"}, "o1.1=0"}, Illegal, BreachEffects},
		{"replay/wrong-answer", api.ContractReplay, built{
			[]string{"c1 o1.1 k1 create 0 ?", "c1 o1.1 k1 create 1100 1110 422"}, []string{"c1 o1.1 failed"}, "o1.1=1"}, Illegal, BreachEffects},
		{"replay/two-payments-named-for-one-operation", api.ContractReplay, built{
			[]string{"c1 o1.1 k1 create 0 20 201 pay_1", "c2 o1.1 k1 create 5 25 201 pay_2"}, []string{"c1 o1.1 done", "c2 o1.1 done"}, "o1.1=1"}, Illegal, BreachNames},
		{"replay/reused-key-answered-with-the-other-payment", api.ContractReplay, built{
			[]string{"c1 o1.1 k1 create 0 10 201 pay_1", "c1 o1.2 k1 create 20 30 201 pay_2", "c2 o1.2 k1 create 40 50 200 pay_1"},
			[]string{"c1 o1.1 done", "c1 o1.2 done", "c2 o1.2 done"}, "o1.1=1 o1.2=1"}, Illegal, BreachNames},
		{"replay/reused-key-replayed-is-lost", api.ContractReplay, built{
			[]string{"c1 o1.1 k1 create 0 10 201 pay_1", "c1 o1.2 k1 create 20 30 200 pay_1"},
			[]string{"c1 o1.1 done", "c1 o1.2 done"}, "o1.1=1 o1.2=0"}, Illegal, BreachEffects},
		{"replay/new-key-after-5xx-once", api.ContractReplay, built{
			[]string{"c1 o1.1 k1 create 0 10 500", "c1 o1.1 k2 create 20 30 201 pay_1"}, []string{"c1 o1.1 done"}, "o1.1=1"}, OK, ""},
		{"replay/new-key-after-5xx-twice", api.ContractReplay, built{
			[]string{"c1 o1.1 k1 create 0 10 500", "c1 o1.1 k2 create 20 30 201 pay_2"}, []string{"c1 o1.1 done"}, "o1.1=2"}, Illegal, BreachEffects},

		// 409-on-duplicate: 409 to a repeat, read as done, only once the
		// first has taken effect.
		{"409/repeat-after-the-first", api.Contract409, built{
			[]string{"c1 o1.1 k1 create 0 10 201 pay_1", "c2 o1.1 k1 create 20 30 409 pay_1"}, []string{"c1 o1.1 done", "c2 o1.1 done"}, "o1.1=1"}, OK, ""},
		{"409/repeat-while-the-first-runs", api.Contract409, built{
			[]string{"c1 o1.1 k1 create 0 40 201 pay_1", "c2 o1.1 k1 create 10 20 409"}, []string{"c1 o1.1 done", "c2 o1.1 done"}, "o1.1=1"}, OK, ""},
		{"409/unanswered-first-did-it", api.Contract409, built{
			[]string{"c1 o1.1 k1 create 0 ?", "c2 o1.1 k1 create 10 20 409", "c1 o1.1 k1 create 1100 1110 409"},
			[]string{"c1 o1.1 done", "c2 o1.1 done"}, "o1.1=1"}, OK, ""},
		{"409/done-before-anything-began", api.Contract409, built{
			[]string{"c2 o1.1 k1 create 10 20 409", "c1 o1.1 k1 create 30 40 201 pay_1"}, []string{"c1 o1.1 done", "c2 o1.1 done"}, "o1.1=1"}, Illegal, BreachEarly},
		{"409/done-but-never-done", api.Contract409, built{
			[]string{"c1 o1.1 k1 create 0 ?", "c1 o1.1 k1 create 1100 1110 409"}, []string{"c1 o1.1 done"}, "o1.1=0"}, Illegal, BreachEffects},
		{"409/in-progress-read-as-retry", api.Contract409, built{
			[]string{"c2 o1.1 k1 create 10 20 409", "c2 o1.1 k1 create 30 40 201 pay_1"}, []string{"c2 o1.1 done"}, "o1.1=1"}, OK, ""},
		{"409/two-created", api.Contract409, built{
			[]string{"c1 o1.1 k1 create 0 10 201 pay_1", "c2 o1.1 k1 create 20 30 201 pay_2"}, []string{"c1 o1.1 done", "c2 o1.1 done"}, "o1.1=2"}, Illegal, BreachEffects},

		// 202-then-poll: a 202 promises the work; a poll answers pending
		// until it is done, then the stored outcome.
		{"202/accept-poll-done", api.ContractPoll202, built{
			[]string{"c1 o1.1 k1 create 0 10 202", "c1 o1.1 k1 poll 20 30 202", "c1 o1.1 k1 poll 40 50 201 pay_1"}, []string{"c1 o1.1 done"}, "o1.1=1"}, OK, ""},
		{"202/accepted-done-unseen", api.ContractPoll202, built{
			[]string{"c1 o1.1 k1 create 0 10 202", "c1 o1.1 k1 poll 20 30 202"}, []string{"c1 o1.1 exhausted"}, "o1.1=1"}, OK, ""},
		{"202/accepted-never-done", api.ContractPoll202, built{
			[]string{"c1 o1.1 k1 create 0 10 202", "c1 o1.1 k1 poll 20 30 202", "c1 o1.1 k1 poll 40 50 202"}, []string{"c1 o1.1 exhausted"}, "o1.1=0"}, Illegal, BreachEffects},
		{"202/accepted-then-refused", api.ContractPoll202, built{
			[]string{"c1 o1.1 k1 create 0 10 202", "c1 o1.1 k1 poll 20 30 422"}, []string{"c1 o1.1 failed"}, "o1.1=0"}, OK, ""},
		{"202/pending-after-done", api.ContractPoll202, built{
			[]string{"c1 o1.1 k1 create 0 10 202", "c1 o1.1 k1 poll 20 30 201 pay_1", "c2 o1.1 k1 poll 40 50 202", "c2 o1.1 k1 poll 60 70 201 pay_1"},
			[]string{"c1 o1.1 done", "c2 o1.1 done"}, "o1.1=1"}, Illegal, BreachEarly},
		{"202/stored-outcome-after-a-lost-accept", api.ContractPoll202, built{
			[]string{"c1 o1.1 k1 create 0 ?", "c1 o1.1 k1 create 1100 1110 201 pay_1"}, []string{"c1 o1.1 done"}, "o1.1=1"}, OK, ""},
		{"202/work-done-twice", api.ContractPoll202, built{
			[]string{"c1 o1.1 k1 create 0 10 202", "c1 o1.1 k1 poll 20 30 201 pay_1"}, []string{"c1 o1.1 done"}, "o1.1=2"}, Illegal, BreachEffects},
		{"202/other-key-done-this-one-pending", api.ContractPoll202, built{
			[]string{"c1 o1.1 k1 create 0 10 202", "c2 o1.1 k2 create 0 ?", "c2 o1.1 k2 create 5 15 201 pay_1", "c1 o1.1 k1 poll 20 30 202"},
			[]string{"c1 o1.1 exhausted", "c2 o1.1 done"}, "o1.1=1"}, OK, ""},

		// 412-optimistic: a read says whether the payment under the
		// client's reference is there; a stale version gets 412.
		{"412/read-create", api.Contract412, built{
			[]string{"c1 o1.1 k1 poll 0 10 200", "c1 o1.1 k1 create 20 30 201 pay_1"}, []string{"c1 o1.1 done"}, "o1.1=1"}, OK, ""},
		{"412/lost-answer-reread-finds-it", api.Contract412, built{
			[]string{"c1 o1.1 k1 poll 0 10 200", "c1 o1.1 k1 create 20 ?", "c1 o1.1 k1 create 1100 1110 412", "c1 o1.1 k1 poll 1120 1130 200 pay_1"},
			[]string{"c1 o1.1 done"}, "o1.1=1"}, OK, ""},
		{"412/read-misses-a-finished-payment", api.Contract412, built{
			[]string{"c1 o1.1 k1 create 0 10 201 pay_1", "c2 o1.1 k1 poll 20 30 200", "c2 o1.1 k1 create 40 50 412", "c2 o1.1 k1 poll 60 70 200 pay_1"},
			[]string{"c1 o1.1 done", "c2 o1.1 done"}, "o1.1=1"}, Illegal, BreachEarly},
		{"412/applied-twice", api.Contract412, built{
			[]string{"c1 o1.1 k1 poll 0 10 200", "c1 o1.1 k1 create 20 ?", "c1 o1.1 k1 create 1100 1110 412", "c1 o1.1 k1 poll 1120 1130 200 pay_1", "c1 o1.1 k1 create 1140 1150 201 pay_2"},
			[]string{"c1 o1.1 done"}, "o1.1=2"}, Illegal, BreachEffects},

		// Client-chosen ids: the resource is the key; a delete removes
		// the payment, and a create after it makes a second one.
		{"chosen/put-then-found", api.ContractChosen, built{
			[]string{"c1 o1.1 k1 create 0 ?", "c1 o1.1 k1 create 1100 1110 200 k1"}, []string{"c1 o1.1 done"}, "o1.1=1"}, OK, ""},
		{"chosen/resource-is-not-the-key", api.ContractChosen, built{
			[]string{"c1 o1.1 k1 create 0 10 201 pay_1"}, []string{"c1 o1.1 done"}, "o1.1=1"}, Illegal, BreachNames},
		{"chosen/delete", api.ContractChosen, built{
			[]string{"c1 o1.1 k1 create 0 10 201 k1", "c2 o2.1 k1 delete 20 30 204", "c2 o2.1 k1 poll 40 50 404"},
			[]string{"c1 o1.1 done", "c2 o2.1 done"}, "o1.1=1 o2.1=1"}, OK, ""},
		{"chosen/late-create-after-delete", api.ContractChosen, built{
			[]string{"c1 o1.1 k1 create 0 ?", "c1 o1.1 k1 create 1100 1110 201 k1", "c2 o2.1 k1 delete 1200 1210 204"},
			[]string{"c1 o1.1 done", "c2 o2.1 done"}, "o1.1=2 o2.1=1"}, Illegal, BreachEffects},
		{"chosen/delete-of-nothing", api.ContractChosen, built{
			[]string{"c2 o2.1 k1 delete 0 10 204"}, []string{"c2 o2.1 done"}, "o2.1=1"}, Illegal, BreachEffects},
		{"chosen/gone-after-created", api.ContractChosen, built{
			[]string{"c1 o1.1 k1 create 0 10 201 k1", "c2 o1.1 k1 poll 20 30 404", "c2 o1.1 k1 create 40 50 200 k1"},
			[]string{"c1 o1.1 done", "c2 o1.1 done"}, "o1.1=1"}, Illegal, BreachEarly},

		// None: every request performs the operation, so repeats are
		// allowed; "done" still needs an effect, "failed" none.
		{"none/repeat-allowed", api.ContractNone, built{
			[]string{"c1 o1.1 k1 create 0 ?", "c1 o1.1 k1 create 1100 1110 201 pay_2"}, []string{"c1 o1.1 done"}, "o1.1=2"}, OK, ""},
		{"none/lost", api.ContractNone, built{
			[]string{"c1 o1.1 k1 create 0 10 201 pay_1"}, []string{"c1 o1.1 done"}, "o1.1=0"}, Illegal, BreachEffects},
		{"none/wrong-answer", api.ContractNone, built{
			[]string{"c1 o1.1 k1 create 0 ?", "c1 o1.1 k1 create 1100 1110 402"}, []string{"c1 o1.1 failed"}, "o1.1=1"}, Illegal, BreachEffects},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./check")
			lin, err := LinearizeWithin(tc.run.result(tc.contract), 0)
			require.NoError(t, err, rerun)
			require.Len(t, lin.Partitions, 1, rerun)
			p := lin.Partitions[0]
			assert.Equal(t, tc.want, p.Verdict, rerun)
			assert.Equal(t, tc.breach, p.Breach, rerun)
			assert.Equal(t, tc.want == Illegal, len(p.History) > 0, "the history is kept for an illegal partition only; %s", rerun)
		})
	}
}

// Goal: a request the network delivered twice may have acted twice over:
// its copy joins the history, unanswered. Method: one attempt answered 409
// (its copy, second to arrive, was answered first), and the ledger holds
// the effect the original made; without the fault it is illegal.
func TestDuplicatedRequestMayHaveActed(t *testing.T) {
	rerun := testcmd.Rerun(t, "./check")
	res := built{[]string{"c1 o1.1 k1 create 0 10 409 pay_1"}, []string{"c1 o1.1 done"}, "o1.1=1"}.result(api.Contract409)
	lin, err := LinearizeWithin(res, 0)
	require.NoError(t, err, rerun)
	assert.Equal(t, Illegal, lin.Partitions[0].Verdict, rerun)
	res.Faults = []faults.Fault{{Kind: faults.DuplicateRequest, Msg: faults.Ref{Caller: "c1", Op: op("o1.1"), Attempt: 1}}}
	lin, err = LinearizeWithin(res, 0)
	require.NoError(t, err, rerun)
	assert.Equal(t, OK, lin.Partitions[0].Verdict, rerun)
}

// Goal: partitions are the operations and keys that share attempts: an
// operation that changed keys keeps them together, a key reused by a second
// operation joins the two, and an operation alone is alone. Method: a
// hand-built run with each case; partitions come in operation order.
func TestPartitions(t *testing.T) {
	rerun := testcmd.Rerun(t, "./check")
	res := built{[]string{
		"c1 o1.2 k3 create 0 10 201 pay_2",
		"c1 o1.1 k1 create 20 30 500",
		"c1 o1.1 k2 create 40 50 201 pay_1",
		"c2 o2.1 k4 create 0 10 201 pay_3",
		"c2 o2.2 k4 create 20 30 201 pay_3",
	}, []string{"c1 o1.1 done", "c1 o1.2 done", "c2 o2.1 done", "c2 o2.2 done"}, "o1.1=1 o1.2=1 o2.1=1 o3.1=1"}.result(api.ContractReplay)
	lin, err := LinearizeWithin(res, 0)
	require.NoError(t, err, rerun)
	var got []string
	for _, p := range lin.Partitions {
		got = append(got, opsText(p.Ops)+" "+strings.Join(p.Keys, ","))
	}
	assert.Equal(t, []string{"o1.1 k1,k2", "o1.2 k3", "o2.1,o2.2 k4", "o3.1 "}, got, rerun)
	// o2.2 was answered o2.1's payment and has no effect; o3.1 took
	// effect without any attempt: both illegal.
	assert.Equal(t, map[Verdict]int{OK: 2, Illegal: 2}, lin.Counts, rerun)
	assert.Equal(t, "4 partitions: ok 2, illegal 2, unknown 0 (budget 100000 steps)", lin.Summary(), rerun)
	assert.NotNil(t, lin.Of(op("o2.2")), rerun)
	assert.Nil(t, lin.Of(op("o9.9")), rerun)
}

func opsText(ops []api.OpID) string {
	var s []string
	for _, o := range ops {
		s = append(s, o.String())
	}
	return strings.Join(s, ",")
}

// Goal: Linearize's shortcuts change no verdict and no breach: folding the
// unanswered attempts of an operation, key and kind into the earliest;
// accepting a partition whose order as sent the specification accepts;
// calling impossible counts illegal without a search. Method: random small
// histories — two clients, one operation, one or two keys, answers drawn
// from every contract's statuses, many unanswered — checked by porcupine
// alone with and without folding, and with every shortcut.
func TestShortcutsKeepVerdicts(t *testing.T) {
	rerun := testcmd.Rerun(t, "./check")
	rng := rand.New(rand.NewPCG(1, 2))
	statuses := []string{"?", "?", "?", "500", "201 pay_1", "200 pay_1", "200", "202", "409", "409 pay_1", "412", "422", "404", "204", "201 k1", "200 k1"}
	kinds := []string{"create", "create", "poll", "delete"}
	compared := map[Verdict]int{}
	for i := 0; i < 3000; i++ {
		contract := api.Contracts()[i%len(api.Contracts())]
		var b built
		for _, c := range []string{"c1", "c2"} {
			at := rng.IntN(30)
			n := 1 + rng.IntN(6)
			for j := 0; j < n; j++ {
				key := []string{"k1", "k2"}[rng.IntN(2)]
				st := statuses[rng.IntN(len(statuses))]
				line := c + " o1.1 " + key + " " + kinds[rng.IntN(len(kinds))] + " " + strconv.Itoa(at) + " "
				if st == "?" {
					line += "?"
				} else {
					line += strconv.Itoa(at+5+rng.IntN(20)) + " " + st
				}
				b.attempts = append(b.attempts, line)
				at += 30 + rng.IntN(30)
			}
			b.outcomes = append(b.outcomes, c+" o1.1 "+[]string{"done", "failed", "exhausted"}[rng.IntN(3)])
		}
		b.ledger = "o1.1=" + strconv.Itoa(rng.IntN(3))
		res := b.result(contract)
		folded, err := linearize(res, limit{steps: DefaultSteps}, shortcuts{fold: true})
		require.NoError(t, err, rerun)
		whole, err := linearize(res, limit{steps: DefaultSteps}, shortcuts{})
		require.NoError(t, err, rerun)
		require.Equal(t, whole.Partitions[0].Verdict, folded.Partitions[0].Verdict, "%s\n%v\n%s", contract, b, rerun)
		require.Equal(t, whole.Partitions[0].Breach, folded.Partitions[0].Breach, "%s\n%v\n%s", contract, b, rerun)
		quick, err := linearize(res, limit{steps: DefaultSteps}, shortcuts{fold: true, witness: true})
		require.NoError(t, err, rerun)
		require.Equal(t, whole.Partitions[0].Verdict, quick.Partitions[0].Verdict, "the shortcuts changed the verdict: %s\n%v\n%s", contract, b, rerun)
		require.Equal(t, whole.Partitions[0].Breach, quick.Partitions[0].Breach, "the shortcuts changed the breach: %s\n%v\n%s", contract, b, rerun)
		compared[folded.Partitions[0].Verdict]++
	}
	// A comparison that only ever saw one verdict would prove little.
	assert.Greater(t, compared[OK], 300, rerun)
	assert.Greater(t, compared[Illegal], 300, rerun)
}

// Goal: a search that cannot finish within the timeout is unknown, never
// ok or illegal. Method: the endless partition (forty concurrent 5xx)
// under a 50ms timeout.
func TestTimeoutIsUnknown(t *testing.T) {
	rerun := testcmd.Rerun(t, "./check")
	lin, err := Linearize(endless(40).result(api.ContractReplay), 50*time.Millisecond)
	require.NoError(t, err, rerun)
	assert.Equal(t, Unknown, lin.Partitions[0].Verdict, rerun)
	assert.Equal(t, map[Verdict]int{Unknown: 1}, lin.Counts, rerun)
	assert.Contains(t, lin.Summary(), "unknown 1 (timeout 50ms)", rerun)
}

// endless is a partition porcupine cannot settle without trying every
// order of n concurrent 5xx answers: then a refusal the client stopped on,
// and one effect in the ledger (either one of the 5xx acted and the
// refusal lied, or none did and the effect is unexplained).
func endless(n int) built {
	var b built
	for i := 0; i < n; i++ {
		b.attempts = append(b.attempts, "c"+strconv.Itoa(i+1)+" o1.1 k1 create 0 100 500")
	}
	b.attempts = append(b.attempts, "c1 o1.1 k1 create 200 210 422")
	b.outcomes = []string{"c1 o1.1 failed"}
	b.ledger = "o1.1=1"
	return b
}

// Goal: under a step budget a search's verdict depends on the history
// alone: one that runs out of steps is unknown (never illegal, though
// porcupine, its steps refused, would say so), one that finishes within it
// keeps its verdict, and ok stands even found with the last step. Method:
// the endless partition and an illegal and an ok one, each under budgets
// from one step to the default; the unknown one twice, for the same answer.
func TestStepBudget(t *testing.T) {
	illegal := built{[]string{"c1 o1.1 k1 create 0 10 201 pay_1", "c2 o1.1 k1 create 5 15 201 pay_2"}, []string{"c1 o1.1 done", "c2 o1.1 done"}, "o1.1=1"}
	ok := built{[]string{"c1 o1.1 k1 create 0 ?", "c2 o1.1 k1 create 5 15 409 pay_1"}, []string{"c2 o1.1 done"}, "o1.1=1"}
	for _, tc := range []struct {
		name  string
		run   built
		steps int
		want  Verdict
	}{
		{"endless/default", endless(40), 0, Unknown},
		{"endless/small", endless(40), 1000, Unknown},
		{"illegal/one-step", illegal, 1, Unknown},
		{"illegal/default", illegal, 0, Illegal},
		{"ok/default", ok, 0, OK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./check")
			res := tc.run.result(api.ContractReplay)
			for range 2 {
				lin, err := LinearizeBySearch(res, tc.steps)
				require.NoError(t, err, rerun)
				require.Len(t, lin.Partitions, 1, rerun)
				assert.Equal(t, tc.want, lin.Partitions[0].Verdict, rerun)
				assert.Contains(t, lin.Summary(), "steps)", rerun)
			}
		})
	}
}

// Goal: a contract without a specification is an error, not a verdict.
func TestUnknownContract(t *testing.T) {
	_, err := Linearize(built{}.result("carrier-pigeon"), 0)
	assert.ErrorContains(t, err, `no specification for contract "carrier-pigeon"`, testcmd.Rerun(t, "./check"))
}

// Goal: an illegal partition keeps what porcupine needs to draw it, an ok
// one does not. Method: visualize each.
func TestVisualize(t *testing.T) {
	rerun := testcmd.Rerun(t, "./check")
	lin, err := Linearize(built{[]string{"c1 o1.1 k1 create 0 10 201 pay_1", "c1 o2.1 k2 create 0 10 201 pay_2"},
		[]string{"c1 o1.1 done", "c1 o2.1 done"}, "o1.1=2 o2.1=1"}.result(api.ContractReplay), 0)
	require.NoError(t, err, rerun)
	require.Len(t, lin.Partitions, 2, rerun)
	var page strings.Builder
	require.NoError(t, lin.Partitions[0].Visualize(&page), rerun)
	assert.True(t, strings.Contains(page.String(), `c1 o1.1 create k1 #1 -\u003e 201 pay_1 (done)`), "the page describes the attempt; %s", rerun)
	assert.ErrorContains(t, lin.Partitions[1].Visualize(&page), "only an illegal one", rerun)
}
