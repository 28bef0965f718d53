// Package report turns the experiments' results into pictures and one page.
// It reads every results/NAME/cells.json that exists (the format is
// experiments/FORMAT.md), draws each sweep's rates against the swept
// value with their 95% Wilson intervals, the strategy x isolation heat
// maps of the isolation experiment and the latency distributions, shrinks
// each wrong strategy the swarm found to a minimal run drawn as a sequence
// diagram, and writes results/index.html, a page that opens offline and
// answers the thread's question from those files. Every file is written
// under a temporary name in its own directory and renamed into place, and
// the same results give the same bytes.
package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/internal/inputfile"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim/api"
)

// Rate is a count of operations out of a cell's ops, with its 95% Wilson
// interval: the results files' own type.
type Rate = experiments.Interval

// Cell is one strategy at one isolation level and one swept value, over
// every seed of the cell: the results files' own type, which the runner
// writes (experiments/results.go), read back.
type Cell = experiments.CellResult

// Failure is the first failing seed the swarm found for a strategy at a
// level.
type Failure = experiments.Failure

// Swarm is what only the swarm experiment writes.
type Swarm struct {
	Failures []Failure `json:"failures"`
}

// Experiment is one results/NAME/cells.json.
type Experiment struct {
	Name         string `json:"experiment"`
	Description  string `json:"description"`
	Param        string `json:"param"`
	ParamLabel   string `json:"param_label"`
	Numeric      bool   `json:"numeric"`
	SeedsPerCell int    `json:"seeds_per_cell"`
	Cells        []Cell `json:"cells"`
	Swarm        *Swarm `json:"swarm,omitempty"`

	// Path is the file it was read from.
	Path string `json:"-"`
}

// InputError is a results file that is missing or does not hold its
// format: bad input rather than a failure to draw or write.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

func inputErr(format string, args ...any) error {
	return &InputError{fmt.Errorf(format, args...)}
}

// Order is the order the page presents the experiments it knows in; any
// other experiment found comes after them, by name.
var Order = []string{
	"baseline", "network-loss", "duplicates", "in-progress-retry", "isolation", "crashes", "store-loss",
	"gateway", "retention-window", "multi-server", "client-policy", "budget-lease", "swarm",
}

// CellsFile is the name of an experiment's results in its directory.
const CellsFile = "cells.json"

