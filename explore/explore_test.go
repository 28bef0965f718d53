package explore

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim/db/sql"
	"github.com/idemsim/idemsim/sim/world"
)

// small is the world the tests explore: 2 servers, 2 clients with one
// operation each (workers of them submitting it at once), the strategy
// at the level.
func small(t testing.TB, strategy string, level sql.Level, workers int) world.Config {
	s, err := models.Lookup(strategy)
	require.NoError(t, err, testcmd.Rerun(t, "./explore"))
	cfg := world.Defaults()
	cfg.Strategy = s
	cfg.Servers, cfg.Clients, cfg.OpsPerClient, cfg.WorkersPerOp = 2, 2, 1, workers
	cfg.DB.Isolation = level
	return cfg
}

func menu(t testing.TB, s string) Menu {
	m, err := ParseMenu(s)
	require.NoError(t, err, testcmd.Rerun(t, "./explore"))
	return m
}

// replayHash runs the counterexample as idemsim run --scenario-file does:
// the world as built (no placeholder rate), its faults as a replayed
// list, its trail through Replay. It returns the trace hash and how the
// run left the trail ("" if it did not).
func replayHash(t testing.TB, cfg world.Config, c *Counterexample) (uint64, string) {
	cfg.Faults.Replay = append([]faults.Fault{}, c.Faults...)
	r := NewReplay(cfg.Seed, c.Trail)
	res, err := world.RunWith(cfg, r)
	require.NoError(t, err, testcmd.Rerun(t, "./explore"))
	return res.TraceHash, r.Diverged()
}

// faultSet is the faults that fired in a run, in a canonical order.
func faultSet(faults []faults.Fault) string {
	lines := make([]string, len(faults))
	for i, f := range faults {
		lines[i] = f.String()
	}
	slices.Sort(lines)
	return strings.Join(lines, "; ")
}

// TestEnumerationMatchesBruteForce checks that the depth-first search with
// deepening budgets misses no fault subset and explores none twice. Method:
// on a tiny world with a correct strategy (so the search is not stopped
// by a violation), collect the set of faults that fired in every schedule
// the search audits; then, independently, force a fault at every subset of
// at most K choice-point positions (K = 2, positions up to a few past the
// most points any explored run met) and collect the sets that fired. The
// two collections must be equal, and the search must have audited each set
// once.
func TestEnumerationMatchesBruteForce(t *testing.T) {
	cases := []struct {
		name     string
		strategy string
		menu     string
		k        int
	}{
		{name: "select-for-update/network", strategy: "select-for-update", menu: "drop-request,drop-response,duplicate", k: 2},
		{name: "unique-409/db", strategy: "unique-409", menu: "db-drop,lost-commit-ack,reset", k: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := small(t, tc.strategy, sql.ReadCommitted, 1)
			cfg.Clients = 1
			m := menu(t, tc.menu)
			explored := map[string]int{}
			most := 0
			opt := Options{Menu: m, Bounds: Bounds{Faults: tc.k}, visit: func(res *world.Result, points int) {
				explored[faultSet(res.Faults)]++
				most = max(most, points)
			}}
			r, err := Search(cfg, opt)
			require.NoError(t, err, testcmd.Rerun(t, "./explore"))
			require.Nil(t, r.Found, "a correct strategy must not fail here; %s", testcmd.Rerun(t, "./explore"))
			for set, n := range explored {
				assert.Equal(t, 1, n, "fault set %q audited %d times; %s", set, n, testcmd.Rerun(t, "./explore"))
			}

			prepared := m.Prepare(cfg)
			s := &searcher{cfg: prepared, menu: &m, tq: timeouts(&prepared)}
			n := most + 4
			brute := map[string]bool{}
			for _, positions := range subsets(n, tc.k) {
				prefix := make([]int, n)
				for _, p := range positions {
					prefix[p] = 1
				}
				l, err := s.run(prefix, tc.k, 0)
				require.NoError(t, err, testcmd.Rerun(t, "./explore"))
				brute[faultSet(l.res.Faults)] = true
			}
			assert.Equal(t, slices.Sorted(maps.Keys(brute)), slices.Sorted(maps.Keys(explored)), "the search's fault sets differ from the brute force's over %d positions; %s", n, testcmd.Rerun(t, "./explore"))
			assert.Greater(t, len(brute), 10, "the scope is too small to test anything; %s", testcmd.Rerun(t, "./explore"))
		})
	}
}

