package check_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// Goal: the audit names each violation as DESIGN.md defines it, per business
// operation (not per key), whatever the number of clients that submitted it.
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
		{"exhausted-with-effect-is-ambiguous-not-a-violation", 1, []world.Outcome{out("c1", world.Exhausted)}, nil},
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
