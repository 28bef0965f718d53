package explore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/world"
)

// Shard is the part of a search one process takes: of every budget's
// units (in depth-first order), those whose index is I mod N. The zero
// Shard, like 0/1, is the whole search.
type Shard struct{ I, N int }

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.I, max(s.N, 1)) }

func (s Shard) whole() bool { return s.N <= 1 }

// part is what one shard of a search counted: per budget it searched, in
// (faults, delays) order, the tallies of its units in depth-first order,
// up to its first counterexample or its cut.
type part struct {
	shard   Shard
	bounds  Bounds
	menu    Menu
	ties    TieMode
	trace   uint64 // of the run with no fault and no delay
	root    *chooser
	budgets []budgetPart
	// cut: the shard spent its runs before it was done.
	cut               bool
	splitRuns, wasted int
	estimate          *Estimate
}

type budgetPart struct {
	faults, delays, units int
	// cut: the shard's runs were spent before its next unit.
	cut     bool
	tallies []unitTally
}

type unitTally struct {
	unit int
	cut  bool
	*tally
}

// searchPart searches the units of shard sh: every budget in turn, each
// cut into units by the same rule in every shard, so that the parts of
// the N shards merge into the search of the whole. A shard runs every
// budget up to its own first counterexample: it cannot know whether
// another shard found one earlier; the merge keeps the first in (faults,
// delays, unit) order, which is the one a single search finds. The run
// budget (Bounds.Runs) bounds each shard's runs in its own order.
func searchPart(cfg world.Config, opt Options, sh Shard) (*part, error) {
	cfg = opt.Menu.Prepare(cfg)
	s := &searcher{cfg: cfg, menu: &opt.Menu, tq: timeouts(&cfg), visit: opt.visit, ties: opt.Ties}
	workers := workersOf(opt)
	// The cut of a tree depends on the worker count only for a whole
	// search (one worker does not cut it): shards must cut alike
	// wherever they run.
	target := 1
	switch {
	case !sh.whole():
		target = unitsPerShard * sh.N
	case workers > 1:
		target = unitsPerWorker * workers
	}
	pt := &part{shard: sh, bounds: opt.Bounds, menu: opt.Menu, ties: opt.Ties}
	runs := 0
	var err error
budgets:
	for f := 0; f <= opt.Bounds.Faults; f++ {
		for d := 0; d <= opt.Bounds.Delays; d++ {
			limit := -1
			if opt.Bounds.Runs > 0 {
				limit = opt.Bounds.Runs - runs
				if limit <= 0 {
					pt.cut = true
					break budgets
				}
			}
			var p *plan
			if p, err = s.split(f, d, target); err != nil {
				break budgets
			}
			if pt.root == nil {
				pt.root, pt.trace = p.first, p.trace
			}
			pt.splitRuns += p.runs
			b := budgetPart{faults: f, delays: d, units: len(p.roots)}
			var list []int
			for i := range p.roots {
				if sh.whole() || i%sh.N == sh.I {
					list = append(list, i)
				}
			}
			found := false
			pt.wasted += s.units(p, f, d, list, workers, limit, func(i int, u done) bool {
				b.tallies = append(b.tallies, unitTally{unit: i, cut: u.cut, tally: u.t})
				runs += u.t.Runs
				if u.err != nil {
					err = u.err
					return false
				}
				found = u.t.Found != nil
				if u.cut {
					b.cut, pt.cut = true, true
					return false
				}
				if found {
					return false
				}
				if limit >= 0 && runs == opt.Bounds.Runs && i != list[len(list)-1] {
					// A single search would meet the spent budget at
					// the next unit's first run.
					b.cut, pt.cut = true, true
					return false
				}
				return true
			})
			pt.budgets = append(pt.budgets, b)
			if err != nil || found || pt.cut {
				break budgets
			}
		}
	}
	if err == nil && pt.cut && opt.Probes >= 0 {
		pt.estimate, err = s.estimate(opt.Bounds, probesOf(opt))
	}
	return pt, err
}

// found says whether the part's last budget holds a counterexample,
// after which a shard searches no further.
func (p *part) found() bool {
	if len(p.budgets) == 0 {
		return false
	}
	return slices.ContainsFunc(p.budgets[len(p.budgets)-1].tallies, func(u unitTally) bool { return u.Found != nil })
}

