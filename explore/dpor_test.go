package explore

import (
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/db/sql"
	"github.com/idemsim/idemsim/sim/world"
)

// reached is what a search of a tree reached: its final states, the
// violations of its runs (each run's, joined), and its runs.
type reached struct {
	states, violations map[string]bool
	runs, schedules    int
	cut                bool
}

// reach searches cfg's trees of budgets up to (f, d) below root with the
// tie mode, past every violation, within limit runs each.
func reach(t *testing.T, cfg world.Config, m Menu, mode TieMode, root []int, f, d, limit int) reached {
	cfg = m.Prepare(cfg)
	r := reached{states: map[string]bool{}, violations: map[string]bool{}}
	s := &searcher{cfg: cfg, menu: &m, tq: timeouts(&cfg), ties: mode, past: true, visit: func(res *world.Result, _ int) {
		r.states[hex(finalState(res))] = true
		if v := Violations(res); len(v) > 0 {
			r.violations[strings.Join(v, "; ")] = true
		}
	}}
	// Every budget up to (f, d), as Search deepens them.
	for bf := 0; bf <= f; bf++ {
		for bd := 0; bd <= d; bd++ {
			tl := newTally()
			cut, err := s.subtree(root, bf, bd, limit, tl)
			require.NoError(t, err, testcmd.Rerun(t, "./explore"))
			r.runs, r.schedules, r.cut = r.runs+tl.Runs, r.schedules+tl.Schedules, r.cut || cut
		}
	}
	return r
}

// TestDPORSound checks that the partial-order reduction loses nothing:
// on scopes small enough to enumerate every order of every same-instant
// tie, DPOR reaches exactly the final states and the violations the naive
// enumeration reaches, in no more runs. Method: worlds of 2 clients with
// one operation each (their think time 0, so that their requests move in
// lockstep and tie at almost every instant, or the default, where only
// delays make ties), 1 or 2 servers, a correct strategy, a wrong one and
// one with server memory, fault budgets 0 and 1 of a small menu and delay
// budgets 0 and 1. Where the whole tree is too large for the naive
// enumeration, both search the subtree below a fixed prefix of the
// default run's points, leaving its last few free (the subtree contract
// lets DPOR reduce only below it, which is also what is checked).
func TestDPORSound(t *testing.T) {
	cases := []struct {
		name     string
		strategy string
		servers  int
		lockstep bool
		menu     string
		f, d     int
		// free: how many of the default run's last points are searched
		// (the rest are a fixed prefix); -1: the whole tree.
		free int
		long bool
	}{
		{name: "local-cache/lockstep/2-servers", strategy: "local-cache", servers: 2, lockstep: true, menu: "drop-response", free: 16},
		{name: "local-cache/lockstep/1-server", strategy: "local-cache", servers: 1, lockstep: true, menu: "drop-response", free: 16},
		{name: "local-cache/lockstep/f1", strategy: "local-cache", servers: 2, lockstep: true, menu: "drop-response,duplicate", f: 1, free: 16},
		{name: "local-cache/lockstep/f1-deeper", strategy: "local-cache", servers: 2, lockstep: true, menu: "drop-response,duplicate", f: 1, free: 20, long: true},
		{name: "naive/lockstep/f1", strategy: "naive", servers: 2, lockstep: true, menu: "drop-response,duplicate", f: 1, free: 16},
		{name: "naive/lockstep/f1-deeper", strategy: "naive", servers: 2, lockstep: true, menu: "drop-response,duplicate", f: 1, free: 20, long: true},
		{name: "naive/lockstep/d1", strategy: "naive", servers: 1, lockstep: true, menu: "drop-response", d: 1, free: 16, long: true},
		{name: "select-for-update/lockstep", strategy: "select-for-update", servers: 2, lockstep: true, menu: "drop-response", free: 16},
		{name: "select-for-update/lockstep/f1", strategy: "select-for-update", servers: 2, lockstep: true, menu: "drop-request,db-drop", f: 1, free: 20, long: true},
		{name: "unique-409/lockstep", strategy: "unique-409", servers: 2, lockstep: true, menu: "drop-response", free: 20, long: true},
		{name: "txn-check-insert/lockstep/d1", strategy: "txn-check-insert", servers: 2, lockstep: true, menu: "duplicate", d: 1, free: 20, long: true},
		{name: "naive/f1d1", strategy: "naive", servers: 2, menu: "drop-request,drop-response,duplicate,reset", f: 1, d: 1, free: -1},
		{name: "select-for-update/f1d1", strategy: "select-for-update", servers: 2, menu: "drop-request,drop-response,duplicate,db-drop", f: 1, d: 1, free: -1, long: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.long && testing.Short() {
				t.Skip("seconds; run without -short")
			}
			cfg := small(t, tc.strategy, sql.ReadCommitted, 1)
			cfg.Servers = tc.servers
			if tc.lockstep {
				cfg.Client.Think = sim.Const(0)
			}
			m := menu(t, tc.menu)
			var root []int
			if tc.free >= 0 {
				prepared := m.Prepare(cfg)
				s := &searcher{cfg: prepared, menu: &m, tq: timeouts(&prepared), ties: TiesAll}
				l, err := s.run(nil, tc.f, tc.d)
				require.NoError(t, err, testcmd.Rerun(t, "./explore"))
				root = make([]int, max(0, len(l.ch.points)-tc.free))
			}
			const limit = 20000
			all := reach(t, cfg, m, TiesAll, root, tc.f, tc.d, limit)
			require.False(t, all.cut, "the naive enumeration needs more than %d runs: leave fewer points free; %s", limit, testcmd.Rerun(t, "./explore"))
			dpor := reach(t, cfg, m, TiesDPOR, root, tc.f, tc.d, limit)
			require.False(t, dpor.cut, testcmd.Rerun(t, "./explore"))
			t.Logf("naive %d runs (%d schedules), DPOR %d runs (%d classes), %d final states, %d violations", all.runs, all.schedules, dpor.runs, dpor.schedules, len(all.states), len(all.violations))
			assert.Equal(t, slices.Sorted(maps.Keys(all.states)), slices.Sorted(maps.Keys(dpor.states)), "DPOR reaches other final states than the naive enumeration; %s", testcmd.Rerun(t, "./explore"))
			assert.Equal(t, slices.Sorted(maps.Keys(all.violations)), slices.Sorted(maps.Keys(dpor.violations)), "DPOR finds other violations than the naive enumeration; %s", testcmd.Rerun(t, "./explore"))
			assert.LessOrEqual(t, dpor.runs, all.runs, testcmd.Rerun(t, "./explore"))
		})
	}
}

