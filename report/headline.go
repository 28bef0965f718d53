package report

import (
	"fmt"
	"slices"
	"strings"
)

// The headline is one setting of one experiment, never a pool of several:
// the isolation experiment's rows where two clients submit each operation
// at once, the setting where the isolation level decides.
const (
	HeadlineExperiment = "isolation"
	HeadlineParam      = "workers_per_op"
	HeadlineValue      = "2"
)

// kindShort are the failure kinds as a headline cell names them.
var kindShort = map[string]string{
	"duplicate": "dup", "lost": "lost", "stuck": "stuck",
	"wrong_answer": "wrong", "unconfirmed": "unconf", "orphan_charge": "orphan",
}

// HeadlineOf is the headline table from the isolation experiment: a row
// per strategy, a column per isolation level, each cell the two-client
// row's rate of every failure kind it shows ("dup 4.6e-3, stuck 0.14"; 0
// when none), the counts and intervals in its tooltip. The caption says
// which rows these are and quotes the experiment's description, which
// states its fault mix. An experiment without the headline's rows is an
// error.
func HeadlineOf(x *Experiment) (Table, error) {
	at := map[[2]string]*Cell{}
	for i := range x.Cells {
		c := &x.Cells[i]
		if c.Value == HeadlineValue {
			at[[2]string{c.Strategy, c.Isolation}] = c
		}
	}
	if x.Param != HeadlineParam || len(at) == 0 {
		return Table{}, inputErr("report: %s: no rows with %s = %s (param is %s): the headline shows those", x.Path, HeadlineParam, HeadlineValue, x.Param)
	}
	levels := x.levels()
	t := Table{Header: append([]string{"strategy"}, levels...)}
	var ops int64
	seen := map[string]bool{}
	for _, s := range x.strategies() {
		row := []TableCell{{Text: s, Code: true, Link: strategyLink(s)}}
		for _, l := range levels {
			c, ok := at[[2]string{s, l}]
			if !ok {
				row = append(row, TableCell{Text: "–", Title: "not run at this level"})
				continue
			}
			ops = max(ops, c.Ops)
			var parts, title []string
			bad := false
			for _, m := range Kinds {
				r := m.Of(c)
				if r.Count > 0 {
					parts = append(parts, kindShort[m.Name]+" "+formatRate(float64(r.Rate)))
					seen[m.Name] = true
					bad = bad || slices.Contains(safetyMetrics, m.Name)
				}
				title = append(title, fmt.Sprintf("%s %d (95%% interval %s to %s)", m.Label, r.Count, formatRate(float64(r.Low)), formatRate(float64(r.High))))
			}
			text := "0"
			if len(parts) > 0 {
				text = strings.Join(parts, ", ")
			}
			row = append(row, TableCell{Text: text, Bad: bad,
				Title: fmt.Sprintf("%s at %s, %s = %s: of %d operations, %s", s, l, x.Param, HeadlineValue, c.Ops, strings.Join(title, "; "))})
		}
		t.Rows = append(t.Rows, row)
	}
	t.Caption = fmt.Sprintf("The `%s` experiment's rows with `%s` = %s (%s), per strategy and isolation level: the rate per business operation of each failure kind, over %d seeds (%s operations per cell). The experiment, in its own words: %s",
		x.Name, x.Param, HeadlineValue, x.ParamLabel, x.SeedsPerCell, thousands(ops), x.Description)
	var legend []string
	for _, m := range Kinds {
		legend = append(legend, fmt.Sprintf("`%s` %s", kindShort[m.Name], m.Label))
	}
	t.Notes = append(t.Notes, fmt.Sprintf("A cell names each failure kind some operation showed, with its rate (%s); 0: none of them; –: not run at that level. **Bold**: a duplicate, lost operation, wrong answer or orphan charge, which break what the client was promised; stuck and unconfirmed operations, about availability, are not bold (as in the scorecard). The counts and their 95%% intervals are in `results/%s/cells.csv` and in each cell's tooltip on the report page, with the other rows of the experiment.",
		strings.Join(legend, ", "), x.Name))
	var none []string
	for _, m := range Kinds {
		if !seen[m.Name] {
			none = append(none, m.Label)
		}
	}
	if len(none) > 0 {
		t.Notes = append(t.Notes, "No "+orList(none)+" in any cell.")
	}
	return t, nil
}

// thousands prints n with commas between groups of three digits.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