// subsets lists every subset of {0..n-1} with at most k elements.
func subsets(n, k int) [][]int {
	out := [][]int{nil}
	var grow func(from int, cur []int)
	grow = func(from int, cur []int) {
		if len(cur) == k {
			return
		}
		for i := from; i < n; i++ {
			next := append(slices.Clone(cur), i)
			out = append(out, next)
			grow(i+1, next)
		}
	}
	grow(0, nil)
	return out
}

// TestVerdicts checks the explorer against what the simulator knows of the
// strategies. Method: explore small worlds: strategies known wrong must
// yield a counterexample with exactly the fewest faults and delays that
// break them (shown minimal by a search one budget lower finding none),
// which replays through a fault list and Replay to the same trace hash;
// correct (strategy, level) pairs must be exhausted without one.
func TestVerdicts(t *testing.T) {
	cases := []struct {
		name     string
		strategy string
		level    sql.Level
		workers  int
		menu     string
		bounds   Bounds
		long     bool // left out of -short
		// faults and delays of the counterexample; -1: none expected.
		faults, delays int
		// kind is a violation the counterexample must show.
		kind string
	}{
		{name: "naive/drop-response", strategy: "naive", level: sql.ReadCommitted, workers: 1, menu: "drop-response", bounds: Bounds{Faults: 1}, faults: 1, kind: "duplicate"},
		// Broken by one fault, reported with one although two are allowed.
		{name: "naive/fewest-faults", strategy: "naive", level: sql.ReadCommitted, workers: 1, menu: "drop-request,drop-response,duplicate,reset", bounds: Bounds{Faults: 2, Delays: 1}, faults: 1, kind: "duplicate"},
		// Two workers racing need one duplicated request and two service
		// times off their median: late for one, early for the other.
		{name: "txn-check-insert/read-committed", strategy: "txn-check-insert", level: sql.ReadCommitted, workers: 2, menu: "duplicate", bounds: Bounds{Faults: 1, Delays: 2}, faults: 1, delays: 2, kind: "duplicate"},
		{name: "txn-check-insert/serializable", strategy: "txn-check-insert", level: sql.Serializable, workers: 2, menu: "drop-request,drop-response,duplicate,reset,db-drop,lost-commit-ack", bounds: Bounds{Faults: 1, Delays: 1}, faults: -1},
		{name: "select-for-update/k1d1", strategy: "select-for-update", level: sql.ReadCommitted, workers: 1, menu: "drop-request,drop-response,duplicate,reset,db-drop,lost-commit-ack,crash-at", bounds: Bounds{Faults: 1, Delays: 1}, faults: -1},
		{name: "select-for-update/k2d1", strategy: "select-for-update", level: sql.ReadCommitted, workers: 1, menu: "drop-request,drop-response,duplicate,reset,db-drop,lost-commit-ack,crash-at", bounds: Bounds{Faults: 2, Delays: 1}, long: true, faults: -1},
		{name: "unique-409/k2", strategy: "unique-409", level: sql.ReadCommitted, workers: 1, menu: "drop-request,drop-response,duplicate,reset,db-drop,lost-commit-ack", bounds: Bounds{Faults: 2}, long: true, faults: -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.long && testing.Short() {
				t.Skip("a few seconds; run without -short")
			}
			cfg := small(t, tc.strategy, tc.level, tc.workers)
			m := menu(t, tc.menu)
			r, err := Search(cfg, Options{Menu: m, Bounds: tc.bounds})
			require.NoError(t, err, testcmd.Rerun(t, "./explore"))
			assert.False(t, r.Cut, testcmd.Rerun(t, "./explore"))
			if tc.faults < 0 {
				assert.Nil(t, r.Found, "%+v; %s", r.Found, testcmd.Rerun(t, "./explore"))
				assert.Greater(t, r.Schedules, 10, testcmd.Rerun(t, "./explore"))
				return
			}
			require.NotNil(t, r.Found, "no counterexample in %d schedules; %s", r.Schedules, testcmd.Rerun(t, "./explore"))
			c := r.Found
			assert.Len(t, c.Faults, tc.faults, "%v; %s", c.Faults, testcmd.Rerun(t, "./explore"))
			assert.Len(t, c.Trail.Delays, tc.delays, "%v; %s", c.Trail, testcmd.Rerun(t, "./explore"))
			assert.Contains(t, strings.Join(c.Violations, "\n"), tc.kind, testcmd.Rerun(t, "./explore"))
			hash, diverged := replayHash(t, cfg, c)
			assert.Empty(t, diverged, testcmd.Rerun(t, "./explore"))
			assert.Equal(t, c.TraceHash, hash, "the counterexample replays to another trace; %s", testcmd.Rerun(t, "./explore"))

			// Minimal: one budget lower (a delay, else a fault) finds none.
			lower := Bounds{Faults: tc.faults, Delays: tc.delays - 1}
			if tc.delays == 0 {
				lower = Bounds{Faults: tc.faults - 1, Delays: tc.bounds.Delays}
			}
			again, err := Search(cfg, Options{Menu: m, Bounds: lower})
			require.NoError(t, err, testcmd.Rerun(t, "./explore"))
			assert.Nil(t, again.Found, "a smaller counterexample exists within %+v; %s", lower, testcmd.Rerun(t, "./explore"))
		})
	}
}

