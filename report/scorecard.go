package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim/api"
)

// The scorecard is the answer per strategy, drawn from every committed
// experiment at once: how badly each failure kind ever showed and where,
// the experiments (fault classes) it came through clean, what it needs to
// be correct, and what it costs on an ordinary day.

// ScorecardFile is where `make results` keeps the scorecard, as Markdown.
const ScorecardFile = "scorecard.md"

// Failure kinds the scorecard judges a strategy by: charged twice, told
// done for nothing, told failed for something done, money no record
// accounts for. Stuck and unconfirmed are availability: they are scored,
// but a strategy that shows only them is still clean.
var safetyMetrics = []string{"duplicate", "lost", "wrong_answer", "orphan_charge"}

// scorecardKinds are the scorecard's failure columns, in order.
var scorecardKinds = []string{"duplicate", "lost", "wrong_answer", "stuck", "unconfirmed", "orphan_charge"}

// costExperiment is the experiment the costs are read from: every strategy
// in one ordinary world.
const costExperiment = "baseline"

// leaseExperiment is the experiment that says under which client budget and
// lease a held key stops making operations stuck.
const leaseExperiment = "budget-lease"

// ScorecardOf builds the scorecard from the experiments (as Load returns
// them): a row per strategy of the registry that ran in any of them.
func ScorecardOf(xs []*Experiment) Table {
	t := Table{Header: []string{"strategy", "duplicate", "lost", "wrong answer", "stuck", "unconfirmed", "orphan charge",
		"clean in", "requires", "clients must", "costs (" + costExperiment + ")"}}
	var names []string
	for _, x := range xs {
		names = append(names, x.Name)
	}
	t.Caption = "Every strategy, scored over the committed experiments (" + strings.Join(names, ", ") + "). " +
		"A failure column is the worst rate per operation of that kind in any one cell (one strategy, level and swept value, " +
		"over all its seeds), with the experiment and setting that produced it; 0 means no cell of any experiment showed one. " +
		"Cells of a strategy's variants (budget-lease's other leases and gateways) are left out of the worst rates and appear " +
		"under stuck and requires. \"Clean in\" counts the experiments in which no cell of the strategy showed a duplicate, " +
		"a lost operation, a wrong answer or an orphan charge (stuck and unconfirmed are availability and do not count). " +
		"\"Requires\" lists, per experiment that caught it, the settings at which it stayed clean (settings that inject no " +
		"fault do not count), or that it was caught at every setting; \"clients must\" is what its contract asks of the client; " +
		"\"costs\" are per business operation in the " + costExperiment + " experiment."
	for _, name := range scoredStrategies(xs) {
		t.Rows = append(t.Rows, scoreRow(xs, name))
	}
	t.Notes = append(t.Notes, scorecardVerdicts(t)...)
	return t
}

// scoredStrategies are the strategies of the registry that some experiment
// ran, in registry order, then any other, by name.
func scoredStrategies(xs []*Experiment) []string {
	seen := map[string]bool{}
	for _, x := range xs {
		for _, c := range x.Cells {
			if !strings.Contains(c.Strategy, " ") {
				seen[c.Strategy] = true
			}
		}
	}
	return ordered(seen)
}

// cellsOf are an experiment's cells of strategy name itself (no variant).
func cellsOf(x *Experiment, name string) []*Cell {
	var out []*Cell
	for i := range x.Cells {
		if x.Cells[i].Strategy == name {
			out = append(out, &x.Cells[i])
		}
	}
	return out
}

// metricNamed finds a metric of Metrics by its field name.
func metricNamed(name string) Metric {
	for _, m := range Metrics {
		if m.Name == name {
			return m
		}
	}
	panic("report: no metric " + name)
}