// TestReversals checks the race analysis on hand-built instants. Method:
// events with chosen footprints, scheduling parents and tie points; the
// reversals reported (the tie point, the initials) must be exactly those
// a hand analysis finds: dependent events chosen at a tie race unless
// scheduling or a third event orders them, the initials of a reversal
// are the events of it with no predecessor in it, events of different
// instants never race, and a stale event or one that ran alone is never
// the first of a race.
func TestReversals(t *testing.T) {
	a, b, c := uint64(101), uint64(102), uint64(103)
	ev := func(seq, parent uint64, at sim.Time, node int, foot ...uint64) event {
		return event{seq: seq, parent: parent, at: at, node: node, foot: foot}
	}
	type rev struct {
		node     int
		initials []uint64
	}
	cases := []struct {
		name string
		evs  []event
		want []rev
	}{
		{
			name: "independent",
			evs:  []event{ev(1, 0, 0, 0, a), ev(2, 0, 0, -1, b)},
		},
		{
			name: "dependent pair",
			evs:  []event{ev(1, 0, 0, 0, a), ev(2, 0, 0, -1, a)},
			want: []rev{{0, []uint64{2}}},
		},
		{
			name: "scheduled by the first: no race",
			evs:  []event{ev(1, 0, 0, 0, a), ev(2, 0, 0, -1, b), ev(3, 1, 0, -1, a)},
		},
		{
			name: "other instant: no race",
			evs:  []event{ev(1, 0, 0, 0, a), ev(2, 0, 5, -1, a)},
		},
		{
			name: "ran alone: no race",
			evs:  []event{ev(1, 0, 0, -1, a), ev(2, 0, 0, -1, a)},
		},
		{
			// 1 -a- 2 -b- 3: 1 and 3 are ordered through 2 (not a race);
			// 1,2 race (reversal: 2) and 2,3 race (2 chosen at tie 1).
			name: "chain",
			evs:  []event{ev(1, 0, 0, 0, a), ev(2, 0, 0, 1, a, b), ev(3, 0, 0, -1, b, a)},
			want: []rev{{0, []uint64{2}}, {1, []uint64{3}}},
		},
		{
			// 3 was scheduled by 2, which is independent of 1: to run 3
			// before 1, 2 must run first, so the initial is 2.
			name: "rival scheduled by an independent event",
			evs:  []event{ev(1, 0, 0, 0, a), ev(2, 0, 0, 1, c), ev(3, 2, 0, -1, a)},
			want: []rev{{0, []uint64{2}}},
		},
		{
			name: "stale first",
			evs:  []event{{seq: 1, at: 0, node: 0, stale: true, foot: []uint64{a}}, ev(2, 0, 0, -1, a)},
		},
		{
			name: "everything",
			evs:  []event{ev(1, 0, 0, 0, b), ev(2, 0, 0, -1, sim.Everything)},
			want: []rev{{0, []uint64{2}}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []rev
			reversals(tc.evs, func(node int, initials []uint64) { got = append(got, rev{node, initials}) })
			assert.Equal(t, tc.want, got, testcmd.Rerun(t, "./explore"))
		})
	}
}

