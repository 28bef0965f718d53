package world

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/gateway"
)

// TimeScale is a factor in (0, 1] that Config.Scaled multiplies a world's
// long durations by, so that a world whose clients wait out a 24-hour
// retention can run live in seconds. It is an exact fraction, so 24h at
// 1/10000 is 8.64s and not a nanosecond off. The zero TimeScale is no
// scaling at all.
type TimeScale struct {
	num, den int64
}

// MaxTimeScaleDen bounds the factor from below (1/MaxTimeScaleDen): past
// it even sim.MaxSpan scales to a few minutes, and the floor refuses the
// rest.
const MaxTimeScaleDen = 1_000_000_000

// MinScaledSpan is the shortest a scaled duration may become. Network
// delays, service times and handlers' own work stay real-time sized (a
// few milliseconds each, a round trip some ten); a lease or a timeout
// scaled down near them would race them, which the unscaled world never
// does: a 1s timeout scaled to 10ms times out every attempt of the
// default world.
const MinScaledSpan = 100 * time.Millisecond

// TimeScaleSyntax is what ParseTimeScale accepts, for error messages.
const TimeScaleSyntax = "a factor in (0, 1] as 1/N or a decimal (1/10000, 0.001, 1e-4), at least 1/1000000000"

// ParseTimeScale reads a factor: "1/10000", "0.001", "1e-4" or "1".
func ParseTimeScale(s string) (TimeScale, error) {
	r, ok := new(big.Rat).SetString(strings.TrimSpace(s))
	switch {
	case !ok:
		return TimeScale{}, fmt.Errorf("%q is not a number (accepted: %s)", s, TimeScaleSyntax)
	case r.Sign() <= 0 || r.Cmp(big.NewRat(1, 1)) > 0:
		return TimeScale{}, fmt.Errorf("%q is not in (0, 1] (accepted: %s)", s, TimeScaleSyntax)
	case r.Cmp(big.NewRat(1, MaxTimeScaleDen)) < 0 || !r.Denom().IsInt64():
		return TimeScale{}, fmt.Errorf("%q is below 1/%d (accepted: %s)", s, MaxTimeScaleDen, TimeScaleSyntax)
	}
	return TimeScale{num: r.Num().Int64(), den: r.Denom().Int64()}, nil
}

// IsZero reports whether f is no scaling: the zero TimeScale.
func (f TimeScale) IsZero() bool { return f.den == 0 }

// String prints f as ParseTimeScale reads it: 1/10000, 3/4, 1.
func (f TimeScale) String() string {
	switch {
	case f.IsZero() || f.den == 1:
		return "1"
	case f.num == 1:
		return "1/" + strconv.FormatInt(f.den, 10)
	}
	return strconv.FormatInt(f.num, 10) + "/" + strconv.FormatInt(f.den, 10)
}

// Of is d times f, rounded to the nearest nanosecond; the zero TimeScale
// leaves d as it is.
func (f TimeScale) Of(d time.Duration) time.Duration {
	if f.IsZero() {
		return d
	}
	x := new(big.Int).Mul(big.NewInt(int64(d)), big.NewInt(f.num))
	x.Add(x, big.NewInt(f.den/2))
	return time.Duration(x.Quo(x, big.NewInt(f.den)).Int64())
}

// times composes two factors (a world scaled twice).
func (f TimeScale) times(g TimeScale) TimeScale {
	if f.IsZero() {
		return g
	}
	r := new(big.Rat).Mul(big.NewRat(f.num, f.den), big.NewRat(g.num, g.den))
	return TimeScale{num: r.Num().Int64(), den: r.Denom().Int64()}
}

// ScaledSpan is one duration Scaled changed: its name as the command
// line spells the setting, and its value before and after.
type ScaledSpan struct {
	Name          string
	Before, After time.Duration
}

// TimeScaleText is the summary's line for a scaled world: the factor and
// every duration it changed ("1/10000: timeout 30h -> 10.8s, ..."); "" for
// a world that is not scaled.
func (c *Config) TimeScaleText() string {
	if c.TimeScale.IsZero() {
		return ""
	}
	var parts []string
	for _, s := range c.ScaledSpans {
		parts = append(parts, fmt.Sprintf("%s %s -> %s", s.Name, DurationText(s.Before), DurationText(s.After)))
	}
	if len(parts) == 0 {
		return c.TimeScale.String() + " (no duration of this world is scaled)"
	}
	return c.TimeScale.String() + " (" + strings.Join(parts, ", ") + ")"
}