// TestCut checks that a search stopped by the run budget says so. Method:
// allow 10 runs of a search that needs hundreds.
func TestCut(t *testing.T) {
	r, err := Search(small(t, "select-for-update", sql.ReadCommitted, 1), Options{Menu: AllFaults(), Bounds: Bounds{Faults: 1, Delays: 1, Runs: 10}})
	require.NoError(t, err, testcmd.Rerun(t, "./explore"))
	assert.True(t, r.Cut, testcmd.Rerun(t, "./explore"))
	assert.Equal(t, 10, r.Runs, testcmd.Rerun(t, "./explore"))
}

// digest is everything a search reports but the counterexample's text, in
// one line, for comparing searches.
func digest(r *Result) string {
	s := fmt.Sprintf("%d %d %d %d %v %v %d %v", r.Runs, r.Schedules, r.States, r.Ties, r.RootFaults, r.RootDelays, r.RootTies, r.Cut)
	if r.Found != nil {
		s += fmt.Sprintf(" %x %s %s", r.Found.TraceHash, faultSet(r.Found.Faults), r.Found.Trail)
	}
	return s
}

// digestSearch is the search TestDeterminism repeats: one that finds
// txn-check-insert's counterexample, or with -short the first 1,500 runs
// of it.
func digestSearch(t testing.TB) string {
	b := Bounds{Faults: 1, Delays: 2}
	if testing.Short() {
		b.Runs = 1500
	}
	r, err := Search(small(t, "txn-check-insert", sql.ReadCommitted, 2), Options{Menu: menu(t, "duplicate,drop-response"), Bounds: b})
	require.NoError(t, err, testcmd.Rerun(t, "./explore"))
	return digest(r)
}

// TestDeterminism checks that a search gives the same result whatever the
// scheduler of the Go runtime and whichever process runs it. Method: run
// one search (it finds a counterexample) at GOMAXPROCS 1 and 2 in this
// process, then in two fresh processes of this test binary, and compare
// their digests.
func TestDeterminism(t *testing.T) {
	if os.Getenv("IDEMSIM_EXPLORE_DIGEST") == "1" {
		fmt.Printf("digest: %s\n", digestSearch(t))
		return
	}
	prev := runtime.GOMAXPROCS(1)
	one := digestSearch(t)
	runtime.GOMAXPROCS(2)
	two := digestSearch(t)
	runtime.GOMAXPROCS(prev)
	assert.Equal(t, one, two, "GOMAXPROCS 1 and 2 differ; %s", testcmd.Rerun(t, "./explore"))
	if !testing.Short() {
		assert.Contains(t, one, "choices/v2 ", testcmd.Rerun(t, "./explore"))
	}
	for _, procs := range []string{"1", "2"} {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestDeterminism$", "-test.short="+fmt.Sprint(testing.Short()))
		cmd.Env = append(os.Environ(), "IDEMSIM_EXPLORE_DIGEST=1", "GOMAXPROCS="+procs)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s; %s", out, testcmd.Rerun(t, "./explore"))
		_, line, ok := strings.Cut(string(out), "digest: ")
		require.True(t, ok, "%s; %s", out, testcmd.Rerun(t, "./explore"))
		line, _, _ = strings.Cut(line, "\n")
		assert.Equal(t, one, line, "another process (GOMAXPROCS=%s) differs; %s", procs, testcmd.Rerun(t, "./explore"))
	}
}

// BenchmarkExplore measures schedules per second, audit included, on a
// small world: select-for-update, 2 servers, 2 clients, the whole menu at
// one fault and one delay.
func BenchmarkExplore(b *testing.B) {
	cfg := small(b, "select-for-update", sql.ReadCommitted, 1)
	schedules, runs := 0, 0
	for b.Loop() {
		r, err := Search(cfg, Options{Menu: AllFaults(), Bounds: Bounds{Faults: 1, Delays: 1}})
		require.NoError(b, err)
		schedules += r.Schedules
		runs += r.Runs
	}
	b.ReportMetric(float64(schedules)/b.Elapsed().Seconds(), "schedules/s")
	b.ReportMetric(float64(runs)/b.Elapsed().Seconds(), "runs/s")
}