// setting names where a cell ran: its experiment, its swept value and, when
// the experiment ran the strategy at several levels, its level.
func setting(x *Experiment, c *Cell, levels int) string {
	parts := []string{x.Name}
	switch {
	case len(valuesOf(x)) < 2 && !x.Numeric:
	case x.Param == x.Name:
		parts = append(parts, c.Value)
	default:
		parts = append(parts, x.Param+" "+c.Value)
	}
	if levels > 1 {
		parts = append(parts, c.Isolation)
	}
	return strings.Join(parts, ", ")
}

func valuesOf(x *Experiment) []string {
	names, _ := x.values()
	return names
}

func levelCount(cells []*Cell) int {
	var levels []string
	for _, c := range cells {
		if !slices.Contains(levels, c.Isolation) {
			levels = append(levels, c.Isolation)
		}
	}
	return len(levels)
}

func scoreRow(xs []*Experiment, name string) []TableCell {
	row := []TableCell{{Text: name, Code: true, Link: StrategyPage(name)}}
	for _, kind := range scorecardKinds {
		m := metricNamed(kind)
		var worst *Cell
		var where string
		for _, x := range xs {
			cells := cellsOf(x, name)
			for _, c := range cells {
				if r := m.Of(c); r.Count > 0 && (worst == nil || r.Rate > m.Of(worst).Rate) {
					worst, where = c, setting(x, c, levelCount(cells))
				}
			}
		}
		cell := TableCell{Text: "0"}
		if worst != nil {
			r := m.Of(worst)
			cell = TableCell{Text: formatRate(float64(r.Rate)) + " (" + where + ")", Bad: slices.Contains(safetyMetrics, kind),
				Title: fmt.Sprintf("%d of %d operations, 95%% interval [%s, %s]", r.Count, worst.Ops, formatRate(float64(r.Low)), formatRate(float64(r.High)))}
		}
		if kind == "stuck" {
			if note := stuckCure(xs, name); note != "" {
				cell.Text += "; " + note
			}
		}
		row = append(row, cell)
	}
	needs, always := requires(xs, name)
	req := TableCell{Text: "-"}
	if len(needs) > 0 {
		req.Text = strings.Join(needs, "; ")
	}
	if len(always) > 0 {
		req = TableCell{Text: "caught in " + strings.Join(always, ", ") + " at every setting", Bad: true}
		if len(needs) > 0 {
			req.Text += "; " + strings.Join(needs, "; ")
		}
	}
	client := "-"
	if s, err := models.Lookup(name); err == nil {
		client = clientNeeds(s.Contract)
	}
	row = append(row, cleanIn(xs, name), req, TableCell{Text: client}, TableCell{Text: costs(xs, name)})
	return row
}

// safe reports whether a cell showed none of the safety failures.
func safe(c *Cell) bool {
	for _, k := range safetyMetrics {
		if metricNamed(k).Of(c).Count > 0 {
			return false
		}
	}
	return true
}

// cleanIn counts the experiments the strategy came through with no safety
// failure, naming those it did not.
func cleanIn(xs []*Experiment, name string) TableCell {
	var ran int
	var caught []string
	for _, x := range xs {
		cells := cellsOf(x, name)
		if len(cells) == 0 {
			continue
		}
		ran++
		if !slices.ContainsFunc(cells, func(c *Cell) bool { return !safe(c) }) {
			continue
		}
		caught = append(caught, x.Name)
	}
	if len(caught) == 0 {
		return TableCell{Text: "all " + strconv.Itoa(ran)}
	}
	return TableCell{Text: fmt.Sprintf("%d of %d; not %s", ran-len(caught), ran, strings.Join(caught, ", ")), Bad: true}
}