// mergeParts adds up the parts of one search, one per shard, in the order
// a single search would have met their units: budget by budget, unit by
// unit, up to the first counterexample or the first cut.
func mergeParts(parts []*part) (*Result, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("no shard to merge")
	}
	parts = slices.Clone(parts)
	slices.SortFunc(parts, func(a, b *part) int { return a.shard.I - b.shard.I })
	n := max(parts[0].shard.N, 1)
	first := parts[0]
	if len(parts) != n {
		return nil, fmt.Errorf("%d shards of %d given (accepted: every shard I/%d of 0..%d once)", len(parts), n, n, n-1)
	}
	for i, p := range parts {
		switch {
		case max(p.shard.N, 1) != n || p.shard.I != i:
			return nil, fmt.Errorf("shard %s given with shards of %d, or twice (accepted: every shard I/%d of 0..%d once)", p.shard, n, n, n-1)
		case p.ties != first.ties:
			return nil, fmt.Errorf("shard %s explored same-instant orders with --ties %s, shard %s with %s", p.shard, p.ties, first.shard, first.ties)
		case p.bounds != first.bounds || p.menu != first.menu:
			return nil, fmt.Errorf("shard %s searched other bounds (faults %d, delays %d, runs %d over %s) than shard %s (faults %d, delays %d, runs %d over %s)",
				p.shard, p.bounds.Faults, p.bounds.Delays, p.bounds.Runs, p.menu, first.shard, first.bounds.Faults, first.bounds.Delays, first.bounds.Runs, first.menu)
		case p.trace != first.trace:
			return nil, fmt.Errorf("shard %s searched another world than shard %s (their runs with no fault have trace hashes %016x and %016x)", p.shard, first.shard, p.trace, first.trace)
		}
	}
	r := &Result{Bounds: first.bounds, Menu: first.menu, TieMode: first.ties}
	t := newTally()
	t.first = first.root
	defer r.report(t)
	for _, p := range parts {
		r.SplitRuns += p.splitRuns
		r.Wasted += p.wasted
		if r.Estimate == nil {
			r.Estimate = p.estimate
		}
	}
	next := make([]int, n) // each part's next tally in the budget
	for b := 0; ; b++ {
		units := -1
		for _, p := range parts {
			switch {
			case b < len(p.budgets) && units < 0:
				units = p.budgets[b].units
			case b < len(p.budgets) && p.budgets[b].units != units:
				return nil, fmt.Errorf("shard %s cut budget %d into %d units, shard %s into %d: not the same search", p.shard, b, p.budgets[b].units, first.shard, units)
			}
		}
		if units < 0 {
			// No shard searched it: the search ended before.
			r.Cut = slices.ContainsFunc(parts, func(p *part) bool { return p.cut })
			return r, nil
		}
		for _, p := range parts {
			if b >= len(p.budgets) && !p.cut && !p.found() {
				return nil, fmt.Errorf("shard %s stopped before budget %d without a counterexample or a cut: a damaged shard file", p.shard, b)
			}
		}
		clear(next)
		for u := range units {
			k := u % n
			p := parts[k]
			if b >= len(p.budgets) || next[k] >= len(p.budgets[b].tallies) {
				if p.cut {
					r.Cut = true
					return r, nil
				}
				return nil, fmt.Errorf("shard %s stopped before unit %d of budget %d without a counterexample or a cut: a damaged shard file", p.shard, u, b)
			}
			ut := p.budgets[b].tallies[next[k]]
			next[k]++
			if ut.unit != u {
				return nil, fmt.Errorf("shard %s holds unit %d of budget %d where unit %d belongs: a damaged shard file", p.shard, ut.unit, b, u)
			}
			t.add(ut.tally)
			if ut.cut {
				r.Cut = true
				return r, nil
			}
			if t.Found != nil {
				return r, nil
			}
		}
	}
}

// SearchShard searches shard sh of the search Search would make, for MergeShards to add up with the others.
func SearchShard(cfg world.Config, opt Options, sh Shard) (*ShardFile, error) {
	p, err := searchPart(cfg, opt, sh)
	if err != nil {
		return nil, err
	}
	return p.file(), nil
}

// MergeShards adds up the files of every shard of one search into the
// result of the whole search.
func MergeShards(files []*ShardFile) (*Result, error) {
	parts := make([]*part, len(files))
	for i, f := range files {
		p, err := f.part()
		if err != nil {
			return nil, fmt.Errorf("shard %s: %v", f.Shard, err)
		}
		parts[i] = p
	}
	return mergeParts(parts)
}

// ShardFormat is the first field of a shard file, its version.
const ShardFormat = "idemsim-explore-shard/v1"

// ParseShard reads "I/N" as idemsim experiment --shard does.
func ParseShard(s string) (Shard, error) {
	sh, err := experiments.ParseShard(s)
	return Shard{I: int(sh.I), N: int(sh.N)}, err
}

