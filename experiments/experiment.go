package experiments

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// Experiment is a named sweep: strategies (at isolation levels) crossed
// with the values of one fault dimension, each cell run over seeds 1..N.
type Experiment struct {
	Name        string
	Description string // what is swept and why, one sentence
	Param       string // the swept dimension's column name (snake_case)
	ParamLabel  string // its axis label
	// Numeric: the values are numbers (X is the value); otherwise they are
	// categories, placed at their index.
	Numeric bool
	Values  []Value
	// Seeds is the default number of seeds per cell: enough that a cell
	// holds about 4,000 business operations or more.
	Seeds uint64
	// Swarm: the experiment reports, per strategy and level, the first
	// seed that showed a duplicate or a lost operation.
	Swarm bool
	cells []Cell
}

// Value is one value of the swept dimension.
type Value struct {
	Label string  // as printed in the results
	X     float64 // its position on a plot
}

// Cell is one strategy at one level and one value: Config(seed) is its
// world for a seed.
type Cell struct {
	Strategy api.Strategy
	Level    api.Level
	Value    int // index into the experiment's Values
	Config   func(seed uint64) world.Config
}

// Key names a cell in results, shard and state files.
func (c *Cell) Key(e *Experiment) CellKey {
	return CellKey{Strategy: c.Strategy.Name, Isolation: c.Level.Slug(), Value: e.Values[c.Value].Label}
}

// CellKey is a cell's name: strategy, isolation level and value.
type CellKey struct {
	Strategy  string `json:"strategy"`
	Isolation string `json:"isolation"`
	Value     string `json:"value"`
}

func (k CellKey) String() string { return k.Strategy + "/" + k.Isolation + "/" + k.Value }

// Cells are the experiment's cells in results order: by strategy
// (registry order), isolation level (api.AllLevels order), then value.
func (e *Experiment) Cells() []Cell { return e.cells }

// Validate checks every cell's world (at seed 1) and that the cells are
// in results order with no cell twice.
func (e *Experiment) Validate() error {
	if len(e.cells) == 0 || len(e.Values) == 0 || e.Seeds == 0 {
		return fmt.Errorf("experiment %s: no cells, values or seeds", e.Name)
	}
	for i := range e.cells {
		c := &e.cells[i]
		cfg := c.Config(1)
		if err := cfg.Validate(); err != nil {
			return fmt.Errorf("experiment %s, cell %s: %w", e.Name, c.Key(e), err)
		}
		if cfg.Strategy.Name != c.Strategy.Name || cfg.DB.Isolation != c.Level || cfg.Seed != 1 {
			return fmt.Errorf("experiment %s, cell %s: its world runs %s at %s, seed %d", e.Name, c.Key(e), cfg.Strategy.Name, cfg.DB.Isolation.Slug(), cfg.Seed)
		}
		if i > 0 && compareCells(&e.cells[i-1], c) >= 0 {
			return fmt.Errorf("experiment %s: cell %s out of order or given twice", e.Name, c.Key(e))
		}
	}
	return nil
}

// compareCells orders cells by strategy in registry order, then level,
// then value.
func compareCells(a, b *Cell) int {
	names := models.Names()
	if d := slices.Index(names, a.Strategy.Name) - slices.Index(names, b.Strategy.Name); d != 0 {
		return d
	}
	if d := int(a.Level) - int(b.Level); d != 0 {
		return d
	}
	return a.Value - b.Value
}

// numbers are numeric values, printed as Go prints them shortest.
func numbers(xs ...float64) []Value {
	var out []Value
	for _, x := range xs {
		out = append(out, Value{Label: strconv.FormatFloat(x, 'g', -1, 64), X: x})
	}
	return out
}

// categories are values placed at their index.
func categories(labels ...string) []Value {
	var out []Value
	for i, l := range labels {
		out = append(out, Value{Label: l, X: float64(i)})
	}
	return out
}

// levelsOf are the levels a strategy is tried at: each it lists, or the
// default level for one whose verdict does not depend on it.
func levelsOf(s api.Strategy) []api.Level {
	if s.Levels == nil {
		return []api.Level{world.Defaults().DB.Isolation}
	}
	var out []api.Level
	for _, l := range api.AllLevels() {
		if slices.Contains(s.Levels, l) {
			out = append(out, l)
		}
	}
	return out
}

// grid builds the cells of strategies (each at the levels given) by values,
// in results order: build(s, level, value, seed) is a cell's world.
func grid(strategies []api.Strategy, levels func(api.Strategy) []api.Level, values []Value,
	build func(s api.Strategy, l api.Level, v int, seed uint64) world.Config) []Cell {
	names := models.Names()
	strategies = slices.Clone(strategies)
	slices.SortStableFunc(strategies, func(a, b api.Strategy) int {
		return slices.Index(names, a.Name) - slices.Index(names, b.Name)
	})
	var cells []Cell
	for _, s := range strategies {
		for _, l := range levels(s) {
			for v := range values {
				cells = append(cells, Cell{Strategy: s, Level: l, Value: v, Config: func(seed uint64) world.Config {
					return build(s, l, v, seed)
				}})
			}
		}
	}
	return cells
}

// defaultLevel tries each strategy at the default level only.
func defaultLevel(api.Strategy) []api.Level { return []api.Level{world.Defaults().DB.Isolation} }

// byName looks strategies up; a name missing from the registry is a bug
// in this file, caught by the tests.
func byName(names ...string) []api.Strategy {
	var out []api.Strategy
	for _, n := range names {
		s, err := models.Lookup(n)
		if err != nil {
			panic("experiments: " + err.Error())
		}
		out = append(out, s)
	}
	return out
}

// Lookup finds an experiment by name.
func Lookup(name string) (*Experiment, error) {
	for _, e := range All() {
		if e.Name == name {
			return e, nil
		}
	}
	return nil, fmt.Errorf("unknown experiment %q (accepted: %s)", name, strings.Join(Names(), ", "))
}

// Names lists the experiments' names in order.
func Names() []string {
	var out []string
	for _, e := range All() {
		out = append(out, e.Name)
	}
	return out
}
