package report

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/experiments"
)

// simLiveCell is a cell of a hand-made sim-vs-live experiment: dups
// duplicates out of 20 operations, nothing else.
func simLiveCell(strategy, level, value string, dups int64) Cell {
	lo, hi := Wilson(dups, 20)
	_, none := Wilson(0, 20)
	zero := experiments.Interval{High: experiments.Num(none)}
	x := experiments.Num(0)
	if value == "live" {
		x = 1
	}
	return Cell{Strategy: strategy, Isolation: level, Value: value, X: x, Seeds: 20, Ops: 20,
		Duplicate: experiments.Interval{Count: dups, Rate: experiments.Num(float64(dups) / 20), Low: experiments.Num(lo), High: experiments.Num(hi)},
		Lost:      zero, Stuck: zero, WrongAnswer: zero, NonLinearizable: zero, Unconfirmed: zero, OrphanCharge: zero}
}

// Goal: an experiment whose values are exactly simulated and live gets,
// first of its figures, the one that puts both rates of each strategy
// side by side; no other experiment does. Method: hand-made experiments:
// one with naive and txn-check-insert at two levels, where
// txn-check-insert at read committed duplicates simulated and never live
// (its row is shaded and counted in the caption); the rows, their labels
// (the level only where a strategy runs at several), the panels drawn
// (only duplicate counts) and a render that gives the same bytes twice;
// then the same cells with other values, which get no such figure.
func TestSimLiveFigure(t *testing.T) {
	x := &Experiment{Name: "sim-vs-live-rates", Param: "mode", ParamLabel: "where the world ran", SeedsPerCell: 20, Cells: []Cell{
		simLiveCell("naive", "read-committed", "simulated", 20), simLiveCell("naive", "read-committed", "live", 19),
		simLiveCell("txn-check-insert", "read-committed", "simulated", 9), simLiveCell("txn-check-insert", "read-committed", "live", 0),
		simLiveCell("txn-check-insert", "serializable", "simulated", 0), simLiveCell("txn-check-insert", "serializable", "live", 0),
	}}
	var labels []string
	for _, r := range x.simLiveRows() {
		labels = append(labels, r.label)
	}
	assert.Equal(t, []string{"naive", "txn-check-insert at read-committed", "txn-check-insert at serializable"}, labels, rerunInternal(t))
	figs := Figures(x)
	require.NotEmpty(t, figs, rerunInternal(t))
	f := figs[0]
	assert.Equal(t, SimLiveFigureName+" "+formSimLive, f.Name+" "+f.form, rerunInternal(t))
	assert.Contains(t, f.Caption, "(duplicate)", rerunInternal(t))
	assert.Contains(t, f.Caption, "1 of 3 rows", rerunInternal(t))
	one, err := f.SVG()
	require.NoError(t, err, rerunInternal(t))
	two, err := f.SVG()
	require.NoError(t, err, rerunInternal(t))
	assert.Equal(t, one, two, rerunInternal(t))
	assert.Contains(t, string(one), "txn-check-insert at serializable", rerunInternal(t))
	_, err = f.PNG()
	require.NoError(t, err, rerunInternal(t))

	for _, values := range [][2]string{{"0", "0.1"}, {"live", "simulated"}} {
		other := *x
		other.Cells = nil
		for _, c := range x.Cells {
			if c.Value == "simulated" {
				c.Value = values[0]
			} else {
				c.Value = values[1]
			}
			other.Cells = append(other.Cells, c)
		}
		_, ok := simLiveFigure(&other)
		assert.False(t, ok, "values %v; %s", values, rerunInternal(t))
	}
}