// TestNodeBacktrack checks how a tie point's backtrack set grows. Method:
// a node of three live events with the first taken: a reversal whose
// initials hold a backtracked event adds nothing, one with a new event
// adds the first not asleep, one naming no live event adds them all.
func TestNodeBacktrack(t *testing.T) {
	n := newNode([]uint64{1, 2, 3}, []sleeper{{seq: 2}}, 0)
	n.addBacktrack([]uint64{1, 3})
	assert.Equal(t, []bool{true, false, false}, n.back, testcmd.Rerun(t, "./explore"))
	n.addBacktrack([]uint64{2, 3})
	assert.Equal(t, []bool{true, false, true}, n.back, "2 is asleep: 3 is added; %s", testcmd.Rerun(t, "./explore"))
	assert.Equal(t, 2, n.nextAlt(0), testcmd.Rerun(t, "./explore"))
	m := newNode([]uint64{1, 2}, nil, 0)
	m.addBacktrack([]uint64{9})
	assert.Equal(t, []bool{true, true}, m.back, testcmd.Rerun(t, "./explore"))
}

// TestParseTieMode checks the tie modes' names. Method: every mode
// parses back from its name; a bad one is refused naming the accepted.
func TestParseTieMode(t *testing.T) {
	for _, m := range []TieMode{TiesNone, TiesDPOR, TiesAll} {
		got, err := ParseTieMode(m.String())
		require.NoError(t, err, testcmd.Rerun(t, "./explore"))
		assert.Equal(t, m, got, testcmd.Rerun(t, "./explore"))
	}
	_, err := ParseTieMode("some")
	require.Error(t, err, testcmd.Rerun(t, "./explore"))
	assert.Contains(t, err.Error(), "accepted: dpor, all or none", testcmd.Rerun(t, "./explore"))
}

// TestTieTrailsReplay checks that a schedule that reorders ties replays:
// its trail (delays and tie choices) and its fault list, run through
// Replay as idemsim run --choices does, give the trace hash the explorer
// saw, without leaving the trail. Method: search lockstep worlds (where
// ties abound) with DPOR and with every order, past violations, and
// replay every audited schedule whose trail names a tie (at most 300 per
// world).
func TestTieTrailsReplay(t *testing.T) {
	for _, tc := range []struct {
		name, strategy, menu string
		mode                 TieMode
		f, d                 int
	}{
		{"naive/dpor", "naive", "drop-response,duplicate", TiesDPOR, 1, 0},
		{"local-cache/all", "local-cache", "drop-response", TiesAll, 0, 1},
		{"select-for-update/dpor", "select-for-update", "drop-request,db-drop", TiesDPOR, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := small(t, tc.strategy, sql.ReadCommitted, 1)
			cfg.Client.Think = sim.Const(0)
			m := menu(t, tc.menu)
			prepared := m.Prepare(cfg)
			replayed := 0
			s := &searcher{cfg: prepared, menu: &m, tq: timeouts(&prepared), ties: tc.mode, past: true}
			s.audited = func(l *leaf) {
				if len(l.ch.tieTrail) == 0 || replayed >= 300 {
					return
				}
				replayed++
				c := &Counterexample{Faults: l.res.Faults, Trail: Trail{Delays: l.ch.trail, Ties: l.ch.tieTrail}}
				hash, diverged := replayHash(t, cfg, c)
				assert.Empty(t, diverged, "%s; %s", c.Trail, testcmd.Rerun(t, "./explore"))
				assert.Equal(t, l.res.TraceHash, hash, "%s replays to another trace; %s", c.Trail, testcmd.Rerun(t, "./explore"))
			}
			_, err := s.subtree(nil, tc.f, tc.d, 3000, newTally())
			require.NoError(t, err, testcmd.Rerun(t, "./explore"))
			assert.Greater(t, replayed, 20, "too few schedules reorder a tie to test anything; %s", testcmd.Rerun(t, "./explore"))
		})
	}
}

