package experiments

import (
	"fmt"

	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// Experiment is a named sweep: strategies (at isolation levels) crossed
// with the values of one fault dimension, each cell run over seeds 1..N.
// The experiments themselves are defined in experiments/catalog.
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
	// Cells in results order: by strategy (registry order), its variants
	// (Cell.Variant, as declared),
	// isolation level (api.AllLevels order), then value.
	Cells []Cell
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
	// Variant names what the cell's worlds change in the strategy or in
	// the world it relies on, when an experiment compares several such
	// variants of one strategy ("lease=10s": a switch; "lease=10s
	// idempotent-gateway"); "" for the strategy as it is.
	Variant string
	Level   api.Level
	Value   int // index into the experiment's Values
	Config  func(seed uint64) world.Config
}

// Name is the cell's strategy as results name it: the strategy, then its
// variant, if any, after a space ("stripe-replay lease=10s").
func (c *Cell) Name() string {
	if c.Variant == "" {
		return c.Strategy.Name
	}
	return c.Strategy.Name + " " + c.Variant
}

// Key names a cell in results, shard and state files.
func (c *Cell) Key(e *Experiment) CellKey {
	return CellKey{Strategy: c.Name(), Isolation: c.Level.Slug(), Value: e.Values[c.Value].Label}
}

// CellKey is a cell's name: strategy, isolation level and value.
type CellKey struct {
	Strategy  string `json:"strategy"`
	Isolation string `json:"isolation"`
	Value     string `json:"value"`
}

func (k CellKey) String() string { return k.Strategy + "/" + k.Isolation + "/" + k.Value }

// Validate checks every cell's world (at seed 1) and that no cell is
// named twice.
func (e *Experiment) Validate() error {
	if len(e.Cells) == 0 || len(e.Values) == 0 || e.Seeds == 0 {
		return fmt.Errorf("experiment %s: no cells, values or seeds", e.Name)
	}
	seen := make(map[CellKey]bool, len(e.Cells))
	for i := range e.Cells {
		c := &e.Cells[i]
		if c.Value < 0 || c.Value >= len(e.Values) {
			return fmt.Errorf("experiment %s: cell %d has value %d of %d", e.Name, i, c.Value, len(e.Values))
		}
		k := c.Key(e)
		cfg := c.Config(1)
		if err := cfg.Validate(); err != nil {
			return fmt.Errorf("experiment %s, cell %s: %w", e.Name, k, err)
		}
		if cfg.Strategy.Name != c.Strategy.Name || cfg.DB.Isolation != c.Level || cfg.Seed != 1 {
			return fmt.Errorf("experiment %s, cell %s: its world runs %s at %s, seed %d", e.Name, k, cfg.Strategy.Name, cfg.DB.Isolation.Slug(), cfg.Seed)
		}
		if seen[k] {
			return fmt.Errorf("experiment %s: cell %s given twice", e.Name, k)
		}
		seen[k] = true
	}
	return nil
}

// index maps the cells' names to their places.
func (e *Experiment) index() map[CellKey]int {
	out := make(map[CellKey]int, len(e.Cells))
	for i := range e.Cells {
		out[e.Cells[i].Key(e)] = i
	}
	return out
}
