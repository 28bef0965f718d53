package world_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/world"
)

// Goal: a step fault fires at a step and is logged anchored to it, and
// its logged list replays the run to the same trace hash, through the
// step rather than the moment; a replayed anchored fault naming a request
// the world lacks is refused by Validate.
// Method: seeded runs with one step rate at 1 (the first step of its
// kind fires: a handler's first step for crash and pause, a request's
// first store command for a store restart), each fault anchored; the
// fault list printed, parsed back with its moments zeroed and replayed.
// Then a replay naming client c9 of a world of 2.
func TestStepFaults(t *testing.T) {
	rerun := testcmd.Rerun(t, "./sim/world")
	for _, tc := range []struct {
		name, strategy string
		set            func(*faults.Plan)
		kind           faults.Kind
		node           string
	}{
		{"crash", "unique-409", func(p *faults.Plan) { p.StepCrashRate = 1 }, faults.CrashFault, "s1"},
		{"pause", "unique-409", func(p *faults.Plan) { p.StepPauseRate, p.StepPause = 1, 3*sim.Duration(1e9) }, faults.PauseFault, "s1"},
		{"store-restart", "redis-lock", func(p *faults.Plan) { p.KVRestartRate = 1 }, faults.CrashFault, "kv"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := models.Lookup(tc.strategy)
			require.NoError(t, err, rerun)
			cfg := world.Defaults()
			cfg.Strategy = s
			cfg.Servers, cfg.Clients, cfg.OpsPerClient = 1, 1, 1
			cfg.Faults = faults.Plan{Link: faults.Link{Delay: cfg.Faults.Link.Delay}, ServiceLink: faults.Link{Delay: cfg.Faults.ServiceLink.Delay}, Downtime: cfg.Faults.Downtime}
			tc.set(&cfg.Faults)
			res, err := world.Run(cfg)
			require.NoError(t, err, rerun)
			require.NotEmpty(t, res.Faults, rerun)
			first := res.Faults[0]
			assert.Equal(t, tc.kind, first.Kind, "%s; %s", first, rerun)
			assert.Equal(t, tc.node, first.Crash.Node, "%s; %s", first, rerun)
			assert.True(t, first.Anchored(), "%s; %s", first, rerun)

			replay := cfg
			replay.Faults = faults.Plan{Link: cfg.Faults.Link, ServiceLink: cfg.Faults.ServiceLink, Downtime: cfg.Faults.Downtime}
			replay.Faults.Replay = []faults.Fault{}
			for _, f := range res.Faults {
				back, err := faults.ParseFault(f.String())
				require.NoError(t, err, rerun)
				back.At, back.Crash.At = 0, 0
				replay.Faults.Replay = append(replay.Faults.Replay, back)
			}
			again, err := world.Run(replay)
			require.NoError(t, err, rerun)
			assert.Equal(t, res.TraceHash, again.TraceHash, "the replay of %v drifted; %s", res.Faults, rerun)
			assert.Empty(t, again.Unfired, rerun)
		})
	}

	t.Run("no-such-request", func(t *testing.T) {
		s, err := models.Lookup("unique-409")
		require.NoError(t, err, rerun)
		cfg := world.Defaults()
		cfg.Strategy, cfg.Clients = s, 2
		f, err := faults.ParseFault("crash s1@1s+1s in=c9/o1.1/a1 after=0")
		require.NoError(t, err, rerun)
		cfg.Faults.Replay = []faults.Fault{f}
		err = cfg.Validate()
		require.Error(t, err, rerun)
		assert.Contains(t, err.Error(), "no request c9/o1.1/a1", rerun)
	})
}
