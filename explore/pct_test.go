package explore

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/db/sql"
)

// TestPCTPickTie checks the PCT rule at a tie on made-up ties. Method:
// owners with set priorities; the highest runs first whatever its place,
// an owner's events keep their order, and at a change point the owner
// that ran drops below every other, so that the next tie runs another.
func TestPCTPickTie(t *testing.T) {
	rerun := testcmd.Rerun(t, "./explore")
	c := &pctChooser{depth: 3, rng: rand.New(rand.NewPCG(1, 2)), prio: map[string]int{"a": 10, "b": 20, "c": 15}, change: []int{1}}
	ties := []sim.Tie{{Seq: 1, Owner: "a"}, {Seq: 2, Owner: "b"}, {Seq: 3, Owner: "b"}, {Seq: 4, Owner: "c"}}
	assert.Equal(t, 1, c.PickTie(ties), "the highest priority, its earliest event; %s", rerun)
	assert.Equal(t, 1, c.PickTie(ties), "tie 1 is a change point, after which b drops; %s", rerun)
	assert.Equal(t, 2, c.prio["b"], "b drops to depth-1; %s", rerun)
	assert.Equal(t, 3, c.PickTie(ties), "c now runs first; %s", rerun)
	assert.Equal(t, []TieChoice{{0, 1}, {1, 1}, {2, 3}}, c.trail.Ties, rerun)
	// A new owner gets a priority above depth, unlike any other's.
	p := c.priority("d")
	assert.Greater(t, p, c.depth, rerun)
	for o, q := range c.prio {
		if o != "d" {
			assert.NotEqual(t, q, p, "owner %s; %s", o, rerun)
		}
	}
}

// pctDigest is everything a PCT sample reports, in one line.
func pctDigest(r *PCTResult) string {
	s := fmt.Sprintf("%d %d %d %d %d %d %d %d %d", r.Owners, r.RootTies, r.FaultPoints, r.DelayPoints, r.Runs, r.Ties, r.Reordered, r.States, r.Run)
	if r.Found != nil {
		s += fmt.Sprintf(" %x %s %s", r.Found.TraceHash, faultSet(r.Found.Faults), r.Found.Trail)
	}
	return s
}

// TestPCT checks that PCT finds the races it should, deterministically,
// and that what it finds replays. Method: txn-check-insert at read
// committed with two workers per operation: (a) with the clients' think
// time at 0 the two workers' requests tie at every step, and a reordering
// of ties breaks it; (b) under pauses, a pause lets the retry overlap the
// paused attempt; (c) without -short, the race that needs a duplicate and
// two service times off their median, which PCT hits by chance within
// 30,000 runs. Each sample runs twice with the same options, and must
// agree; its counterexample's fault lines and trail are printed and
// parsed back, as a scenario file carries them, and replayed to the
// reported trace hash. A correct level, sampled the same way, shows none.
// The long case runs once.
func TestPCT(t *testing.T) {
	cases := []struct {
		name    string
		level   sql.Level
		think0  bool
		menu    string
		bounds  Bounds
		depth   int
		runs    int
		long    bool
		correct bool
		ties    bool // the counterexample must reorder ties
	}{
		{name: "ties", level: sql.ReadCommitted, think0: true, menu: "none", depth: 3, runs: 50, ties: true},
		{name: "pause", level: sql.ReadCommitted, menu: "duplicate,pause", bounds: Bounds{Faults: 1, Delays: 2}, depth: 3, runs: 200},
		{name: "duplicate-and-delays", level: sql.ReadCommitted, menu: "duplicate", bounds: Bounds{Faults: 1, Delays: 2}, depth: 2, runs: 30000, long: true},
		{name: "serializable", level: sql.Serializable, think0: true, menu: "duplicate,pause,crash", bounds: Bounds{Faults: 1, Delays: 1}, depth: 3, runs: 300, correct: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.long && testing.Short() {
				t.Skip("a few seconds; run without -short")
			}
			rerun := testcmd.Rerun(t, "./explore")
			cfg := small(t, "txn-check-insert", tc.level, 2)
			if tc.think0 {
				cfg.Client.Think = sim.Const(0)
			}
			opt := PCTOptions{Menu: menu(t, tc.menu), Bounds: tc.bounds, Depth: tc.depth, Runs: tc.runs}
			r, err := PCTSample(cfg, opt)
			require.NoError(t, err, rerun)
			if !tc.long {
				again, err := PCTSample(cfg, opt)
				require.NoError(t, err, rerun)
				assert.Equal(t, pctDigest(r), pctDigest(again), "the same options sampled differently; %s", rerun)
			}
			if tc.correct {
				assert.Nil(t, r.Found, "%+v; %s", r.Found, rerun)
				assert.Equal(t, tc.runs, r.Runs, rerun)
				assert.Positive(t, r.Reordered, "no tie was ever reordered; %s", rerun)
				return
			}
			require.NotNil(t, r.Found, "not found in %d runs; %s", r.Runs, rerun)
			assert.Contains(t, r.Found.Violations[0], "duplicate", rerun)
			if tc.ties {
				assert.NotEmpty(t, r.Found.Trail.Ties, "%s; %s", r.Found.Trail, rerun)
			}

			var c Counterexample
			for _, f := range r.Found.Faults {
				back, err := faults.ParseFault(f.String())
				require.NoError(t, err, rerun)
				c.Faults = append(c.Faults, back)
			}
			c.Trail, err = ParseTrail(r.Found.Trail.String())
			require.NoError(t, err, rerun)
			hash, diverged := replayHash(t, cfg, &c)
			assert.Empty(t, diverged, rerun)
			assert.Equal(t, r.Found.TraceHash, hash, "the counterexample (%s) replays to another trace; %s", r.Found.Trail, rerun)
		})
	}
}

// TestPCTOptions checks that a depth or a number of runs below 1 is
// refused with an error, not a panic. Method: both.
func TestPCTOptions(t *testing.T) {
	cfg := small(t, "naive", sql.ReadCommitted, 1)
	for _, opt := range []PCTOptions{{Depth: 0, Runs: 1}, {Depth: 1, Runs: 0}} {
		_, err := PCTSample(cfg, opt)
		assert.ErrorContains(t, err, "at least 1", testcmd.Rerun(t, "./explore"))
	}
}
