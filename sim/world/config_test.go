package world_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// Goal: a configuration built in code is held to the limits its flags
// state: any duration, distribution, moment or switch past sim.MaxSpan,
// and a queue visibility past 12h, is a ConfigError naming the flag and
// saying what is accepted, never a run whose clock wraps around.
// Method: a table of edits to the default world, each setting one value
// just past its limit, with the setting the error must name.
func TestConfigRefusesSpansPastTheLimit(t *testing.T) {
	over := sim.MaxSpan + 1
	for _, tc := range []struct {
		name, setting, accepted string
		edit                    func(*world.Config)
	}{
		{"timeout", "timeout", "a duration up to 100000h", func(c *world.Config) { c.Client.TimeoutPerAttempt = over }},
		{"backoff-cap", "backoff-cap", "a duration up to 100000h", func(c *world.Config) { c.Client.BackoffCap = over }},
		{"op-deadline", "op-deadline", "a duration up to 100000h", func(c *world.Config) { c.Client.OpDeadline = over }},
		{"deadline", "deadline", "a duration up to 100000h", func(c *world.Config) { c.Deadline = over }},
		{"settle", "settle", "a duration up to 100000h", func(c *world.Config) { c.Settle = over }},
		{"gateway-window", "gateway", "a duration up to 100000h", func(c *world.Config) { c.Services.Gateway.Window = over }},
		{"gateway-key-retention", "gateway-key-retention", "a duration up to 100000h", func(c *world.Config) { c.Services.Gateway.KeyRetention = over }},
		{"think", "think", sim.DistSyntax, func(c *world.Config) { c.Client.Think = sim.Exp(over) }},
		{"service-time", "service-time", sim.DistSyntax, func(c *world.Config) { c.ServiceTime = sim.LogNormal(over, 1) }},
		{"gateway-time", "gateway-time", sim.DistSyntax, func(c *world.Config) { c.Services.GatewayTime = sim.Const(over) }},
		{"delay", "delay", "100000h", func(c *world.Config) { c.Faults.Link.Delay = sim.Uniform(0, over) }},
		{"crash-downtime", "crash", "100000h", func(c *world.Config) { c.Faults.Crashes = []faults.Crash{{Node: "s1", At: 1, Downtime: over}} }},
		{"pause", "pause", "100000h", func(c *world.Config) { c.Faults.Pauses = []faults.Crash{{Node: "s1", At: 1, Downtime: over}} }},
		{"queue-visibility", "queue-visibility", "a duration > 0 up to 12h", func(c *world.Config) { c.Services.Queue.VisibilityTimeout = 12*time.Hour + 1 }},
		{"clock-skew", "clock-skew", "-100000h to +100000h", func(c *world.Config) { c.Clocks = []world.Clock{{Node: "s1", Offset: -over, Drift: 1}} }},
		{"lease", "switch", "lease=none|DURATION", func(c *world.Config) { c.Strategy, c.Switches = models.StripeReplay, []string{"lease=100001h"} }},
		{"retention", "switch", "retention=forever|DURATION", func(c *world.Config) {
			c.Strategy, c.Switches = models.StripeReplay, []string{"retention=100001h:reject"}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./sim/world")
			cfg := base(models.Naive)
			tc.edit(&cfg)
			err := cfg.Validate()
			var ce *world.ConfigError
			require.ErrorAs(t, err, &ce, rerun)
			assert.Equal(t, tc.setting, ce.Setting, "%v\n%s", err, rerun)
			assert.Contains(t, ce.Msg, tc.accepted, rerun)
		})
	}
}

// Goal: the largest values accepted run without a panic ("event
// scheduled in the past") and stop at the deadline: a node down or frozen
// for MaxSpan, a replayed duplicate MaxSpan late, a latency whose tail
// passes MaxSpan on every message, each from a moment after the run
// started (the sum of now and the duration once wrapped around).
// Method: a one-client world per case, run to its deadline; every
// operation that did not finish is unfinished, none is lost.
func TestLargestSpansRun(t *testing.T) {
	ref := faults.Ref{Caller: "c1", Op: api.OpID{Queue: 1, Index: 1}, Attempt: 1}
	for _, tc := range []struct {
		name string
		edit func(*world.Config)
	}{
		{"crash", func(c *world.Config) { c.Faults.Crashes = []faults.Crash{{Node: "s1", At: 1, Downtime: sim.MaxSpan}} }},
		{"client-crash", func(c *world.Config) {
			c.Faults.ClientCrashes = []faults.Crash{{Node: "c1", At: sim.Time(time.Millisecond), Downtime: sim.MaxSpan}}
		}},
		{"pause", func(c *world.Config) { c.Faults.Pauses = []faults.Crash{{Node: "s1", At: 1, Downtime: sim.MaxSpan}} }},
		{"random-crashes", func(c *world.Config) { c.Faults.CrashEvery, c.Faults.Downtime = time.Millisecond, sim.MaxSpan }},
		{"crash-at", func(c *world.Config) {
			c.Strategy, c.Charge = models.StripeReplay, true
			c.Faults.CrashPoints = []faults.CrashPoint{{Node: "s1", Point: "after-charge", Nth: 1, Downtime: sim.MaxSpan}}
		}},
		{"replayed-duplicate", func(c *world.Config) {
			c.Faults.Replay = []faults.Fault{{Kind: faults.DuplicateRequest, Msg: ref, Extra: sim.MaxSpan}}
		}},
		{"lognormal-tail-duplicated", func(c *world.Config) {
			c.Faults.Link.Delay, c.Faults.Link.DuplicateRate = sim.LogNormal(1000*time.Hour, 4), 1
		}},
		{"settle-async", func(c *world.Config) { c.Strategy, c.Settle = models.Async202, sim.MaxSpan }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./sim/world")
			cfg := single(models.Naive)
			tc.edit(&cfg)
			require.NoError(t, cfg.Validate(), rerun)
			var res *world.Result
			require.NotPanics(t, func() {
				var err error
				res, err = world.Run(cfg)
				require.NoError(t, err, rerun)
			}, rerun)
			assert.LessOrEqual(t, res.End, sim.Time(cfg.Deadline), rerun)
		})
	}
}
