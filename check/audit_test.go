package check_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// Goal: the audit names each violation as the Kind constants of audit.go
// define it, per business operation (not per key), whatever the number of
// clients that submitted it.
// Method: hand-built results — ledger rows and client conclusions — one
// table row per situation.
func TestAuditClassifies(t *testing.T) {
	op := api.OpID{Queue: 1, Index: 1}
	out := func(client string, b world.Belief) world.Outcome {
		return world.Outcome{Client: client, Op: op, Belief: b, Start: 0, End: sim.Time(time.Second)}
	}
	for _, tc := range []struct {
		name     string
		effects  int
		outcomes []world.Outcome
		want     []check.Kind
	}{
		{"done-once-is-fine", 1, []world.Outcome{out("c1", world.BelievedDone)}, nil},
		{"done-twice-is-duplicate", 2, []world.Outcome{out("c1", world.BelievedDone)}, []check.Kind{check.Duplicate}},
		{"new-key-still-same-operation", 2, []world.Outcome{{Client: "c1", Op: op, Belief: world.BelievedDone, Keys: []string{"k-1", "k-2"}}}, []check.Kind{check.Duplicate}},
		{"done-without-effect-is-lost", 0, []world.Outcome{out("c1", world.BelievedDone)}, []check.Kind{check.Lost}},
		{"exhausted-without-effect-is-stuck", 0, []world.Outcome{out("c1", world.Exhausted)}, []check.Kind{check.Stuck}},
		{"exhausted-with-effect-is-unconfirmed", 1, []world.Outcome{out("c1", world.Exhausted)}, []check.Kind{check.Unconfirmed}},
		{"exhausted-while-another-was-told-is-confirmed", 1, []world.Outcome{out("c1", world.BelievedDone), out("c2", world.Exhausted)}, nil},
		{"exhausted-while-another-was-told-failed-is-a-wrong-answer-only", 1, []world.Outcome{out("c1", world.BelievedFailed), out("c2", world.Exhausted)}, []check.Kind{check.WrongAnswer}},
		{"failed-with-effect-is-wrong-answer", 1, []world.Outcome{out("c1", world.BelievedFailed)}, []check.Kind{check.WrongAnswer}},
		{"failed-without-effect-is-right", 0, []world.Outcome{out("c1", world.BelievedFailed)}, nil},
		{"unfinished-is-not-judged", 0, []world.Outcome{out("c1", world.Unfinished)}, nil},
		{"two-workers-one-done-one-stuck", 0, []world.Outcome{out("c1", world.BelievedDone), out("c2", world.Exhausted)}, []check.Kind{check.Lost, check.Stuck}},
		{"two-workers-charged-twice", 2, []world.Outcome{out("c1", world.BelievedDone), out("c2", world.BelievedDone)}, []check.Kind{check.Duplicate}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := "go test ./check -run TestAuditClassifies/" + tc.name
			res := &world.Result{Outcomes: tc.outcomes}
			for i := 0; i < tc.effects; i++ {
				res.Ledger = append(res.Ledger, world.Row{Source: "payments", ID: strconv.Itoa(i + 1), Op: op})
			}
			rep := check.Audit(res)
			var got []check.Kind
			for _, v := range rep.Violations {
				got = append(got, v.Kind)
				assert.Equal(t, op, v.Op, cmd)
				assert.Equal(t, tc.effects, v.Effects, cmd)
			}
			assert.Equal(t, tc.want, got, cmd)
			assert.Equal(t, 1, rep.Ops, cmd)
			assert.Equal(t, len(tc.outcomes), rep.Submissions, cmd)
			for _, k := range check.Kinds {
				assert.Equal(t, rep.Counts[k] > 0, rep.Violated(k), cmd)
			}
		})
	}
}

// Goal: latency quantiles are nearest-rank over concluded submissions only.
// Method: 100 operations concluding after 1..100ms, plus unfinished ones.
func TestAuditLatency(t *testing.T) {
	res := &world.Result{}
	for i := 1; i <= 100; i++ {
		res.Outcomes = append(res.Outcomes, world.Outcome{Client: "c1", Op: api.OpID{Queue: 1, Index: int32(i)},
			Belief: world.BelievedDone, End: sim.Time(time.Duration(i) * time.Millisecond)})
		res.Ledger = append(res.Ledger, world.Row{Source: "payments", ID: strconv.Itoa(i), Op: api.OpID{Queue: 1, Index: int32(i)}})
	}
	res.Outcomes = append(res.Outcomes, world.Outcome{Client: "c2", Op: api.OpID{Queue: 2, Index: 1}, Belief: world.Unfinished})
	rep := check.Audit(res)
	const cmd = "go test ./check -run TestAuditLatency"
	assert.Equal(t, 50*time.Millisecond, rep.LatencyP50, cmd)
	assert.Equal(t, 99*time.Millisecond, rep.LatencyP99, cmd)
	assert.Equal(t, 101, rep.Ops, cmd)
	assert.False(t, rep.Violated(""), cmd)
}

