package explore

import (
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim/db/sql"
	"github.com/idemsim/idemsim/sim/world"
)

// TestTimedEnumerationMatchesBruteForce checks that the search over the
// timed kinds misses no moment and explores none twice. Method: as
// TestEnumerationMatchesBruteForce does for messages, on one client of a
// correct strategy: the fault sets (each fault with its step) the search
// audits at up to 2 faults must be the sets a brute force gets by forcing
// a fault at every subset of at most 2 choice-point positions, and each
// must be audited once.
func TestTimedEnumerationMatchesBruteForce(t *testing.T) {
	cases := []struct {
		name, strategy, menu string
		servers              int
	}{
		{name: "select-for-update/crash,pause", strategy: "select-for-update", menu: "crash,pause", servers: 2},
		{name: "redis-lock/store-restart", strategy: "redis-lock", menu: "store-restart", servers: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./explore")
			cfg := small(t, tc.strategy, sql.ReadCommitted, 1)
			cfg.Clients, cfg.Servers = 1, tc.servers
			m := menu(t, tc.menu)
			explored := map[string]int{}
			most := 0
			r, err := Search(cfg, Options{Menu: m, Bounds: Bounds{Faults: 2}, visit: func(res *world.Result, points int) {
				explored[faultSet(res.Faults)]++
				most = max(most, points)
			}})
			require.NoError(t, err, rerun)
			require.Nil(t, r.Found, "a correct strategy must not fail here: %+v; %s", r.Found, rerun)
			for set, n := range explored {
				assert.Equal(t, 1, n, "fault set %q audited %d times; %s", set, n, rerun)
			}

			prepared := m.Prepare(cfg)
			s := &searcher{cfg: prepared, menu: &m, tq: timeouts(&prepared)}
			n := most + 4
			brute := map[string]bool{}
			for _, positions := range subsets(n, 2) {
				prefix := make([]int, n)
				for _, p := range positions {
					prefix[p] = 1
				}
				l, err := s.run(prefix, 2, 0)
				require.NoError(t, err, rerun)
				brute[faultSet(l.res.Faults)] = true
			}
			assert.Equal(t, slices.Sorted(maps.Keys(brute)), slices.Sorted(maps.Keys(explored)), "the search's fault sets differ from the brute force's over %d positions; %s", n, rerun)
			assert.Greater(t, len(brute), 5, "the scope is too small to test anything; %s", rerun)
		})
	}
}

// TestTimedFaultsCatch checks that the timed kinds find what only they can
// break, and that their counterexamples replay from their fault lines.
// Method: local-cache on one server survives every message fault at one
// fault (a retry comes back to the same memory) and falls to one crash;
// redis-presence on one server falls to one pause; redis-lock with two
// workers per operation to one store restart. Each counterexample's fault
// lines are printed and parsed back, as a scenario file carries them, and
// replayed to the explorer's trace hash; then again with the moments
// zeroed, which an anchored fault must not need.
func TestTimedFaultsCatch(t *testing.T) {
	cases := []struct {
		name, strategy, menu string
		servers, workers     int
		// before is a menu the strategy must survive at one fault.
		before string
		kind   faults.Kind
	}{
		{name: "local-cache/crash", strategy: "local-cache", menu: "crash", servers: 1, workers: 1,
			before: "drop-request,drop-response,duplicate,reset,db-drop,lost-commit-ack,crash-at", kind: faults.CrashFault},
		{name: "redis-presence/pause", strategy: "redis-presence", menu: "pause", servers: 1, workers: 1, kind: faults.PauseFault},
		{name: "redis-lock/store-restart", strategy: "redis-lock", menu: "store-restart", servers: 2, workers: 2, kind: faults.CrashFault},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./explore")
			cfg := small(t, tc.strategy, sql.ReadCommitted, tc.workers)
			cfg.Servers = tc.servers
			if tc.before != "" {
				r, err := Search(cfg, Options{Menu: menu(t, tc.before), Bounds: Bounds{Faults: 1}})
				require.NoError(t, err, rerun)
				assert.Nil(t, r.Found, "caught without a timed fault: %+v; %s", r.Found, rerun)
			}
			r, err := Search(cfg, Options{Menu: menu(t, tc.menu), Bounds: Bounds{Faults: 1}})
			require.NoError(t, err, rerun)
			require.NotNil(t, r.Found, "not caught in %d schedules; %s", r.Schedules, rerun)
			require.Len(t, r.Found.Faults, 1, rerun)
			f := r.Found.Faults[0]
			assert.Equal(t, tc.kind, f.Kind, "%s; %s", f, rerun)
			assert.True(t, f.Anchored(), "%s; %s", f, rerun)

			back, err := faults.ParseFault(f.String())
			require.NoError(t, err, rerun)
			c := *r.Found
			c.Faults = []faults.Fault{back}
			hash, diverged := replayHash(t, cfg, &c)
			assert.Empty(t, diverged, rerun)
			assert.Equal(t, r.Found.TraceHash, hash, "%q replays to another trace; %s", f, rerun)

			back.At, back.Crash.At = 0, 0
			c.Faults = []faults.Fault{back}
			hash, _ = replayHash(t, cfg, &c)
			assert.Equal(t, r.Found.TraceHash, hash, "%q fired at its moment rather than at its step; %s", back, rerun)
		})
	}
}

// TestPrepareTimed checks what the menu's timed kinds turn on in the
// world, and that a menu without them leaves the step faults off.
// Method: prepare the default world under three menus.
func TestPrepareTimed(t *testing.T) {
	cfg := small(t, "redis-lock", sql.ReadCommitted, 1)
	for _, tc := range []struct {
		menu              string
		crash, pause, rst bool
		wantPause         bool
	}{
		{menu: "drop-request,crash-at"},
		{menu: "crash", crash: true},
		{menu: "pause,store-restart", pause: true, rst: true, wantPause: true},
	} {
		t.Run(tc.menu, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./explore")
			p := menu(t, tc.menu).Prepare(cfg).Faults
			assert.Equal(t, tc.crash, p.StepCrashRate > 0, rerun)
			assert.Equal(t, tc.pause, p.StepPauseRate > 0, rerun)
			assert.Equal(t, tc.rst, p.KVRestartRate > 0, rerun)
			if tc.wantPause {
				assert.Greater(t, p.StepPause, cfg.Client.TimeoutPerAttempt, "a pause must outlast the attempt; %s", rerun)
			}
			_, err := p.Check()
			assert.NoError(t, err, rerun)
		})
	}
}

// TestTimedCorrectStrategiesHold checks that the timed kinds do not break
// what is correct. Method: unique-409 and select-for-update with the
// clients' payment charged at the gateway, explored at up to 2 faults of
// crash, pause, store-restart, drop-response and duplicate, must be
// exhausted with no violation (each a few hundred schedules). Orphan
// charges left by a crash are expected of the strategies the soak lists
// in orphansAt (models/chaos_test.go), so none of those is used here.
func TestTimedCorrectStrategiesHold(t *testing.T) {
	for _, strategy := range []string{"unique-409", "select-for-update"} {
		t.Run(strategy, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./explore")
			cfg := small(t, strategy, sql.ReadCommitted, 1)
			cfg.Charge = true
			r, err := Search(cfg, Options{Menu: menu(t, "crash,pause,store-restart,drop-response,duplicate"), Bounds: Bounds{Faults: 2}})
			require.NoError(t, err, rerun)
			assert.Nil(t, r.Found, "%+v; %s", r.Found, rerun)
			assert.False(t, r.Cut, rerun)
			assert.Greater(t, r.Schedules, 300, rerun)
		})
	}
}