// requires lists what the strategy needs to be correct: the settings of
// each experiment outside which a cell caught it (where some setting with
// faults was clean), and what its clients must do, from its contract; and
// the experiments that caught it whatever the setting (a setting with no
// fault at all, as a loss rate of 0, is no condition worth stating).
func requires(xs []*Experiment, name string) (needs, always []string) {
	for _, x := range xs {
		cells := cellsOf(x, name)
		if len(cells) == 0 || x.Name == leaseExperiment || !slices.ContainsFunc(cells, func(c *Cell) bool { return !safe(c) }) {
			continue
		}
		if clause := cleanSettings(x, cells); clause != "" {
			needs = append(needs, x.Name+": "+clause)
		} else {
			always = append(always, x.Name)
		}
	}
	if s, err := models.Lookup(name); err == nil && s.Defaults.Forward && slices.Contains(s.Switches, api.SwitchDownstream) {
		needs = append(needs, "its key forwarded to the gateway")
	}
	return needs, always
}

// cleanSettings names the settings of an experiment at which every cell
// of the strategy is safe, leaving out those that inject no fault: the
// isolation levels clean at every value, else the values clean at every
// level, else the (level, value) pairs; "" when there are none.
func cleanSettings(x *Experiment, cells []*Cell) string {
	var levels, values []string
	for _, c := range cells {
		if !slices.Contains(levels, c.Isolation) {
			levels = append(levels, c.Isolation)
		}
		if !slices.Contains(values, c.Value) {
			values = append(values, c.Value)
		}
	}
	cleanWhere := func(keep func(*Cell) bool) bool {
		any := false
		for _, c := range cells {
			if keep(c) {
				if !safe(c) || faultFree(x, c) {
					return false
				}
				any = true
			}
		}
		return any
	}
	var clean []string
	if len(levels) > 1 {
		for _, l := range levels {
			if cleanWhere(func(c *Cell) bool { return c.Isolation == l }) {
				clean = append(clean, l)
			}
		}
		if len(clean) > 0 {
			return strings.Join(clean, " or ")
		}
	}
	for _, v := range values {
		if cleanWhere(func(c *Cell) bool { return c.Value == v }) {
			clean = append(clean, v)
		}
	}
	if len(clean) > 0 {
		if x.Param == x.Name {
			return strings.Join(clean, " or ")
		}
		return x.Param + " " + strings.Join(clean, " or ")
	}
	for _, c := range cells {
		if safe(c) && !faultFree(x, c) {
			clean = append(clean, c.Isolation+" with "+x.Param+" "+c.Value)
		}
	}
	return strings.Join(clean, " or ")
}

// faultFree reports whether a cell's swept value injects nothing: a rate of
// 0, "none", or a gateway mode with no lost answers ("idempotent/0").
func faultFree(x *Experiment, c *Cell) bool {
	return x.Numeric && c.X == 0 && strings.HasSuffix(x.Param, "_rate") || c.Value == "none" || strings.HasSuffix(c.Value, "/0")
}

// clientNeeds is what a contract asks of the client.
func clientNeeds(c api.Contract) string {
	switch c {
	case api.ContractReplay:
		return "retry with the same key; honour Retry-After"
	case api.Contract409:
		return "read 409 as done"
	case api.ContractPoll202:
		return "poll the status URL"
	case api.Contract412:
		return "read again after a 412"
	case api.ContractChosen:
		return "choose the id and keep it"
	}
	return "-"
}

