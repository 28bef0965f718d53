package cli

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/claims"
	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/world"
)

// edgeSchedules is how many schedules each cell of the edge-case table
// runs: enough that a step of a strategy a timed fault can land on (a
// handful per request) is hit some twenty times or more.
const edgeSchedules = 200

// tableCommand prints the table of strategies against the standard edge
// cases, its legend, and for each cell that is not ok the schedule that
// replays its worst outcome (results/edge-cases.md).
func tableCommand(stdout io.Writer) error {
	t, err := measureEdges(edgeSchedules, runtime.GOMAXPROCS(0))
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, t.markdown())
	return err
}

// edgeResults is every strategy measured in every edge case.
type edgeResults struct {
	cases     []claims.EdgeCase
	rows      []edgeRow
	schedules int
}

type edgeRow struct {
	strategy string
	cells    []edgeCell // one per case
}

// edgeCell is one strategy in one case: what its schedules showed, and
// the command line (after "idemsim run") of the first schedule that
// showed the worst of it.
type edgeCell struct {
	out     claims.Outcome
	failing []string
}

// measureEdges runs every strategy, with its default switches at the
// default isolation level, in every edge case, schedules times each (or
// the fewer the case asks for), on workers goroutines. The cells do not
// depend on workers: each adds its schedules in seed order.
func measureEdges(schedules, workers int) (*edgeResults, error) {
	t := &edgeResults{cases: claims.EdgeCases(), schedules: schedules}
	for _, s := range models.All() {
		row := edgeRow{strategy: s.Name}
		for _, c := range t.cases {
			cell, err := measureCell(s.Name, c, t.schedulesOf(c), workers)
			if err != nil {
				return nil, fmt.Errorf("idemsim table: %s, %s: %w", s.Name, c.Name, err)
			}
			row.cells = append(row.cells, cell)
		}
		t.rows = append(t.rows, row)
	}
	return t, nil
}

// measureCell runs one strategy in one case, seeds 1..schedules.
func measureCell(strategy string, c claims.EdgeCase, schedules, workers int) (edgeCell, error) {
	var cell edgeCell
	configs, argsOf, err := edgeWorlds(strategy, nil, c, schedules, workers)
	if errors.Is(err, errNoSuchPoint) {
		cell.out.NotApplicable = true
		return cell, nil
	}
	if err != nil {
		return cell, err
	}
	type seen struct {
		seed   uint64
		counts map[check.Kind]int
	}
	err = experiments.SweepFunc(func(seed uint64) world.Config { return configs[seed-1] }, 1, uint64(schedules), workers,
		func(seed uint64, res *world.Result) seen { return seen{seed, check.Audit(res).Counts} },
		func(s seen) { cell.out.Add(s.seed, s.counts) })
	if err != nil {
		return cell, err
	}
	if k, bad := cell.out.Worst(); bad {
		_, seed := cell.out.Showed(k)
		cell.failing = argsOf(seed)
	}
	return cell, nil
}

// errNoSuchPoint is edgeWorlds' answer for a case whose crash point the
// strategy does not name: the case does not apply to it.
var errNoSuchPoint = errors.New("the strategy names no such crash point")

// edgeWorlds are the worlds of one strategy in one case, seeds
// 1..schedules, and the command line (after "idemsim run") of each; extra
// flags (an isolation level) go after the case's. For a case with timed
// faults each seed first runs without them (the pilot, its trace kept),
// and the moments are drawn over what that run did.
func edgeWorlds(strategy string, extra []string, c claims.EdgeCase, schedules, workers int) ([]world.Config, func(seed uint64) []string, error) {
	with := func(flags []string) []string { return append(slices.Clip(flags), extra...) }
	base, err := configure(scheduleArgs(strategy, with(c.Args), 1))
	if err != nil {
		// A strategy may name other points, or none at all (one from
		// outside the catalogue, registered through Main).
		if msg := err.Error(); strings.Contains(msg, "names no point") || strings.Contains(msg, "names no crash point") {
			return nil, nil, errNoSuchPoint
		}
		return nil, nil, err
	}
	argsOf := func(seed uint64) []string { return scheduleArgs(strategy, with(c.Args), seed) }
	if len(c.Timed) > 0 {
		pilot := base.cfg
		pilot.KeepTrace = true
		moments := make([][]sim.Time, 0, schedules)
		err := experiments.SweepFunc(func(seed uint64) world.Config { p := pilot; p.Seed = seed; return p }, 1, uint64(schedules), workers,
			c.Draw, func(m []sim.Time) { moments = append(moments, m) })
		if err != nil {
			return nil, nil, err
		}
		argsOf = func(seed uint64) []string { return scheduleArgs(strategy, with(c.Flags(moments[seed-1])), seed) }
	}
	// Each schedule's world is parsed from the very command line that the
	// failures list prints, so that line replays it.
	configs := make([]world.Config, schedules)
	for i := range configs {
		st, err := configure(argsOf(uint64(i + 1)))
		if err != nil {
			return nil, nil, err
		}
		configs[i] = st.cfg
	}
	return configs, argsOf, nil
}

// schedulesOf is how many schedules a cell of case c runs.
func (t *edgeResults) schedulesOf(c claims.EdgeCase) int {
	if c.Schedules > 0 && c.Schedules < t.schedules {
		return c.Schedules
	}
	return t.schedules
}

// edgeFlags knows the run flags' arities for merging command lines.
var edgeFlags = sync.OnceValue(func() *flagSet { return runFlags() })