// BenchmarkExploreTies measures schedules per second on one core with the
// ties explored, audit included: select-for-update, 2 servers, 2 clients,
// the whole menu at one fault and one delay, by DPOR and by every order;
// and a lockstep world (think time 0, ties at almost every instant) below
// a prefix that leaves its last 20 points free.
func BenchmarkExploreTies(b *testing.B) {
	for _, mode := range []TieMode{TiesDPOR, TiesAll, TiesNone} {
		b.Run(mode.String(), func(b *testing.B) {
			cfg := small(b, "select-for-update", sql.ReadCommitted, 1)
			schedules, runs := 0, 0
			for b.Loop() {
				r, err := Search(cfg, Options{Menu: AllFaults(), Bounds: Bounds{Faults: 1, Delays: 1}, Ties: mode})
				require.NoError(b, err)
				schedules += r.Schedules
				runs += r.Runs
			}
			b.ReportMetric(float64(schedules)/b.Elapsed().Seconds(), "schedules/s")
			b.ReportMetric(float64(runs)/b.Elapsed().Seconds(), "runs/s")
			b.ReportMetric(float64(runs)/float64(b.N), "runs/op")
		})
	}
	for _, mode := range []TieMode{TiesDPOR, TiesAll} {
		b.Run("lockstep/"+mode.String(), func(b *testing.B) {
			cfg := small(b, "select-for-update", sql.ReadCommitted, 1)
			cfg.Client.Think = sim.Const(0)
			m := menu(b, "drop-request,db-drop")
			prepared := m.Prepare(cfg)
			s := &searcher{cfg: prepared, menu: &m, tq: timeouts(&prepared), ties: mode}
			l, err := s.run(nil, 1, 0)
			require.NoError(b, err)
			root := make([]int, len(l.ch.points)-20)
			schedules, runs := 0, 0
			for b.Loop() {
				for f := 0; f <= 1; f++ {
					tl := newTally()
					_, err := s.subtree(root, f, 0, -1, tl)
					require.NoError(b, err)
					schedules += tl.Schedules
					runs += tl.Runs
				}
			}
			b.ReportMetric(float64(schedules)/b.Elapsed().Seconds(), "schedules/s")
			b.ReportMetric(float64(runs)/b.Elapsed().Seconds(), "runs/s")
			b.ReportMetric(float64(runs)/float64(b.N), "runs/op")
		})
	}
}

// TestDPORDeterminism checks that a DPOR search is the same search
// whatever the Go scheduler does. Method: one lockstep search, cut at
// 2,000 runs, on 2 workers at GOMAXPROCS 1 and 2 (the workers, not
// GOMAXPROCS, decide where a tree is split, and a DPOR search expands the
// orders above its split in full); its digest and its counts of tie
// points and sleep-set blocked runs must agree.
func TestDPORDeterminism(t *testing.T) {
	search := func() string {
		cfg := small(t, "local-cache", sql.ReadCommitted, 1)
		cfg.Client.Think = sim.Const(0)
		r, err := Search(cfg, Options{Menu: menu(t, "drop-response,duplicate"), Bounds: Bounds{Faults: 1, Runs: 2000}, Ties: TiesDPOR, Workers: 2})
		require.NoError(t, err, testcmd.Rerun(t, "./explore"))
		return fmt.Sprintf("%s %d %d %d", digest(r), r.TiePoints, r.RootTiePoints, r.Blocked)
	}
	prev := runtime.GOMAXPROCS(1)
	one := search()
	runtime.GOMAXPROCS(2)
	two := search()
	runtime.GOMAXPROCS(prev)
	assert.Equal(t, one, two, testcmd.Rerun(t, "./explore"))
}

