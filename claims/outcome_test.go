package claims_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/claims"
	"github.com/idemsim/idemsim/internal/testcmd"
)

// Goal: the table's order of outcomes puts the safety violations first
// (duplicate, lost, wrong-answer, orphan-charge) and ranks every kind of
// check.Kinds exactly once, each with its own short label — also a kind
// added to check.Kinds later, with no change here. Method: inspect
// Severity and Label for today's kinds, then for check.Kinds with an
// unknown kind appended (restored afterwards).
func TestSeverityCoversEveryKind(t *testing.T) {
	rerun := testcmd.Rerun(t, "./claims")
	saved := check.Kinds
	defer func() { check.Kinds = saved }()
	for _, tc := range []struct {
		name  string
		kinds []check.Kind
	}{
		{"today", saved},
		{"with-a-new-kind", append(slices.Clone(saved), "made-up")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./claims")
			check.Kinds = tc.kinds
			order := claims.Severity()
			require.Len(t, order, len(tc.kinds), rerun)
			assert.Equal(t, []check.Kind{check.Duplicate, check.Lost, check.WrongAnswer, check.OrphanCharge}, order[:4], "safety first; %s", rerun)
			assert.ElementsMatch(t, tc.kinds, order, rerun)
			labels := map[string]check.Kind{}
			for _, k := range order {
				l := claims.Label(k)
				require.NotEmpty(t, l, "kind %s has a label; %s", k, rerun)
				assert.NotContains(t, l, " ", "a label is one word, the cell's rate follows it; %s", rerun)
				other, dup := labels[l]
				assert.False(t, dup, "kinds %s and %s share the label %s; %s", k, other, l, rerun)
				labels[l] = k
			}
			assert.Equal(t, "UNCONF", claims.Label(check.Unconfirmed), rerun)
			assert.Equal(t, "ORPHAN", claims.Label(check.OrphanCharge), rerun)
			if len(tc.kinds) > len(saved) {
				assert.Equal(t, "MADE-UP", claims.Label("made-up"), "a kind without a label is shown by its name; %s", rerun)
				assert.Equal(t, check.Kind("made-up"), order[len(order)-1], "the others keep check.Kinds order; %s", rerun)
			}
		})
	}
	assert.Equal(t, []string{"DUP", "LOST", "WRONG", "STUCK"}, []string{claims.Label(check.Duplicate), claims.Label(check.Lost), claims.Label(check.WrongAnswer), claims.Label(check.Stuck)}, rerun)
}

// Goal: a cell reads as its worst outcome and the share of schedules that
// showed it, rare shares are never printed as 0% nor common ones as 100%,
// and the first schedule of each kind is kept. Method: table of shares,
// then an Outcome fed by hand.
func TestOutcomeCell(t *testing.T) {
	rerun := testcmd.Rerun(t, "./claims")
	for _, tc := range []struct {
		n, total int
		want     string
	}{
		{0, 200, "0%"}, {1, 200, "0.5%"}, {9, 200, "4.5%"}, {8, 200, "4%"}, {19, 200, "9.5%"}, {20, 200, "10%"},
		{62, 200, "31%"}, {199, 200, "99%"}, {200, 200, "100%"}, {1, 5000, "<0.1%"}, {3, 0, "0%"},
	} {
		assert.Equal(t, tc.want, claims.Percent(tc.n, tc.total), "%d of %d; %s", tc.n, tc.total, rerun)
	}

	var o claims.Outcome
	assert.Equal(t, "ok", o.Cell(), rerun)
	o.Add(1, nil)
	o.Add(2, map[check.Kind]int{check.Stuck: 1})
	o.Add(3, map[check.Kind]int{check.Stuck: 1, check.Lost: 2})
	o.Add(4, map[check.Kind]int{check.Lost: 0})
	assert.Equal(t, 4, o.Schedules, rerun)
	k, bad := o.Worst()
	require.True(t, bad, rerun)
	assert.Equal(t, check.Lost, k, "lost ranks above stuck; %s", rerun)
	assert.Equal(t, "LOST 25%", o.Cell(), rerun)
	assert.Equal(t, "LOST 25% (1 of 4), STUCK 50% (2 of 4)", o.Summary(), rerun)
	n, first := o.Showed(check.Stuck)
	assert.Equal(t, 2, n, rerun)
	assert.Equal(t, uint64(2), first, "the first schedule that showed it; %s", rerun)
	o.NotApplicable = true
	assert.Equal(t, "n/a", o.Cell(), rerun)
}