// scheduleArgs is the command line (after "idemsim run") of one schedule:
// the strategy, the edge world merged with the case's flags, and the seed.
// Merged, not appended: where both set a flag (--servers), the case's
// wins, since the parser refuses a flag given twice.
func scheduleArgs(strategy string, flags []string, seed uint64) []string {
	args := append([]string{"--strategy", strategy}, overlayArgs(edgeFlags(), claims.EdgeWorld(), flags)...)
	return append(args, "--seed", strconv.FormatUint(seed, 10))
}

// caseCommand is the command of a case as the legend shows it: the edge
// world merged with the case's flags, its timed faults at their example
// moments. It runs naive, the default strategy, as pasted.
func caseCommand(c claims.EdgeCase) string {
	return "idemsim run " + strings.Join(quoteArgs(overlayArgs(edgeFlags(), claims.EdgeWorld(), c.Example())), " ")
}

// column is a case's letter in the table.
func column(i int) string { return string(rune('A' + i)) }

// markdown is the whole of results/edge-cases.md: the table, its legend,
// and every failing cell with the schedule that replays it.
func (t *edgeResults) markdown() string {
	return "# Every strategy in the standard edge cases\n\nWritten by `idemsim table` (`make results`); docs/strategies.md shows the same table and legend.\n\n" +
		t.table() + "\n" + t.legend() + "\n" + t.failures()
}

// docSection is docs/strategies.md's section: the table and its legend,
// pointing to results/edge-cases.md (relative to docs/) for the failing
// schedules.
func (t *edgeResults) docSection() string {
	return t.table() + "\n" + t.legend() + "\nEvery cell that is not `ok` is listed in [`results/edge-cases.md`](../results/edge-cases.md) with all it showed and the command of a schedule that replays its worst outcome.\n"
}

// table is the markdown table, a row per strategy and a column per case.
func (t *edgeResults) table() string {
	var b strings.Builder
	b.WriteString("| strategy |")
	for i := range t.cases {
		fmt.Fprintf(&b, " %s |", column(i))
	}
	b.WriteString("\n|---|")
	b.WriteString(strings.Repeat("---|", len(t.cases)))
	b.WriteString("\n")
	for _, r := range t.rows {
		fmt.Fprintf(&b, "| `%s` |", r.strategy)
		for _, c := range r.cells {
			fmt.Fprintf(&b, " %s |", c.out.Cell())
		}
		b.WriteString("\n")
	}
	return b.String()
}

// legend names each case with the command that runs it, then says what a
// cell is.
func (t *edgeResults) legend() string {
	var b strings.Builder
	var timed []string
	for i, c := range t.cases {
		fmt.Fprintf(&b, "- **%s, %s**: %s", column(i), c.Name, c.About)
		if len(c.Timed) > 0 {
			timed = append(timed, column(i))
			for _, f := range c.Timed {
				fmt.Fprintf(&b, " (the command's --%s at %v is one moment; each schedule draws its own %s)", f.Flag, time.Duration(f.Example), f.Span)
			}
		}
		fmt.Fprintf(&b, ": `%s`\n", caseCommand(c))
	}
	var fewer []string
	for i, c := range t.cases {
		if n := t.schedulesOf(c); n != t.schedules {
			fewer = append(fewer, fmt.Sprintf("%s: %d, seeds 1 to %d", column(i), n, n))
		}
	}
	count := fmt.Sprintf("%d schedules of its case, seeds 1 to %d", t.schedules, t.schedules)
	if len(fewer) > 0 {
		count += " (" + strings.Join(fewer, "; ") + ")"
	}
	var order []string
	for _, k := range claims.Severity() {
		order = append(order, fmt.Sprintf("`%s` %s", claims.Label(k), k))
	}
	fmt.Fprintf(&b, "\nEach command runs `naive` as pasted; add `--strategy NAME` for another row and `--seed N` for another schedule. "+
		"A cell is %s. A seed draws every latency: the edge world's are lognormal with sigma 0.2 around their medians "+
		"(5ms between clients and servers, 1ms of server work), the services' and the client's backoff are as in any run. "+
		"In %s it also draws the moment of the timed fault: one of the steps of the span named, all equally likely "+
		"(a step is the stretch between two consecutive events of the operation in the same schedule run without the fault), and a moment within that step. "+
		"A cell shows the worst outcome any of its schedules showed and the share of schedules that showed it (`DUP 31%%`); "+
		"`ok` means no violation in any of them, `n/a` that the case does not apply (the strategy names no such crash point). "+
		"Worst first: %s — the safety violations, then the others.\n",
		count, strings.Join(timed, ", "), strings.Join(order, ", "))
	return b.String()
}

// failures lists every cell that is not ok: all it showed, and the first
// schedule that showed its worst outcome as the command that replays it.
func (t *edgeResults) failures() string {
	var b strings.Builder
	b.WriteString("## Failing schedules\n\nEach cell that is not `ok`: the share of its schedules that showed each kind of violation, and the first schedule that showed its worst, as the command that replays it (add `--trace` for its timeline).\n\n")
	for _, r := range t.rows {
		for i, c := range r.cells {
			if c.failing == nil {
				continue
			}
			fmt.Fprintf(&b, "- `%s` in %s (%s): %s: `idemsim run %s`\n", r.strategy, column(i), t.cases[i].Name, c.out.Summary(), strings.Join(quoteArgs(c.failing), " "))
		}
	}
	return b.String()
}

// quoteArgs quotes the arguments a shell would split.
func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = shellQuote(a)
	}
	return out
}