// TestDPORSubtreeContract checks that a DPOR search below a fixed prefix
// never changes a point above it. Method: a lockstep world; roots that
// fix all but the last 16 points of the default run, one of them with its
// first tie point taking its second event; every run's choices must start
// with the root.
func TestDPORSubtreeContract(t *testing.T) {
	cfg := small(t, "local-cache", sql.ReadCommitted, 1)
	cfg.Client.Think = sim.Const(0)
	m := menu(t, "drop-response,duplicate")
	prepared := m.Prepare(cfg)
	s := &searcher{cfg: prepared, menu: &m, tq: timeouts(&prepared), ties: TiesDPOR}
	l, err := s.run(nil, 1, 0)
	require.NoError(t, err, testcmd.Rerun(t, "./explore"))
	plain := make([]int, len(l.ch.points)-16)
	swapped := slices.Clone(plain)
	first := slices.IndexFunc(l.ch.points, func(p Point) bool { return p.Kind == TiePoint })
	require.True(t, first >= 0 && first < len(swapped), testcmd.Rerun(t, "./explore"))
	swapped[first] = 1
	for _, tc := range []struct {
		name string
		root []int
	}{{"plain", plain}, {"swapped", swapped}} {
		root := tc.root
		t.Run(tc.name, func(t *testing.T) {
			runs := 0
			s.audited = func(l *leaf) {
				runs++
				assert.Equal(t, root, l.ch.taken[:len(root)], testcmd.Rerun(t, "./explore"))
			}
			for f := 0; f <= 1; f++ {
				_, err := s.subtree(root, f, 0, 5000, newTally())
				require.NoError(t, err, testcmd.Rerun(t, "./explore"))
			}
			assert.Greater(t, runs, 1, testcmd.Rerun(t, "./explore"))
		})
	}
}

// TestDPORFindsTheSameCounterexamples checks that exploring ties keeps the
// fewest-faults-then-fewest-delays promise: a wrong strategy's first
// counterexample has as many faults and delays with the ties explored as
// without, and replays to its trace hash. Method: the counterexamples of
// TestVerdicts, searched with --ties none and with DPOR.
func TestDPORFindsTheSameCounterexamples(t *testing.T) {
	for _, tc := range []struct {
		name, strategy string
		level          sql.Level
		workers        int
		menu           string
		bounds         Bounds
		long           bool
	}{
		{"naive/drop-response", "naive", sql.ReadCommitted, 1, "drop-response", Bounds{Faults: 1}, false},
		{"naive/fewest-faults", "naive", sql.ReadCommitted, 1, "drop-request,drop-response,duplicate,reset", Bounds{Faults: 2, Delays: 1}, false},
		{"txn-check-insert/read-committed", "txn-check-insert", sql.ReadCommitted, 2, "duplicate", Bounds{Faults: 1, Delays: 2}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.long && testing.Short() {
				t.Skip("seconds; run without -short")
			}
			cfg := small(t, tc.strategy, tc.level, tc.workers)
			m := menu(t, tc.menu)
			none, err := Search(cfg, Options{Menu: m, Bounds: tc.bounds})
			require.NoError(t, err, testcmd.Rerun(t, "./explore"))
			dpor, err := Search(cfg, Options{Menu: m, Bounds: tc.bounds, Ties: TiesDPOR})
			require.NoError(t, err, testcmd.Rerun(t, "./explore"))
			require.NotNil(t, none.Found, testcmd.Rerun(t, "./explore"))
			require.NotNil(t, dpor.Found, testcmd.Rerun(t, "./explore"))
			assert.Len(t, dpor.Found.Faults, len(none.Found.Faults), testcmd.Rerun(t, "./explore"))
			assert.Len(t, dpor.Found.Trail.Delays, len(none.Found.Trail.Delays), testcmd.Rerun(t, "./explore"))
			hash, diverged := replayHash(t, cfg, dpor.Found)
			assert.Empty(t, diverged, testcmd.Rerun(t, "./explore"))
			assert.Equal(t, dpor.Found.TraceHash, hash, testcmd.Rerun(t, "./explore"))
		})
	}
}