// Scaled returns c with its long durations multiplied by f: the world a
// live run can wait out in seconds, which the simulator runs as well so
// that both judge the same world. f is recorded in TimeScale and every
// duration changed in ScaledSpans, for the summary.
//
// Scaled are the durations that stand for a long span of the world and
// are measured against one another:
//   - the strategy's retention and lease (its defaults and the run's
//     --switch; a reaper that sweeps at a tenth of the retention follows);
//   - the gateway's key retention (idempotent mode) or duplicate window
//     (window mode), whichever its mode uses, in a world that charges;
//   - the client's timeout per attempt and its operation deadline (a
//     retry 30 hours later is a timeout of 30 hours), and the run's
//     deadline;
//   - the downtime of each --crash, --client-crash, --pause and
//     --crash-at: how long a node is gone is what a lease or a retry is
//     measured against;
//   - clock offsets (--clock-skew), which matter only against the leases
//     and retention a skewed clock checks.
//
// Left as they are, because they are sized in real time already or are
// measured against what is: network and service-link delays, service,
// statement and gateway times; backoff, poll interval and Retry-After
// (the spacing of retries, measured against those delays); the start
// time of each timed fault and partition (a crash 6.5ms in is aimed at a
// request in flight); random crashes' rate and downtime; the queue's
// visibility timeout (measured against a worker's real work); the
// database's and the gateway call's timeouts; the settle time; and the
// strategies' own constants (no strategy file changes). A replayed fault
// list (--replay, --fault) is taken as it is: its references carry no
// time, and a list written by a scaled run holds its scaled crashes.
//
// Scaled refuses a factor that brings a scaled duration under
// MinScaledSpan, naming it and the smallest factor it takes.
func (c Config) Scaled(f TimeScale) (Config, error) {
	if f.IsZero() || f.num == f.den {
		return c, nil
	}
	st, err := c.Settings()
	if err != nil {
		return c, bad("switch", "strategy %s: %v", c.Strategy.Name, err)
	}
	var spans []ScaledSpan
	scale := func(name string, d *time.Duration) {
		if *d != 0 {
			after := f.Of(abs(*d))
			if *d < 0 {
				after = -after
			}
			spans = append(spans, ScaledSpan{Name: name, Before: *d, After: after})
			*d = after
		}
	}
	// The switches as the strategy's Boot will read them, scaled, become
	// its defaults; the run's overrides are folded into them.
	scale("retention", &st.Switches.Retention)
	scale("lease", &st.Switches.Lease)
	c.Strategy.Defaults, c.Switches = st.Switches, nil
	gw := &c.Services.Gateway
	switch {
	case !c.Charges():
		// No charge reaches the gateway: what it remembers matters not.
	case gw.Mode == gateway.Idempotent:
		scale("gateway-key-retention", &gw.KeyRetention)
	case gw.Mode == gateway.DuplicateWindow:
		scale("gateway window", &gw.Window)
	}
	scale("timeout", &c.Client.TimeoutPerAttempt)
	scale("op-deadline", &c.Client.OpDeadline)
	scale("deadline", &c.Deadline)
	p := &c.Faults
	p.Crashes = scaleCrashes("crash", p.Crashes, scale)
	p.ClientCrashes = scaleCrashes("client-crash", p.ClientCrashes, scale)
	p.Pauses = scaleCrashes("pause", p.Pauses, scale)
	p.CrashPoints = append([]faults.CrashPoint(nil), p.CrashPoints...)
	for i := range p.CrashPoints {
		scale("crash-at "+p.CrashPoints[i].String()+" downtime", &p.CrashPoints[i].Downtime)
	}
	c.Clocks = append([]Clock(nil), c.Clocks...)
	for i := range c.Clocks {
		scale("clock-skew "+c.Clocks[i].Node, &c.Clocks[i].Offset)
	}
	for _, s := range spans {
		if abs(s.After) < MinScaledSpan {
			return c, bad("time-scale", "%s would make %s %s %s, under the %s a scaled duration keeps (accepted for this world: a factor of at least %s)",
				f, s.Name, DurationText(s.Before), DurationText(s.After), DurationText(MinScaledSpan), smallestScale(spans))
		}
	}
	c.TimeScale = c.TimeScale.times(f)
	c.ScaledSpans = append(append([]ScaledSpan(nil), c.ScaledSpans...), spans...)
	return c, nil
}

// scaleCrashes is list with each downtime scaled, in a new slice (the
// caller's config shares the old one).
func scaleCrashes(flag string, list []faults.Crash, scale func(string, *time.Duration)) []faults.Crash {
	if list == nil {
		return nil
	}
	out := append([]faults.Crash(nil), list...)
	for i := range out {
		scale(flag+" "+out[i].String()+" downtime", &out[i].Downtime)
	}
	return out
}

// smallestScale is the smallest factor 1/N that keeps every span at least
// MinScaledSpan: N is the shortest span's whole multiples of it.
func smallestScale(spans []ScaledSpan) string {
	shortest := sim.MaxSpan
	for _, s := range spans {
		shortest = min(shortest, abs(s.Before))
	}
	if shortest < MinScaledSpan {
		return "1 (" + DurationText(shortest) + " is already under it)"
	}
	return "1/" + strconv.FormatInt(int64(shortest/MinScaledSpan), 10)
}

func abs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
