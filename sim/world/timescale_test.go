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
	"github.com/idemsim/idemsim/sim/gateway"
	"github.com/idemsim/idemsim/sim/world"
)

// longWorld is a world with every duration Scaled knows of set long, and
// the real-time sized ones it must leave alone set to values of their own.
func longWorld() world.Config {
	c := world.Defaults()
	c.Strategy = models.AtomicPhases // retention 72h and lease 90s by default
	c.Charge = true
	c.Switches = []string{"retention=24h:reject"}
	c.Client.TimeoutPerAttempt = 30 * time.Hour
	c.Client.OpDeadline = 40 * time.Hour
	c.Deadline = 100 * time.Hour
	c.Services.Gateway.KeyRetention = 48 * time.Hour
	c.Faults.Crashes = []faults.Crash{{Node: "s1", At: sim.Time(6500 * time.Microsecond), Downtime: 100 * time.Second}}
	c.Faults.Pauses = []faults.Crash{{Node: "s2", At: sim.Time(7 * time.Millisecond), Downtime: 200 * time.Second}}
	c.Faults.ClientCrashes = []faults.Crash{{Node: "c1", At: sim.Time(time.Second), Downtime: 50 * time.Second}}
	c.Faults.CrashPoints = []faults.CrashPoint{{Node: "s1", Point: "after-charge", Nth: 1, Downtime: 300 * time.Second}}
	c.Clocks = []world.Clock{{Node: "s1", Offset: -60 * time.Second, Drift: 1}}
	return c
}

// Goal: Config.Scaled multiplies exactly the durations its doc names —
// retention and lease (the run's switches folded into the strategy's
// defaults), the gateway's key retention, timeout, op-deadline, deadline,
// every timed fault's downtime, clock offsets — and leaves alone the
// real-time sized ones: delays, service and gateway times, backoff, poll
// interval, start times, random crashes, queue visibility, settle.
// Factor 1 and the zero factor give the world back as it was; a second
// scaling composes. Method: a table of fields read from the long world
// scaled by 1/100, each with its expected value.
func TestScaledChangesTheLongDurationsOnly(t *testing.T) {
	rerun := testcmd.Rerun(t, "./sim/world")
	base := longWorld()
	require.NoError(t, base.Validate(), rerun)
	f, err := world.ParseTimeScale("1/100")
	require.NoError(t, err, rerun)
	c, err := base.Scaled(f)
	require.NoError(t, err, rerun)
	st, err := c.Settings()
	require.NoError(t, err, rerun)
	for _, tc := range []struct {
		name      string
		got, want time.Duration
	}{
		{"retention (a --switch)", st.Switches.Retention, 864 * time.Second},
		{"lease (the strategy's default)", st.Switches.Lease, 900 * time.Millisecond},
		{"gateway key retention", c.Services.Gateway.KeyRetention, 1728 * time.Second},
		{"timeout", c.Client.TimeoutPerAttempt, 18 * time.Minute},
		{"op-deadline", c.Client.OpDeadline, 24 * time.Minute},
		{"deadline", c.Deadline, time.Hour},
		{"crash downtime", c.Faults.Crashes[0].Downtime, time.Second},
		{"pause downtime", c.Faults.Pauses[0].Downtime, 2 * time.Second},
		{"client crash downtime", c.Faults.ClientCrashes[0].Downtime, 500 * time.Millisecond},
		{"crash point downtime", c.Faults.CrashPoints[0].Downtime, 3 * time.Second},
		{"clock offset", c.Clocks[0].Offset, -600 * time.Millisecond},
		// Left as they are.
		{"crash start", time.Duration(c.Faults.Crashes[0].At), 6500 * time.Microsecond},
		{"pause start", time.Duration(c.Faults.Pauses[0].At), 7 * time.Millisecond},
		{"backoff base", c.Client.BackoffBase, base.Client.BackoffBase},
		{"backoff cap", c.Client.BackoffCap, base.Client.BackoffCap},
		{"poll interval", c.Client.PollInterval, base.Client.PollInterval},
		{"settle", c.Settle, base.Settle},
		{"random crash downtime", c.Faults.Downtime, base.Faults.Downtime},
		{"queue visibility", c.Services.Queue.VisibilityTimeout, base.Services.Queue.VisibilityTimeout},
		{"gateway call timeout", c.Services.GatewayTimeout, base.Services.GatewayTimeout},
		{"deadlock timeout", c.DB.DeadlockTimeout, base.DB.DeadlockTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.got, testcmd.Rerun(t, "./sim/world"))
		})
	}
	assert.Equal(t, base.Faults.Link.Delay, c.Faults.Link.Delay, "network delay; %s", rerun)
	assert.Equal(t, base.ServiceTime, c.ServiceTime, "service time; %s", rerun)
	assert.Equal(t, base.Services.GatewayTime, c.Services.GatewayTime, "gateway time; %s", rerun)
	assert.True(t, st.Switches.RejectExpired, "the retention keeps its :reject; %s", rerun)
	assert.Equal(t, "1/100", c.TimeScale.String(), rerun)
	assert.Contains(t, c.TimeScaleText(), "timeout 30h -> 18m", rerun)
	assert.Contains(t, c.TimeScaleText(), "clock-skew s1 -1m -> -600ms", rerun)
	require.NoError(t, c.Validate(), rerun)

	// The caller's world is untouched: Scaled copies what it changes.
	assert.Equal(t, 100*time.Second, base.Faults.Crashes[0].Downtime, rerun)
	assert.Equal(t, []string{"retention=24h:reject"}, base.Switches, rerun)
	assert.Equal(t, -60*time.Second, base.Clocks[0].Offset, rerun)

	for _, text := range []string{"1", "1/1", "1.0"} {
		one, err := world.ParseTimeScale(text)
		require.NoError(t, err, rerun)
		same, err := base.Scaled(one)
		require.NoError(t, err, rerun)
		assert.Equal(t, withoutBoot(base), withoutBoot(same), "factor %s is the identity; %s", text, rerun)
	}
	same, err := base.Scaled(world.TimeScale{})
	require.NoError(t, err, rerun)
	assert.Equal(t, withoutBoot(base), withoutBoot(same), "the zero factor is the identity; %s", rerun)

	twice, err := c.Scaled(mustScale(t, "1/2"))
	require.NoError(t, err, rerun)
	assert.Equal(t, "1/200", twice.TimeScale.String(), "two scalings compose; %s", rerun)
	assert.Equal(t, 9*time.Minute, twice.Client.TimeoutPerAttempt, rerun)
}

