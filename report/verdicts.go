package report

import (
	"fmt"
	"slices"
	"strings"
)

// VerdictsOf is a strategy's record in every experiment that ran it: a
// row per experiment (and per variant of the strategy the experiment
// runs), a column per failure kind, each cell the worst rate of that kind
// over the experiment's cells and the setting that produced it (the
// swept value, and the level where the strategy ran at several), the
// counts and every setting that tied in its tooltip.
func VerdictsOf(strategy string, xs []*Experiment) Table {
	t := Table{Header: []string{"experiment", "swept"}}
	for _, m := range Kinds {
		t.Header = append(t.Header, m.Label)
	}
	for _, x := range xs {
		values, _ := x.values()
		for _, s := range x.strategies() {
			if base, _, _ := strings.Cut(s, " "); base != strategy {
				continue
			}
			var cells []*Cell
			levels := map[string]bool{}
			for i := range x.Cells {
				if c := &x.Cells[i]; c.Strategy == s {
					cells = append(cells, c)
					levels[c.Isolation] = true
				}
			}
			name := x.Name
			if s != strategy {
				name += " (" + strings.TrimPrefix(s, strategy+" ") + ")"
			}
			row := []TableCell{{Text: name, Link: ExperimentPage(x.Name)}, {Text: x.Param, Title: x.ParamLabel}}
			for _, m := range Kinds {
				row = append(row, worst(x, cells, m, len(values) > 1, len(levels) > 1))
			}
			t.Rows = append(t.Rows, row)
		}
	}
	t.Caption = fmt.Sprintf("`%s` in every experiment that ran it: for each failure kind, the worst rate per operation over the experiment's cells and, after \"at\", the setting that gave it (the swept value; the isolation level too where the strategy ran at several). Marked: a duplicate, lost operation, wrong answer or orphan charge (stuck and unconfirmed are about availability, as in the scorecard). The counts, intervals and any tying settings are in each cell's tooltip; the experiment's page has its plots.", strategy)
	return t
}

// worst is the cell of a verdict table: the highest rate of m among
// cells, and where it came from.
func worst(x *Experiment, cells []*Cell, m Metric, byValue, byLevel bool) TableCell {
	var top *Cell
	var ties []*Cell
	for _, c := range cells {
		switch r := m.Of(c); {
		case top == nil || r.Rate > m.Of(top).Rate:
			top, ties = c, []*Cell{c}
		case r.Rate == m.Of(top).Rate:
			ties = append(ties, c)
		}
	}
	if top == nil || m.Of(top).Count == 0 {
		return TableCell{Text: "0", Title: fmt.Sprintf("no %s in any of its %d cells", m.Label, len(cells))}
	}
	setting := func(c *Cell) string {
		var parts []string
		if byValue {
			parts = append(parts, c.Value)
		}
		if byLevel {
			parts = append(parts, c.Isolation)
		}
		return strings.Join(parts, ", ")
	}
	text := formatRate(float64(m.Of(top).Rate))
	if s := setting(top); s != "" {
		text += " at " + s
		if len(ties) > 1 {
			text += fmt.Sprintf(" (+%d)", len(ties)-1)
		}
	}
	var where []string
	for _, c := range ties {
		where = append(where, fmt.Sprintf("%s = %s at %s", x.Param, c.Value, c.Isolation))
	}
	r := m.Of(top)
	title := fmt.Sprintf("%s: %d of %d operations (95%% interval %s to %s), at %s", m.Label, r.Count, top.Ops, formatRate(float64(r.Low)), formatRate(float64(r.High)), strings.Join(where, "; "))
	return TableCell{Text: text, Bad: slices.Contains(safetyMetrics, m.Name), Title: title}
}
