package explore

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim/db/sql"
	"github.com/idemsim/idemsim/sim/world"
)

// serialSearch is the search without units or workers: each budget's
// tree searched whole by subtree from the empty root, as one goroutine
// would. The parallel search must give what it gives.
func serialSearch(t testing.TB, cfg world.Config, opt Options) *Result {
	cfg = opt.Menu.Prepare(cfg)
	s := &searcher{cfg: cfg, menu: &opt.Menu, tq: timeouts(&cfg)}
	r := &Result{Bounds: opt.Bounds, Menu: opt.Menu}
	all := newTally()
	defer r.report(all)
	for f := 0; f <= opt.Bounds.Faults; f++ {
		for d := 0; d <= opt.Bounds.Delays; d++ {
			limit := -1
			if opt.Bounds.Runs > 0 {
				limit = opt.Bounds.Runs - all.Runs
			}
			u := newTally()
			cut, err := s.subtree(nil, f, d, limit, u)
			require.NoError(t, err, testcmd.Rerun(t, "./explore"))
			all.add(u)
			if cut {
				r.Cut = true
				return r
			}
			if all.Found != nil {
				return r
			}
		}
	}
	return r
}

// fullDigest is digest with the points met.
func fullDigest(r *Result) string {
	return fmt.Sprintf("%s points %d %d", digest(r), r.FaultPoints, r.DelayPoints)
}

// searchCase is a search the parallel and sharded tests repeat: one
// exhausted, one that finds a counterexample, and cuts at run budgets
// that fall inside units, at a unit's end and between budgets.
type searchCase struct {
	name     string
	long     bool // left out of -short
	strategy string
	level    sql.Level
	workers  int
	menu     string
	bounds   Bounds
	found    bool
}

func searchCases() []searchCase {
	return []searchCase{
		{name: "exhausted", strategy: "select-for-update", level: sql.ReadCommitted, workers: 1, menu: "drop-request,drop-response,duplicate,reset,db-drop", bounds: Bounds{Faults: 1, Delays: 1}},
		{name: "counterexample", strategy: "naive", level: sql.ReadCommitted, workers: 1, menu: "drop-request,drop-response,duplicate,reset", bounds: Bounds{Faults: 2, Delays: 1}, found: true},
		{name: "counterexample-deep", strategy: "txn-check-insert", level: sql.ReadCommitted, workers: 2, menu: "duplicate", bounds: Bounds{Faults: 1, Delays: 1}},
		{name: "counterexample-late", long: true, strategy: "txn-check-insert", level: sql.ReadCommitted, workers: 2, menu: "duplicate", bounds: Bounds{Faults: 1, Delays: 2}, found: true},
		{name: "cut-1500", long: true, strategy: "txn-check-insert", level: sql.ReadCommitted, workers: 2, menu: "duplicate,drop-response", bounds: Bounds{Faults: 1, Delays: 2, Runs: 1500}},
		{name: "cut-10", strategy: "select-for-update", level: sql.ReadCommitted, workers: 1, menu: "drop-request,drop-response,duplicate,reset,db-drop", bounds: Bounds{Faults: 1, Delays: 1, Runs: 10}},
		{name: "cut-137", strategy: "select-for-update", level: sql.ReadCommitted, workers: 1, menu: "drop-request,drop-response,duplicate,reset,db-drop", bounds: Bounds{Faults: 1, Delays: 1, Runs: 137}},
	}
}

// TestParallelMatchesSerial checks that the workers change nothing but
// the time: Search on 1, 2 and 4 workers gives what a serial search of
// each budget's whole tree gives (runs, schedules, states, ties, points,
// the root's points, the cut, the counterexample and its trail), and the
// cut falls at the same run. Method: compare digests against
// serialSearch over searchCases, whose cuts fall inside units.
func TestParallelMatchesSerial(t *testing.T) {
	for _, tc := range searchCases() {
		t.Run(tc.name, func(t *testing.T) {
			if tc.long && testing.Short() {
				t.Skip("a few seconds; run without -short")
			}
			cfg := small(t, tc.strategy, tc.level, tc.workers)
			opt := Options{Menu: menu(t, tc.menu), Bounds: tc.bounds, Probes: -1}
			want := serialSearch(t, cfg, opt)
			if tc.found {
				require.NotNil(t, want.Found, "the case must find a counterexample; %s", testcmd.Rerun(t, "./explore"))
			}
			if tc.bounds.Runs > 0 {
				require.True(t, want.Cut, "the case must be cut; %s", testcmd.Rerun(t, "./explore"))
				assert.Equal(t, tc.bounds.Runs, want.Runs, testcmd.Rerun(t, "./explore"))
			}
			for _, workers := range []int{1, 2, 4} {
				opt.Workers = workers
				got, err := Search(cfg, opt)
				require.NoError(t, err, testcmd.Rerun(t, "./explore"))
				assert.Equal(t, fullDigest(want), fullDigest(got), "%d workers; %s", workers, testcmd.Rerun(t, "./explore"))
				assert.Positive(t, got.SplitRuns, testcmd.Rerun(t, "./explore"))
			}
		})
	}
}