// Load reads every dir/NAME/cells.json, in Order. A directory without one
// is not an experiment and is skipped; a file that cannot be read or does
// not hold the format is an error naming it.
func Load(dir string) ([]*Experiment, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, inputErr("report: results directory %s: %w", dir, err)
	}
	var out []*Experiment
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		path := filepath.Join(dir, e.Name(), CellsFile)
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		x, err := ReadExperiment(path)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	slices.SortFunc(out, func(a, b *Experiment) int {
		if c := rank(a.Name) - rank(b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

func rank(name string) int {
	if i := slices.Index(Order, name); i >= 0 {
		return i
	}
	return len(Order)
}

// MaxInputFile bounds each results file the report reads (cells.json,
// claims.txt, edge-cases.md): fifty times the largest committed one, and
// small enough that reading it cannot take the machine's memory.
const MaxInputFile = 16 << 20

// readInput reads a results file of at most MaxInputFile bytes; an error
// names the file.
func readInput(path string) ([]byte, error) { return inputfile.ReadNamed(path, MaxInputFile) }

// ReadExperiment reads and checks one cells.json; its directory must be
// named after the experiment.
func ReadExperiment(path string) (*Experiment, error) {
	data, err := readInput(path)
	if err != nil {
		return nil, inputErr("report: %w", err)
	}
	x, err := ParseExperiment(data)
	if err != nil {
		return nil, inputErr("report: %s: %w", path, err)
	}
	if dir := filepath.Base(filepath.Dir(path)); dir != x.Name {
		return nil, inputErr("report: %s: experiment %q is in directory %q (want results/%s/%s)", path, x.Name, dir, x.Name, CellsFile)
	}
	x.Path = path
	return x, nil
}

// ParseExperiment decodes a cells.json and checks what the plots and the
// page rely on.
func ParseExperiment(data []byte) (*Experiment, error) {
	var x Experiment
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&x); err != nil {
		return nil, fmt.Errorf("not the cells.json format: %w", err)
	}
	if dec.More() {
		return nil, errors.New("not the cells.json format: more than one JSON value")
	}
	switch {
	case x.Name == "" || strings.ContainsAny(x.Name, `/\ `):
		return nil, fmt.Errorf("field experiment: %q is not an experiment name", x.Name)
	case x.Param == "":
		return nil, errors.New("field param is missing")
	case len(x.Cells) == 0:
		return nil, errors.New("field cells is missing or empty")
	}
	for _, f := range []struct{ name, v string }{{"experiment", x.Name}, {"param", x.Param}, {"param_label", x.ParamLabel}} {
		if len(f.v) > MaxLabel {
			return nil, fmt.Errorf("field %s is %d bytes long (accepted: at most %d)", f.name, len(f.v), MaxLabel)
		}
	}
	levels := levelSlugs()
	strategies := map[string]bool{}
	// Where each value is placed (its first cell), for the axes: a plot
	// draws a value's cells at one x.
	at := map[string]int{}
	for i := range x.Cells {
		c := &x.Cells[i]
		bad := func(format string, args ...any) error {
			return fmt.Errorf("cell %d (%s, %s, %s=%s): %s", i, c.Strategy, c.Isolation, x.Param, c.Value, fmt.Sprintf(format, args...))
		}
		first, seen := at[c.Value]
		switch {
		case c.Strategy == "":
			return nil, bad("no strategy")
		case len(c.Strategy) > MaxLabel || len(c.Value) > MaxLabel:
			return nil, bad("a strategy or value over %d bytes long (accepted: at most %d)", MaxLabel, MaxLabel)
		case !strategies[c.Strategy] && len(strategies) == MaxStrategies:
			return nil, bad("a strategy past the first %d (accepted: at most %d strategies, variants included)", MaxStrategies, MaxStrategies)
		case !seen && len(at) == MaxValues:
			return nil, bad("a value past the first %d (accepted: at most %d values)", MaxValues, MaxValues)
		case !slices.Contains(levels, c.Isolation):
			return nil, bad("isolation %q is not a level (accepted: %s)", c.Isolation, strings.Join(levels, ", "))
		case c.Value == "":
			return nil, bad("no value")
		case c.Ops < 0 || c.Seeds < 0:
			return nil, bad("negative seeds or ops")
		case math.IsNaN(float64(c.X)) || math.IsInf(float64(c.X), 0):
			return nil, bad("x is not a number")
		case x.Numeric && math.Abs(float64(c.X)) > MaxX:
			// Past it, an axis spanning the values overflows and the
			// plotting library cannot draw it.
			return nil, bad("x %v is beyond the plots' axes (accepted: a number from %g to %g)", float64(c.X), -MaxX, MaxX)
		case seen && c.X != x.Cells[first].X:
			// A plot's axis is set from each value's first cell; a cell
			// elsewhere would fall off it (or below zero on a log axis).
			return nil, bad("x %v, but cell %d puts %s=%s at x %v (accepted: one x per value)", c.X, first, x.Param, c.Value, x.Cells[first].X)
		}
		if !seen {
			at[c.Value] = i
		}
		strategies[c.Strategy] = true
		for _, m := range Metrics {
			r := m.Of(c)
			if r.Count < 0 || r.Count > c.Ops && c.Ops > 0 || !inUnit(float64(r.Rate)) || !inUnit(float64(r.Low)) || !inUnit(float64(r.High)) || r.Low > r.Rate+1e-9 || r.Rate > r.High+1e-9 {
				return nil, bad("%s: %+v is not a count with its rate in [low, high] within [0, 1]", m.Name, *r)
			}
		}
		prev := 0.0
		for j, b := range c.LatencyHist {
			if bound := float64(b.Bound); bound <= prev || b.Count < 0 || math.IsNaN(bound) {
				return nil, bad("latency_hist[%d] = [%v %v]: want increasing upper bounds and counts >= 0", j, bound, b.Count)
			}
			prev = float64(b.Bound)
		}
	}
	if x.Swarm != nil {
		// The report shrinks every failure: one per strategy and level
		// bounds that work by the registry's size.
		seen := map[[2]string]int{}
		for i, f := range x.Swarm.Failures {
			if _, err := ChaosWorld(f); err != nil {
				return nil, fmt.Errorf("swarm.failures[%d]: %w", i, err)
			}
			if f.Kind == "" {
				return nil, fmt.Errorf("swarm.failures[%d] (%s at %s): no kind", i, f.Strategy, f.Isolation)
			}
			if j, ok := seen[[2]string{f.Strategy, f.Isolation}]; ok {
				return nil, fmt.Errorf("swarm.failures[%d] (%s at %s): the same strategy and level as swarm.failures[%d] (accepted: one failure per strategy and level)", i, f.Strategy, f.Isolation, j)
			}
			seen[[2]string{f.Strategy, f.Isolation}] = i
		}
	}
	return &x, nil
}

// Limits on what one experiment's cells.json may hold, each several times
// what any experiment has: a figure grows with its strategies (a legend
// line or a heat map's row each), its values and the length of their
// names, and past these a page's pictures would take minutes and
// gigabytes to draw.
const (
	MaxStrategies = 100 // distinct strategies, a strategy's variants each counted
	MaxValues     = 100 // distinct swept values
	MaxLabel      = 200 // bytes in a strategy, value, experiment or parameter name
)

// MaxX bounds the x of a numeric sweep's values: far beyond any value a
// sweep takes (rates, counts, seconds), and far enough from the largest
// float that an axis through the values, with its margins, stays finite.
const MaxX = 1e15

func inUnit(v float64) bool { return v >= 0 && v <= 1 }

func levelSlugs() []string {
	var out []string
	for _, l := range api.AllLevels() {
		out = append(out, l.Slug())
	}
	return out
}

// Metric is one of a cell's rates.
type Metric struct {
	Name  string // the format's field, as in file names: duplicate, wrong_answer
	Label string // for people
	Of    func(*Cell) *Rate
}

// Metrics are the rates a cell carries: the six failure kinds (Kinds),
// then non-linearizable, porcupine's view of the same runs.
var Metrics = []Metric{
	{"duplicate", "duplicate", func(c *Cell) *Rate { return &c.Duplicate }},
	{"lost", "lost", func(c *Cell) *Rate { return &c.Lost }},
	{"stuck", "stuck", func(c *Cell) *Rate { return &c.Stuck }},
	{"wrong_answer", "wrong answer", func(c *Cell) *Rate { return &c.WrongAnswer }},
	{"unconfirmed", "unconfirmed", func(c *Cell) *Rate { return &c.Unconfirmed }},
	{"orphan_charge", "orphan charge", func(c *Cell) *Rate { return &c.OrphanCharge }},
	{"nonlinearizable", "non-linearizable", func(c *Cell) *Rate { return &c.NonLinearizable }},
}

// Kinds are the audit's failure kinds, the columns of every verdict table,
// in the scorecard's order.
var Kinds = []Metric{Metrics[0], Metrics[1], Metrics[3], Metrics[2], Metrics[4], Metrics[5]}

// plotted are the metrics some cell of the experiment counts: a rate plot
// of nothing but zeros says less than the line under the plots that names
// the metrics with nothing to show (Nothing).
func (x *Experiment) plotted() []Metric {
	var out []Metric
	for _, m := range Metrics {
		if x.counts(m, "") {
			out = append(out, m)
		}
	}
	return out
}

// counts reports whether some cell (at level, if set) counts metric m.
func (x *Experiment) counts(m Metric, level string) bool {
	return slices.ContainsFunc(x.Cells, func(c Cell) bool {
		return (level == "" || c.Isolation == level) && m.Of(&c).Count > 0
	})
}

// Nothing are the metrics no cell of the experiment counts.
func (x *Experiment) Nothing() []Metric {
	var out []Metric
	for _, m := range Metrics {
		if !x.counts(m, "") {
			out = append(out, m)
		}
	}
	return out
}

// NothingLine says in one line which metrics no cell counts ("" when
// every metric has something): "No lost, wrong answer or orphan charge in
// any cell."
func (x *Experiment) NothingLine() string {
	var labels []string
	for _, m := range x.Nothing() {
		labels = append(labels, m.Label)
	}
	if len(labels) == 0 {
		return ""
	}
	return "No " + orList(labels) + " in any cell."
}

// orList joins words as a sentence does: "a", "a or b", "a, b or c".
func orList(words []string) string {
	if len(words) <= 1 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// strategies are the experiment's strategies in the registry's order (any
// the registry does not know after them, by name).
func (x *Experiment) strategies() []string {
	seen := map[string]bool{}
	var variants []string // a strategy's variants, in cell order ("stripe-replay lease=10s")
	for _, c := range x.Cells {
		base, _, variant := strings.Cut(c.Strategy, " ")
		seen[base] = true
		if variant && !slices.Contains(variants, c.Strategy) {
			variants = append(variants, c.Strategy)
		}
	}
	var out []string
	for _, name := range ordered(seen) {
		if slices.ContainsFunc(x.Cells, func(c Cell) bool { return c.Strategy == name }) {
			out = append(out, name)
		}
		for _, v := range variants {
			if strings.HasPrefix(v, name+" ") {
				out = append(out, v)
			}
		}
	}
	return out
}

func ordered(seen map[string]bool) []string {
	var out []string
	for _, n := range models.Names() {
		if seen[n] {
			out = append(out, n)
			delete(seen, n)
		}
	}
	var rest []string
	for n := range seen {
		rest = append(rest, n)
	}
	slices.Sort(rest)
	return append(out, rest...)
}

// levels are the experiment's isolation levels in api.AllLevels order.
func (x *Experiment) levels() []string {
	var out []string
	for _, l := range levelSlugs() {
		if slices.ContainsFunc(x.Cells, func(c Cell) bool { return c.Isolation == l }) {
			out = append(out, l)
		}
	}
	return out
}

// values are the swept values in the order the cells declare them, with
// their positions.
func (x *Experiment) values() (names []string, xs []float64) {
	for _, c := range x.Cells {
		if !slices.Contains(names, c.Value) {
			names = append(names, c.Value)
			xs = append(xs, float64(c.X))
		}
	}
	return names, xs
}

// Wilson is the 95% Wilson score interval of count successes in n trials.
func Wilson(count, n int64) (low, high float64) {
	if n <= 0 {
		return 0, 0 // no operations: nothing to draw
	}
	return experiments.Wilson(count, n)
}

// pool sums a metric over cells: the count over every cell's ops, with
// its interval recomputed.
func pool(cells []*Cell, m Metric) (Rate, int64) {
	var count, ops int64
	for _, c := range cells {
		count += m.Of(c).Count
		ops += c.Ops
	}
	r := Rate{Count: count}
	if ops > 0 {
		low, high := Wilson(count, ops)
		r.Rate, r.Low, r.High = experiments.Num(float64(count)/float64(ops)), experiments.Num(low), experiments.Num(high)
	}
	return r, ops
}