// Goal: a deletion is the effect of the delete that asked for it, apart
// from the row it removed. Method: a create and a delete of its payment,
// both done: no violation; the create's row inserted again after the
// delete (a late create): a duplicate of the create, not of the delete; a
// delete told done with nothing deleted: lost.
func TestAuditDeletions(t *testing.T) {
	create, del := api.OpID{Queue: 1, Index: 1}, api.OpID{Queue: 1, Index: 2}
	done := func(op api.OpID) world.Outcome {
		return world.Outcome{Client: "c1", Op: op, Belief: world.BelievedDone}
	}
	row := func(op api.OpID, id string, deleted bool) world.Row {
		return world.Row{Source: "payments", ID: id, Op: op, Deleted: deleted}
	}
	for _, tc := range []struct {
		name   string
		ledger []world.Row
		want   []string
	}{
		{"created-then-deleted", []world.Row{row(create, "1", false), row(del, "1", true)}, nil},
		{"late-create-after-delete", []world.Row{row(create, "1", false), row(del, "1", true), row(create, "2", false)}, []string{"duplicate o1.1: took effect 2x; c1 done"}},
		{"delete-that-deleted-nothing", []world.Row{row(create, "1", false)}, []string{"lost o1.2: took effect 0x; c1 done"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := "go test ./check -run TestAuditDeletions/" + tc.name
			rep := check.Audit(&world.Result{Outcomes: []world.Outcome{done(create), done(del)}, Ledger: tc.ledger})
			var got []string
			for _, v := range rep.Violations {
				got = append(got, v.String())
			}
			assert.Equal(t, tc.want, got, cmd)
			assert.Equal(t, len(tc.ledger), rep.Effects, cmd)
		})
	}
}

// Goal: an orphan charge is a gateway charge of an operation that no
// payment row accounts for at the end, with its money; a refunded charge
// is not in the ledger and so orphans nothing; a strategy without ledger
// tables is not judged. Method: hand-built ledgers of charges and rows
// for one operation.
func TestAuditOrphanCharges(t *testing.T) {
	op := api.OpID{Queue: 1, Index: 1}
	charge := func(id string) world.Row {
		return world.Row{Source: world.SourceGateway, ID: id, Op: op, Amount: 1234}
	}
	row := func(id string, deleted bool) world.Row {
		return world.Row{Source: "payments", ID: id, Op: op, Deleted: deleted}
	}
	for _, tc := range []struct {
		name        string
		ledger      []world.Row
		tables      []string
		belief      world.Belief
		want        []string
		orphanCents int64
	}{
		{"charged-and-recorded", []world.Row{charge("ch_1"), row("1", false)}, []string{"payments"}, world.BelievedDone, nil, 0},
		{"charged-never-recorded-client-gave-up", []world.Row{charge("ch_1")}, []string{"payments"}, world.Exhausted,
			[]string{"unconfirmed o1.1: took effect 1x; c1 exhausted; gave up: no answer (0 attempts over 1s, none answered)",
				"orphan-charge o1.1: took effect 1x, 1 gateway charge ($12.34) with no payment row; c1 exhausted"}, 1234},
		{"charged-twice-recorded-once", []world.Row{charge("ch_1"), charge("ch_2"), row("1", false)}, []string{"payments"}, world.BelievedDone,
			[]string{"duplicate o1.1: took effect 2x; c1 done",
				"orphan-charge o1.1: took effect 2x, 1 gateway charge ($12.34) with no payment row; c1 done"}, 1234},
		{"a-deleted-row-still-records-its-charge", []world.Row{charge("ch_1"), row("1", false), row("1", true)}, []string{"payments"}, world.BelievedDone, nil, 0},
		{"refunded-charges-are-not-in-the-ledger", []world.Row{row("1", false)}, []string{"payments"}, world.BelievedDone, nil, 0},
		{"no-ledger-tables-no-judgement", []world.Row{charge("ch_1")}, nil, world.BelievedDone, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := "reproduce: go test ./check -run '^TestAuditOrphanCharges$/^" + tc.name + "$'"
			res := &world.Result{Outcomes: []world.Outcome{{Client: "c1", Op: op, Belief: tc.belief, End: sim.Time(time.Second)}}, Ledger: tc.ledger}
			res.Config.Strategy.Ledger = tc.tables
			rep := check.Audit(res)
			var got []string
			for _, v := range rep.Violations {
				got = append(got, v.String())
			}
			assert.Equal(t, tc.want, got, cmd)
			assert.Equal(t, tc.orphanCents, rep.OrphanCents, cmd)
		})
	}
}