// ShardFile is a shard's part of a search as JSON: what it must agree on
// with the other shards (bounds, menu, the world's trace), and per budget
// the tallies of its units. Args is for the caller (the command line that
// made it).
type ShardFile struct {
	Format    string        `json:"format"`
	Shard     string        `json:"shard"`
	Args      []string      `json:"args"`
	Bounds    Bounds        `json:"bounds"`
	Menu      string        `json:"menu"`
	Ties      string        `json:"ties"`
	RootTrace string        `json:"root_trace"`
	Root      []ShardPoint  `json:"root_points"`
	RootTies  int           `json:"root_ties"`
	Cut       bool          `json:"cut"`
	SplitRuns int           `json:"split_runs"`
	Wasted    int           `json:"wasted_runs"`
	Estimate  *Estimate     `json:"estimate,omitempty"`
	Budgets   []ShardBudget `json:"budgets"`
}

// ShardPoint is a choice point of the run with no fault and no delay.
type ShardPoint struct {
	Kind   PointKind `json:"kind"`
	Fault  Fault     `json:"fault"`
	Stream int       `json:"stream"`
}

// ShardBudget is a budget's units as a shard searched them.
type ShardBudget struct {
	Faults  int         `json:"faults"`
	Delays  int         `json:"delays"`
	Units   int         `json:"units"`
	Cut     bool        `json:"cut"`
	Tallies []ShardUnit `json:"tallies"`
}

// ShardUnit is one unit's tally; States are the final states' hashes.
type ShardUnit struct {
	Unit        int         `json:"unit"`
	Cut         bool        `json:"cut"`
	Runs        int         `json:"runs"`
	Schedules   int         `json:"schedules"`
	Ties        int         `json:"ties"`
	FaultPoints int         `json:"fault_points"`
	DelayPoints int         `json:"delay_points"`
	TiePoints   int         `json:"tie_points"`
	Blocked     int         `json:"blocked_runs"`
	States      []string    `json:"states"`
	Found       *ShardFound `json:"found,omitempty"`
}

// ShardFound is a counterexample, each part as it prints.
type ShardFound struct {
	Faults     []string `json:"faults"`
	Trail      string   `json:"trail"`
	Classes    []Class  `json:"classes"` // of the trail's delays
	Violations []string `json:"violations"`
	TraceHash  string   `json:"trace_hash"`
}

func hex(h uint64) string { return fmt.Sprintf("%016x", h) }

func unhex(s string) (uint64, error) {
	h, err := strconv.ParseUint(s, 16, 64)
	if err != nil || len(s) != 16 {
		return 0, fmt.Errorf("%q is not a hash of 16 hex digits", s)
	}
	return h, nil
}

func (p *part) file() *ShardFile {
	f := &ShardFile{Format: ShardFormat, Shard: p.shard.String(), Args: []string{}, Bounds: p.bounds, Menu: p.menu.String(), Ties: p.ties.String(), RootTrace: hex(p.trace),
		Cut: p.cut, SplitRuns: p.splitRuns, Wasted: p.wasted, Estimate: p.estimate, Budgets: []ShardBudget{}}
	if p.root != nil {
		f.RootTies = p.root.ties
		for _, pt := range p.root.points {
			f.Root = append(f.Root, ShardPoint{Kind: pt.Kind, Fault: pt.Fault, Stream: int(pt.Stream)})
		}
	}
	for _, b := range p.budgets {
		sb := ShardBudget{Faults: b.faults, Delays: b.delays, Units: b.units, Cut: b.cut, Tallies: []ShardUnit{}}
		for _, u := range b.tallies {
			su := ShardUnit{Unit: u.unit, Cut: u.cut, Runs: u.Runs, Schedules: u.Schedules, Ties: u.Ties, FaultPoints: u.FaultPoints, DelayPoints: u.DelayPoints, TiePoints: u.TiePoints, Blocked: u.Blocked, States: []string{}}
			for _, h := range slices.Sorted(maps.Keys(u.states)) {
				su.States = append(su.States, hex(h))
			}
			if c := u.Found; c != nil {
				fd := &ShardFound{Faults: []string{}, Trail: c.Trail.String(), Classes: []Class{}, Violations: c.Violations, TraceHash: hex(c.TraceHash)}
				for _, d := range c.Trail.Delays {
					fd.Classes = append(fd.Classes, d.Class)
				}
				for _, x := range c.Faults {
					fd.Faults = append(fd.Faults, x.String())
				}
				su.Found = fd
			}
			sb.Tallies = append(sb.Tallies, su)
		}
		f.Budgets = append(f.Budgets, sb)
	}
	return f
}

