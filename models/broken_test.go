package models

import (
	"os"
	"runtime"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/shrink"
	"github.com/idemsim/idemsim/sim/world"
)

// brokenSeeds is how many chaos worlds a broken variant may need before it
// is caught: IDEMSIM_BROKEN_SEEDS, else 2000 (the bound).
func brokenSeeds(t *testing.T) uint64 {
	if s := os.Getenv("IDEMSIM_BROKEN_SEEDS"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, "IDEMSIM_BROKEN_SEEDS=%q", s)
		return n
	}
	return 2000
}

// Goal: the oracle is sensitive — each correct strategy with one mistake
// is caught (a duplicate, a lost operation or a wrong answer) within 2,000
// chaos worlds, and its first failing world shrinks to a plan of at most
// five faults that still shows the same kind of violation.
// Method: sweep chaos seeds until the first violation; idemsim's shrinker
// on that world (not under -short: the edit loop only checks the catch).
func TestBrokenVariantsAreCaught(t *testing.T) {
	n := brokenSeeds(t)
	for _, v := range BrokenVariants() {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			rerun := testcmd.Rerun(t, "./models")
			configOf := func(seed uint64) world.Config {
				cfg := experiments.Chaos(v.Strategy, seed)
				if v.World != nil {
					v.World(&cfg)
				}
				return cfg
			}
			var first *experiments.SeedResult
			for from := uint64(1); from <= n && first == nil; from += 100 {
				err := experiments.SweepConfigs(configOf, from, min(100, n-from+1), runtime.GOMAXPROCS(0), func(r experiments.SeedResult) {
					if first == nil && (r.Counts[0] > 0 || r.Counts[1] > 0 || r.Counts[3] > 0) {
						first = &r
					}
				})
				require.NoError(t, err, rerun)
			}
			require.NotNil(t, first, "%s (%s) was never caught in %d chaos worlds\n%s", v.Name, v.Mistake, n, rerun)
			if testing.Short() {
				return
			}
			res, err := shrink.Minimize(configOf(first.Seed), "", 3000)
			require.NoError(t, err, "chaos seed %d\n%s", first.Seed, rerun)
			assert.LessOrEqual(t, res.To.Faults, 5, "%s: chaos seed %d shrinks to %v (%s)\n%s", v.Name, first.Seed, res.To, res.Kind, rerun)
			t.Logf("%s: caught at chaos seed %d (%s), shrunk in %d runs to %v", v.Name, first.Seed, res.Kind, res.Runs, res.To)
			again, err := world.Run(res.Config)
			require.NoError(t, err, rerun)
			rep := check.Audit(again)
			assert.True(t, rep.Violated(res.Kind), "the shrunk run shows the %s again\n%s", res.Kind, rerun)
			assert.Equal(t, res.TraceHash, again.TraceHash, rerun)
		})
	}
}