// TestSplitCoversTheTree checks the cut of a tree into units: the roots
// are in depth-first (lexicographic) order, none a prefix of another, and
// their subtrees together hold the tree's runs exactly; the expansion
// runs each unit's first schedule at most once; and a larger target cuts
// finer, with no unit of a large tree holding more than a fifth of it on
// the largest target. Method: split the budget (1, 1) tree of a small
// world (1,368 runs) at a few targets and search every unit.
func TestSplitCoversTheTree(t *testing.T) {
	cfg := small(t, "select-for-update", sql.ReadCommitted, 1)
	m := menu(t, "drop-request,drop-response,duplicate,reset,db-drop")
	cfg = m.Prepare(cfg)
	s := &searcher{cfg: cfg, menu: &m, tq: timeouts(&cfg)}
	const f = 1
	whole := newTally()
	_, err := s.subtree(nil, f, 1, -1, whole)
	require.NoError(t, err, testcmd.Rerun(t, "./explore"))
	units := 0
	targets := []int{1, 8, 32}
	if testing.Short() {
		targets = []int{1, 32}
	}
	for _, target := range targets {
		t.Run(fmt.Sprintf("f%d/target-%d", f, target), func(t *testing.T) {
			p, err := s.split(f, 1, target)
			require.NoError(t, err, testcmd.Rerun(t, "./explore"))
			assert.LessOrEqual(t, p.runs, len(p.roots), "at most one expansion run per unit; %s", testcmd.Rerun(t, "./explore"))
			assert.GreaterOrEqual(t, len(p.roots), units, "a larger target cuts finer; %s", testcmd.Rerun(t, "./explore"))
			units = len(p.roots)
			runs, most := 0, 0
			for i, root := range p.roots {
				if i > 0 {
					a := p.roots[i-1]
					assert.Negative(t, compareRoots(a, root), "roots %v and %v out of order; %s", a, root, testcmd.Rerun(t, "./explore"))
					assert.False(t, len(a) <= len(root) && slicesEqual(a, root[:len(a)]), "root %v is a prefix of %v; %s", a, root, testcmd.Rerun(t, "./explore"))
				}
				u := newTally()
				_, err := s.subtree(root, f, 1, -1, u)
				require.NoError(t, err, testcmd.Rerun(t, "./explore"))
				runs += u.Runs
				most = max(most, u.Runs)
			}
			assert.Equal(t, whole.Runs, runs, "the units hold the tree's runs; %s", testcmd.Rerun(t, "./explore"))
			if target == 32 {
				assert.Less(t, most, whole.Runs/5, "%d units, the largest holds %d of %d runs; %s", len(p.roots), most, whole.Runs, testcmd.Rerun(t, "./explore"))
			}
		})
	}
}

// TestUnitsBalanceTwoWorkers checks that the cut lets two workers share a
// tree evenly, counted in runs so that the machine's load does not
// matter: the units of the budget (1, 1) tree of a small world, taken in
// order by whichever of two workers is free first, end at most 10% after
// half of the runs, counting the expansion's, made before the workers
// start (each is then the first run of a unit). Method: split at the
// target two workers use, search each unit, and schedule their run
// counts.
func TestUnitsBalanceTwoWorkers(t *testing.T) {
	cfg := small(t, "select-for-update", sql.ReadCommitted, 1)
	m := AllFaults()
	cfg = m.Prepare(cfg)
	s := &searcher{cfg: cfg, menu: &m, tq: timeouts(&cfg)}
	p, err := s.split(1, 1, unitsPerWorker*2)
	require.NoError(t, err, testcmd.Rerun(t, "./explore"))
	var loads [2]int
	total := 0
	for _, root := range p.roots {
		u := newTally()
		_, err := s.subtree(root, 1, 1, -1, u)
		require.NoError(t, err, testcmd.Rerun(t, "./explore"))
		total += u.Runs
		free := 0
		if loads[1] < loads[0] {
			free = 1
		}
		loads[free] += u.Runs - 1 // its first run is the split's
	}
	span := p.runs + max(loads[0], loads[1])
	t.Logf("%d runs in %d units, %d to split; two workers end after %d", total, len(p.roots), p.runs, span)
	assert.LessOrEqual(t, float64(span), 1.1*float64(total)/2, "%d units of %d runs, %d to split: two workers end after %d; %s", len(p.roots), total, p.runs, span, testcmd.Rerun(t, "./explore"))
}

func compareRoots(a, b []int) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return a[i] - b[i]
		}
	}
	return len(a) - len(b)
}

func slicesEqual(a, b []int) bool { return compareRoots(a, b) == 0 }

// BenchmarkExploreParallel measures schedules per second of one search
// on as many workers as -cpu gives GOMAXPROCS (run it with -cpu 1,2):
// select-for-update, 2 servers, 2 clients, the whole menu at two faults
// and one delay (23,616 schedules; one fault with -short), audit
// included. It reports the runs the split and the workers spent beside
// the search's own.
func BenchmarkExploreParallel(b *testing.B) {
	cfg := small(b, "select-for-update", sql.ReadCommitted, 1)
	bounds := Bounds{Faults: 2, Delays: 1}
	if testing.Short() {
		bounds.Faults = 1
	}
	schedules, split, wasted, runs := 0, 0, 0, 0
	for b.Loop() {
		r, err := Search(cfg, Options{Menu: AllFaults(), Bounds: bounds})
		require.NoError(b, err)
		schedules += r.Schedules
		runs += r.Runs
		split += r.SplitRuns
		wasted += r.Wasted
	}
	b.ReportMetric(float64(schedules)/b.Elapsed().Seconds(), "schedules/s")
	b.ReportMetric(float64(split)/float64(runs), "split-runs/run")
	b.ReportMetric(float64(wasted)/float64(runs), "wasted-runs/run")
}