// part reads the file back, checking what the merge relies on.
func (f *ShardFile) part() (*part, error) {
	if f.Format != ShardFormat {
		return nil, fmt.Errorf("format %q is not a shard file's (accepted: %s)", f.Format, ShardFormat)
	}
	sh, err := ParseShard(f.Shard)
	if err != nil {
		return nil, err
	}
	m, err := ParseMenu(f.Menu)
	if err != nil {
		return nil, fmt.Errorf("menu: %v", err)
	}
	if f.Bounds.Faults < 0 || f.Bounds.Delays < 0 || f.Bounds.Runs < 0 || f.Bounds.Faults > 8 || f.Bounds.Delays > 8 {
		return nil, fmt.Errorf("bounds %+v out of range (accepted: faults and delays 0 to 8, runs >= 0)", f.Bounds)
	}
	ties := slices.Index(tieModeNames, f.Ties)
	if ties < 0 {
		return nil, fmt.Errorf("ties %q unknown (accepted: %s)", f.Ties, strings.Join(tieModeNames, ", "))
	}
	p := &part{shard: sh, bounds: f.Bounds, menu: m, ties: TieMode(ties), cut: f.Cut, splitRuns: f.SplitRuns, wasted: f.Wasted, estimate: f.Estimate}
	if p.trace, err = unhex(f.RootTrace); err != nil {
		return nil, fmt.Errorf("root_trace: %v", err)
	}
	p.root = &chooser{ties: f.RootTies}
	for _, pt := range f.Root {
		if pt.Kind > TiePoint || pt.Fault >= numFaults || pt.Stream < 0 || pt.Stream >= numStreams {
			return nil, fmt.Errorf("root point %+v out of range", pt)
		}
		p.root.points = append(p.root.points, Point{Kind: pt.Kind, Fault: pt.Fault, Stream: sim.Stream(pt.Stream)})
	}
	for _, sb := range f.Budgets {
		b := budgetPart{faults: sb.Faults, delays: sb.Delays, units: sb.Units, cut: sb.Cut}
		for _, su := range sb.Tallies {
			t := newTally()
			t.Runs, t.Schedules, t.Ties, t.FaultPoints, t.DelayPoints = su.Runs, su.Schedules, su.Ties, su.FaultPoints, su.DelayPoints
			t.TiePoints, t.Blocked = su.TiePoints, su.Blocked
			for _, s := range su.States {
				h, err := unhex(s)
				if err != nil {
					return nil, fmt.Errorf("states: %v", err)
				}
				t.states[h] = true
			}
			if fd := su.Found; fd != nil {
				c := &Counterexample{Violations: fd.Violations}
				for _, line := range fd.Faults {
					x, err := faults.ParseFault(line)
					if err != nil {
						return nil, fmt.Errorf("counterexample fault: %v", err)
					}
					c.Faults = append(c.Faults, x)
				}
				if c.Trail, err = ParseTrail(fd.Trail); err != nil {
					return nil, fmt.Errorf("counterexample trail: %v", err)
				}
				if len(fd.Classes) != len(c.Trail.Delays) {
					return nil, fmt.Errorf("counterexample: %d delay classes for %d delays", len(fd.Classes), len(c.Trail.Delays))
				}
				for i, cl := range fd.Classes {
					if cl == Median || cl >= numClasses {
						return nil, fmt.Errorf("counterexample: delay class %d out of range (accepted: 1 to %d)", cl, numClasses-1)
					}
					c.Trail.Delays[i].Class = cl
				}
				if c.TraceHash, err = unhex(fd.TraceHash); err != nil {
					return nil, fmt.Errorf("counterexample trace_hash: %v", err)
				}
				t.Found = c
			}
			b.tallies = append(b.tallies, unitTally{unit: su.Unit, cut: su.Cut, tally: t})
		}
		p.budgets = append(p.budgets, b)
	}
	return p, nil
}

// Encode is the file's bytes, indented, with a final newline.
func (f *ShardFile) Encode() ([]byte, error) {
	data, err := json.MarshalIndent(f, "", " ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// DecodeShardFile reads a shard file, refusing unknown fields.
func DecodeShardFile(data []byte) (*ShardFile, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f ShardFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("not a shard file of idemsim explore --shard: %v", err)
	}
	if _, err := f.part(); err != nil {
		return nil, err
	}
	return &f, nil
}
