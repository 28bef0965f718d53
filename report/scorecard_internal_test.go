package report

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/internal/testcmd"
)

// Goal: the scorecard's requires column names the settings at which a
// strategy stayed clean where an experiment caught it elsewhere — levels
// clean at every value first, then values clean at every level — never a
// setting that injects no fault, and says "caught at every setting" when
// no setting with faults was clean. Method: hand-built experiments of one
// strategy with a duplicate in chosen cells.
func TestScorecardRequires(t *testing.T) {
	cell := func(level, value string, x float64, dup int64) Cell {
		return Cell{Strategy: "s", Isolation: level, Value: value, X: experiments.Num(x), Ops: 100, Duplicate: Rate{Count: dup, Rate: experiments.Num(dup) / 100}}
	}
	for _, tc := range []struct {
		name   string
		x      Experiment
		needs  []string
		always []string
	}{
		{"levels", Experiment{Name: "isolation", Param: "workers_per_op", Numeric: true, Cells: []Cell{
			cell("read-committed", "1", 1, 0), cell("read-committed", "2", 2, 3),
			cell("serializable", "1", 1, 0), cell("serializable", "2", 2, 0)}},
			[]string{"isolation: serializable"}, nil},
		{"values", Experiment{Name: "gateway", Param: "gateway", Cells: []Cell{
			cell("read-committed", "idempotent/0.1", 0, 0), cell("read-committed", "none/0.1", 1, 5)}},
			[]string{"gateway: idempotent/0.1"}, nil},
		{"a fault-free value is no condition", Experiment{Name: "network-loss", Param: "drop_rate", Numeric: true, Cells: []Cell{
			cell("read-committed", "0", 0, 0), cell("read-committed", "0.1", 0.1, 2)}},
			nil, []string{"network-loss"}},
		{"none is no condition", Experiment{Name: "crashes", Param: "crash", Cells: []Cell{
			cell("read-committed", "none", 0, 0), cell("read-committed", "random-2s", 1, 2)}},
			nil, []string{"crashes"}},
		{"clean everywhere says nothing", Experiment{Name: "duplicates", Param: "duplicate_rate", Numeric: true, Cells: []Cell{
			cell("read-committed", "0", 0, 0), cell("read-committed", "0.1", 0.1, 0)}},
			nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./report")
			needs, always := requires([]*Experiment{&tc.x}, "s")
			assert.Equal(t, tc.needs, needs, rerun)
			assert.Equal(t, tc.always, always, rerun)
		})
	}
}

// Goal: the stuck column of a strategy that holds keys says, per variant of
// the budget-lease experiment, the smallest client budget at which nothing
// was stuck and what the lease cost there, or that nothing freed it.
// Method: a hand-built budget-lease experiment of two variants.
func TestScorecardStuckCure(t *testing.T) {
	cell := func(name, value string, x float64, stuck, dup int64) Cell {
		return Cell{Strategy: name, Isolation: "read-committed", Value: value, X: experiments.Num(x), Ops: 100,
			Stuck: Rate{Count: stuck, Rate: experiments.Num(stuck) / 100}, Duplicate: Rate{Count: dup, Rate: experiments.Num(dup) / 100}}
	}
	x := &Experiment{Name: leaseExperiment, Param: "client_budget_s", Numeric: true, Cells: []Cell{
		cell("s", "5", 5, 10, 0), cell("s", "60", 60, 9, 0),
		cell("s lease=10s", "5", 5, 10, 0), cell("s lease=10s", "60", 60, 0, 4),
	}}
	got := stuckCure([]*Experiment{x}, "s")
	require.NotEmpty(t, got, testcmd.Rerun(t, "./report"))
	assert.Equal(t, "budget-lease: never 0 with its default lease (budgets up to 60s); 0 with lease=10s from a 60s budget at duplicate 0.04", got, testcmd.Rerun(t, "./report"))
}