// Goal: every stuck or unconfirmed operation names why its client gave
// up, from its answers and what happened to the servers that held its
// requests. Method: one client's attempts and the faults that fired, hand
// built, for each class; the strategy's lease switch decides the lease's
// part of the explanation.
func TestAuditGiveUpCauses(t *testing.T) {
	op := api.OpID{Queue: 1, Index: 1}
	ms := func(n int) sim.Time { return sim.Time(time.Duration(n) * time.Millisecond) }
	answered := func(n, at, status int) world.Attempt {
		return world.Attempt{Client: "c1", Op: op, N: n, Server: "s1", Call: ms(at), Return: ms(at + 10), Status: status}
	}
	timedOut := func(n, at int) world.Attempt {
		return world.Attempt{Client: "c1", Op: op, N: n, Server: "s1", Call: ms(at), Return: ms(at + 300), TimedOut: true}
	}
	crash := faults.Fault{Kind: faults.CrashFault, At: ms(5), Crash: faults.Crash{Node: "s1", At: ms(5), Downtime: 100 * time.Millisecond}}
	pause := faults.Fault{Kind: faults.PauseFault, At: ms(5), Crash: faults.Crash{Node: "s1", At: ms(5), Downtime: 3 * time.Second}}
	leased := api.Strategy{Name: "leased", Switches: []api.Switch{api.SwitchLease}, Defaults: api.Switches{Lease: 90 * time.Second}}
	unleased := api.Strategy{Name: "unleased", Switches: []api.Switch{api.SwitchLease}}
	for _, tc := range []struct {
		name     string
		strategy api.Strategy
		history  []world.Attempt
		fired    []faults.Fault
		want     string
	}{
		{"no-answer", unleased, []world.Attempt{timedOut(1, 0), timedOut(2, 400)}, nil,
			"no answer (2 attempts over 1s, none answered)"},
		{"held-by-a-crashed-request-no-lease", unleased, []world.Attempt{timedOut(1, 0), answered(2, 400, 409), answered(3, 800, 409)}, []faults.Fault{crash},
			"key held by a crashed request (2 of 3 attempts over 1s told in progress; s1 crashed at 0.005000s handling it; no lease frees it (lease=none))"},
		{"held-by-a-crashed-request-lease-too-long", leased, []world.Attempt{timedOut(1, 0), answered(2, 400, 409)}, []faults.Fault{crash},
			"key held by a crashed request (1 of 2 attempts over 1s told in progress; s1 crashed at 0.005000s handling it; its lease of 1m30s outlasts the client's 1s of retries)"},
		{"held-by-a-paused-request", unleased, []world.Attempt{timedOut(1, 0), answered(2, 400, 429)}, []faults.Fault{pause},
			"key held by a paused request (1 of 2 attempts over 1s told in progress; s1 froze at 0.005000s handling it; no lease frees it (lease=none))"},
		{"held-in-progress", api.Strategy{Name: "no-switch"}, []world.Attempt{answered(1, 0, 409), answered(2, 400, 409)}, nil,
			"key held in progress (2 of 2 attempts over 1s told in progress; the strategy has no lease)"},
		{"accepted-never-done", unleased, []world.Attempt{answered(1, 0, 202), answered(2, 400, 202)}, nil,
			"accepted, never done (2 of 2 attempts over 1s answered 202)"},
		{"server-errors", unleased, []world.Attempt{answered(1, 0, 500), timedOut(2, 400), answered(3, 800, 503)}, nil,
			"server errors (2 of 3 attempts over 1s answered 5xx)"},
		{"refused", unleased, []world.Attempt{answered(1, 0, 500), answered(2, 400, 400)}, nil,
			"refused (2 attempts over 1s, the last answered 400)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := "reproduce: go test ./check -run '^TestAuditGiveUpCauses$/^" + tc.name + "$'"
			res := &world.Result{History: tc.history, Faults: tc.fired,
				Outcomes: []world.Outcome{{Client: "c1", Op: op, Belief: world.Exhausted, Attempts: len(tc.history), Start: 0, End: sim.Time(time.Second)}}}
			res.Config.Strategy = tc.strategy
			rep := check.Audit(res)
			require.Len(t, rep.Violations, 1, cmd)
			v := rep.Violations[0]
			assert.Equal(t, check.Stuck, v.Kind, cmd)
			require.NotNil(t, v.Cause, cmd)
			assert.Equal(t, tc.want, v.Cause.String(), cmd)
			assert.Equal(t, []check.ClassCount{{Class: v.Cause.Class, Count: 1}}, rep.GiveUps, cmd)
		})
	}
}

// Goal: Kinds and NumKinds agree, so arrays indexed by kind hold them all.
func TestKindsAreNumbered(t *testing.T) {
	assert.Len(t, check.Kinds, check.NumKinds, "reproduce: go test ./check -run '^TestKindsAreNumbered$'")
	for i, k := range check.Kinds {
		assert.Equal(t, i, k.Index(), "reproduce: go test ./check -run '^TestKindsAreNumbered$'")
	}
}