// Goal: the gateway's memory is scaled only in a world that charges, and
// then by its mode: the key retention in idempotent mode, the duplicate
// window in window mode. Method: the default world with and without
// --work charge, in each mode.
func TestScaledGatewayFollowsItsMode(t *testing.T) {
	for _, tc := range []struct {
		name              string
		charge            bool
		mode              gateway.Mode
		keyKept, windowed time.Duration
	}{
		{"local work", false, gateway.Idempotent, gateway.DefaultKeyRetention, gateway.DefaultWindow},
		{"idempotent", true, gateway.Idempotent, gateway.DefaultKeyRetention / 10, gateway.DefaultWindow},
		{"window", true, gateway.DuplicateWindow, gateway.DefaultKeyRetention, gateway.DefaultWindow / 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./sim/world")
			c := world.Defaults()
			c.Strategy = models.Naive
			c.Charge = tc.charge
			c.Services.Gateway.Mode = tc.mode
			s, err := c.Scaled(mustScale(t, "1/10"))
			require.NoError(t, err, rerun)
			assert.Equal(t, tc.keyKept, s.Services.Gateway.KeyRetention, rerun)
			assert.Equal(t, tc.windowed, s.Services.Gateway.Window, rerun)
		})
	}
}

// Goal: a factor is read exactly, and anything else is refused naming
// what is accepted; a factor that would bring a scaled duration under
// MinScaledSpan is refused naming the duration and the smallest factor
// this world takes. Method: tables of texts, and the default world (1s
// timeout) scaled too far.
func TestTimeScaleRefusesBadFactors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"1/10000", "1/10000"},
		{"0.001", "1/1000"},
		{"1e-4", "1/10000"},
		{" 1/2 ", "1/2"},
		{"0.75", "3/4"},
		{"1/1000000000", "1/1000000000"},
	} {
		t.Run("accepts "+tc.text, func(t *testing.T) {
			f, err := world.ParseTimeScale(tc.text)
			require.NoError(t, err, testcmd.Rerun(t, "./sim/world"))
			assert.Equal(t, tc.want, f.String(), testcmd.Rerun(t, "./sim/world"))
		})
	}
	for _, tc := range []struct{ text, why string }{
		{"", "not a number"},
		{"fast", "not a number"},
		{"1/0", "not a number"},
		{"0", "not in (0, 1]"},
		{"-0.5", "not in (0, 1]"},
		{"2", "not in (0, 1]"},
		{"10000", "not in (0, 1]"},
		{"1/10000000000", "below 1/1000000000"},
	} {
		t.Run("refuses "+tc.text, func(t *testing.T) {
			_, err := world.ParseTimeScale(tc.text)
			require.Error(t, err, testcmd.Rerun(t, "./sim/world"))
			assert.ErrorContains(t, err, tc.why, testcmd.Rerun(t, "./sim/world"))
			assert.ErrorContains(t, err, "accepted: a factor in (0, 1]", testcmd.Rerun(t, "./sim/world"))
		})
	}
	rerun := testcmd.Rerun(t, "./sim/world")
	c := world.Defaults()
	c.Strategy = models.Naive
	_, err := c.Scaled(mustScale(t, "1/100"))
	var ce *world.ConfigError
	require.ErrorAs(t, err, &ce, rerun)
	assert.Equal(t, "time-scale", ce.Setting, rerun)
	assert.Contains(t, ce.Msg, "timeout 1s 10ms, under the 100ms", rerun)
	assert.Contains(t, ce.Msg, "at least 1/10", rerun)
	_, err = c.Scaled(mustScale(t, "1/10"))
	assert.NoError(t, err, "1/10 brings the 1s timeout to exactly 100ms; %s", rerun)
}

// withoutBoot is c without its strategy's Boot, which no two worlds
// compare equal on (a func).
func withoutBoot(c world.Config) world.Config {
	c.Strategy.Boot = nil
	return c
}

func mustScale(t *testing.T, text string) world.TimeScale {
	t.Helper()
	f, err := world.ParseTimeScale(text)
	require.NoError(t, err, testcmd.Rerun(t, "./sim/world"))
	return f
}