// stuckCure says, from the budget-lease experiment, under which lease and
// client budget the strategy's operations stop getting stuck, and what the
// lease then costs: one clause per variant.
func stuckCure(xs []*Experiment, name string) string {
	i := slices.IndexFunc(xs, func(x *Experiment) bool { return x.Name == leaseExperiment })
	if i < 0 {
		return ""
	}
	x := xs[i]
	var variants []string
	for _, c := range x.Cells {
		if (c.Strategy == name || strings.HasPrefix(c.Strategy, name+" ")) && !slices.Contains(variants, c.Strategy) {
			variants = append(variants, c.Strategy)
		}
	}
	var clauses []string
	for _, v := range variants {
		variant := strings.TrimPrefix(strings.TrimPrefix(v, name), " ")
		if variant == "" {
			variant = "its default lease"
		}
		var first *Cell
		for j := range x.Cells {
			c := &x.Cells[j]
			if c.Strategy == v && c.Stuck.Count == 0 && (first == nil || c.X < first.X) {
				first = c
			}
		}
		if first == nil {
			clauses = append(clauses, "never 0 with "+variant+" (budgets up to "+lastValue(x)+"s)")
			continue
		}
		clause := "0 with " + variant + " from a " + first.Value + "s budget"
		var costs []string
		if first.Duplicate.Count > 0 {
			costs = append(costs, "duplicate "+formatRate(float64(first.Duplicate.Rate)))
		}
		if first.OrphanCharge.Count > 0 {
			costs = append(costs, "orphan charge "+formatRate(float64(first.OrphanCharge.Rate)))
		}
		if len(costs) > 0 {
			clause += " at " + strings.Join(costs, ", ")
		}
		clauses = append(clauses, clause)
	}
	if len(clauses) == 0 {
		return ""
	}
	return leaseExperiment + ": " + strings.Join(clauses, "; ")
}

func lastValue(x *Experiment) string {
	names := valuesOf(x)
	return names[len(names)-1]
}

// costs is what the strategy costs per operation in the baseline
// experiment.
func costs(xs []*Experiment, name string) string {
	i := slices.IndexFunc(xs, func(x *Experiment) bool { return x.Name == costExperiment })
	if i < 0 {
		return "-"
	}
	cells := cellsOf(xs[i], name)
	if len(cells) == 0 || cells[0].Ops == 0 {
		return "-"
	}
	c := cells[0]
	ops := float64(c.Ops)
	aborts := float64(c.Aborts40001+c.Aborts40P01+c.Aborts23505) / ops
	kept := float64(c.RowsKept+c.KeysKept) / ops
	what := "row"
	if c.KeysKept > c.RowsKept {
		what = "store key"
	}
	if short(kept) != "1" {
		what += "s"
	}
	return fmt.Sprintf("%s attempts, p50 %s, p99 %s, %s aborts; keeps %s %s", short(float64(c.AttemptsPerOp)), ms(float64(c.LatencyP50)), ms(float64(c.LatencyP99)), short(aborts), short(kept), what)
}

// short prints a per-operation figure with three significant digits.
func short(v float64) string { return strconv.FormatFloat(v, 'g', 3, 64) }

// ms prints a latency bound in milliseconds as a duration.
func ms(v float64) string {
	if v >= 1000 {
		return strconv.FormatFloat(v/1000, 'g', 3, 64) + "s"
	}
	return strconv.FormatFloat(v, 'g', 3, 64) + "ms"
}

// scorecardVerdicts are the scorecard's short conclusions, from its rows:
// which strategies came through every experiment clean, which only within
// stated settings, and which were caught whatever the setting.
func scorecardVerdicts(t Table) []string {
	var clean, conditional, wrong []string
	for _, r := range t.Rows {
		name := "`" + r[0].Text + "`"
		switch {
		case r[8].Bad:
			wrong = append(wrong, name)
		case r[7].Bad:
			conditional = append(conditional, name)
		default:
			clean = append(clean, name)
		}
	}
	var out []string
	if len(clean) > 0 {
		out = append(out, "No duplicate, lost operation, wrong answer or orphan charge in any cell of any experiment: "+strings.Join(clean, ", ")+".")
	}
	if len(conditional) > 0 {
		out = append(out, "None within the settings its requires column names, caught outside them: "+strings.Join(conditional, ", ")+".")
	}
	if len(wrong) > 0 {
		out = append(out, "Caught in some experiment at every setting it tried: "+strings.Join(wrong, ", ")+".")
	}
	return out
}

// StrategyPage is the report's page for a strategy, relative to the
// results directory.
func StrategyPage(name string) string { return "strategies/" + name + ".html" }
