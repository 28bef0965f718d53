package sim_test

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"

	"github.com/idemsim/idemsim/sim"
)

// distRerun is the command that reruns the calling test or subtest alone;
// every failure message carries it.
func distRerun(t *testing.T) string { return testcmd.Rerun(t, "./sim") }

// parseDist calls sim.ParseDist and turns a panic into a failure.
func parseDist(t *testing.T, in string) (d sim.Dist, err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("ParseDist(%q) panicked: %v\n%s", in, r, distRerun(t))
		}
	}()
	return sim.ParseDist(in)
}

// Goal: a distribution prints in the syntax ParseDist reads, and reading the
// print gives back the same distribution, for every kind.
// Method: table of inputs with the Dist each must give and its canonical
// print (a bare duration is const; durations print as time.Duration does;
// sigma prints in its shortest form).
func TestParseDistRoundTrip(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		in, canonical string
		want          sim.Dist
	}{
		{in: "const:5ms", want: sim.Const(5 * ms)},
		{in: "const:0s", want: sim.Const(0)},
		{in: "uniform:1ms..10ms", want: sim.Uniform(ms, 10*ms)},
		{in: "uniform:0s..0s", want: sim.Uniform(0, 0)},
		{in: "lognormal:5ms,0.5", want: sim.LogNormal(5*ms, 0.5)},
		{in: "lognormal:1s,4", want: sim.LogNormal(time.Second, 4)},
		{in: "exp:200ms", want: sim.Exp(200 * ms)},
		{in: "5ms", canonical: "const:5ms", want: sim.Const(5 * ms)},
		{in: "0", canonical: "const:0s", want: sim.Const(0)},
		{in: "const:1500us", canonical: "const:1.5ms", want: sim.Const(1500 * time.Microsecond)},
		{in: "uniform:1000ms..2s", canonical: "uniform:1s..2s", want: sim.Uniform(time.Second, 2*time.Second)},
		{in: "lognormal:5ms,5e-1", canonical: "lognormal:5ms,0.5", want: sim.LogNormal(5*ms, 0.5)},
		{in: "exp:1m", canonical: "exp:1m0s", want: sim.Exp(time.Minute)},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			canonical := c.canonical
			if canonical == "" {
				canonical = c.in
			}
			d, err := parseDist(t, c.in)
			require.NoError(t, err, distRerun(t))
			assert.Equal(t, c.want, d, "ParseDist(%q)\n%s", c.in, distRerun(t))
			assert.Equal(t, canonical, d.String(), "ParseDist(%q).String()\n%s", c.in, distRerun(t))
			back, err := parseDist(t, d.String())
			require.NoError(t, err, "parsing the printed form %q\n%s", d.String(), distRerun(t))
			assert.Equal(t, d, back, "ParseDist(String(d)) != d\n%s", distRerun(t))
		})
	}
}

// Goal: a bad distribution is refused, without panicking, with a one-line
// error that says what was wrong and lists the accepted syntax.
// Method: table of invalid inputs of every kind (negative, malformed,
// uniform MAX below MIN, lognormal sigma 0, above 4 or NaN, zero medians and
// means, unknown kinds, durations over sim.MaxSpan), each with the reason the
// error must name.
func TestParseDistInvalid(t *testing.T) {
	accepted := "(accepted: " + sim.DistSyntax + ")"
	cases := []struct{ in, why string }{
		{in: "", why: `malformed duration ""`},
		{in: "-5ms", why: `negative duration "-5ms"`},
		{in: "const:-1ms", why: `negative duration "-1ms"`},
		{in: "const:5", why: `malformed duration "5"`},
		{in: "const:abc", why: `malformed duration "abc"`},
		{in: "const:5ms:3", why: `malformed duration "5ms:3"`},
		{in: "uniform:5ms", why: "uniform needs MIN..MAX"},
		{in: "uniform:10ms..1ms", why: "uniform MAX is below MIN"},
		{in: "uniform:-1ms..1ms", why: `negative duration "-1ms"`},
		{in: "uniform:1ms..x", why: `malformed duration "x"`},
		{in: "lognormal:5ms", why: "lognormal needs MEDIAN,SIGMA"},
		{in: "lognormal:5ms,0", why: "lognormal SIGMA must be a number in (0, 4]"},
		{in: "lognormal:5ms,4.5", why: "lognormal SIGMA must be a number in (0, 4]"},
		{in: "lognormal:5ms,-1", why: "lognormal SIGMA must be a number in (0, 4]"},
		{in: "lognormal:5ms,NaN", why: "lognormal SIGMA must be a number in (0, 4]"},
		{in: "lognormal:5ms,abc", why: "lognormal SIGMA must be a number in (0, 4]"},
		{in: "lognormal:0s,0.5", why: "lognormal MEDIAN must be > 0"},
		{in: "lognormal:-5ms,0.5", why: `negative duration "-5ms"`},
		{in: "exp:0s", why: "exp MEAN must be > 0"},
		{in: "exp:-1s", why: `negative duration "-1s"`},
		{in: "gamma:5ms", why: `unknown distribution "gamma"`},
		{in: "Const:5ms", why: `unknown distribution "Const"`},
		{in: ":5ms", why: `unknown distribution ""`},
		{in: "const:2562047h47m16.854775807s", why: `duration "2562047h47m16.854775807s" over the limit of 100000h`},
		{in: "const:100000h1ns", why: `duration "100000h1ns" over the limit of 100000h`},
		{in: "exp:2562047h", why: `duration "2562047h" over the limit of 100000h`},
		{in: "lognormal:2562047h,4", why: `duration "2562047h" over the limit of 100000h`},
		{in: "uniform:1s..100001h", why: `duration "100001h" over the limit of 100000h`},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			d, err := parseDist(t, c.in)
			require.Error(t, err, "ParseDist(%q) = %v, want an error\n%s", c.in, d, distRerun(t))
			assert.NotContains(t, err.Error(), "\n", distRerun(t))
			assert.Contains(t, err.Error(), c.why, distRerun(t))
			assert.Contains(t, err.Error(), accepted, distRerun(t))
		})
	}
}

// Goal: Quantile and CDF are inverses, so a sample drawn by inverting a
// quantile follows the law the CDF states.
// Method: for each continuous kind and a few quantiles q, x = Quantile(q) is
// a whole number of nanoseconds, so q must lie between CDF(x-1ns) and
// CDF(x+1ns), each within 1e-6 relative (uniform is discrete over Max-Min+1
// nanoseconds, so the same bracket holds); and Quantile(CDF(x)) is x within
// one nanosecond. Const has no inverse: its CDF is 0 below Min and 1 at
// Quantile(q) = Min for every q.
func TestDistQuantileCDFInverse(t *testing.T) {
	const rel = 1e-6
	quantiles := []float64{0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99}
	dists := []sim.Dist{
		sim.Uniform(time.Second, 10*time.Second),
		sim.Uniform(time.Millisecond, 10*time.Millisecond),
		sim.LogNormal(5*time.Millisecond, 0.5),
		sim.LogNormal(time.Second, 2),
		sim.Exp(200 * time.Millisecond),
		sim.Exp(time.Second),
	}
	for _, d := range dists {
		t.Run(d.String(), func(t *testing.T) {
			prev := sim.Duration(-1)
			for _, q := range quantiles {
				x := d.Quantile(q)
				assert.Greater(t, x, prev, "Quantile(%v) must grow with q\n%s", q, distRerun(t))
				prev = x
				below, above := d.CDF(x-1), d.CDF(x+1)
				assert.LessOrEqual(t, below, q*(1+rel), "CDF(Quantile(%v) - 1ns) = CDF(%v - 1ns)\n%s", q, x, distRerun(t))
				assert.GreaterOrEqual(t, above, q*(1-rel), "CDF(Quantile(%v) + 1ns) = CDF(%v + 1ns)\n%s", q, x, distRerun(t))
				back := d.Quantile(d.CDF(x))
				assert.InDelta(t, float64(x), float64(back), 1, "Quantile(CDF(%v))\n%s", x, distRerun(t))
			}
		})
	}

	t.Run("const", func(t *testing.T) {
		d := sim.Const(5 * time.Millisecond)
		for _, q := range quantiles {
			x := d.Quantile(q)
			assert.Equal(t, 5*time.Millisecond, x, "Quantile(%v)\n%s", q, distRerun(t))
			assert.Equal(t, 1.0, d.CDF(x), "CDF(Quantile(%v))\n%s", q, distRerun(t))
		}
		assert.Equal(t, 0.0, d.CDF(5*time.Millisecond-1), distRerun(t))
	})

	t.Run("bounds", func(t *testing.T) {
		for _, d := range dists {
			assert.Equal(t, 0.0, d.CDF(0), "%v: CDF(0)\n%s", d, distRerun(t))
			assert.Equal(t, 0.0, d.CDF(-time.Second), "%v: CDF(-1s)\n%s", d, distRerun(t))
			assert.InDelta(t, 1.0, d.CDF(1000*time.Hour), 1e-9, "%v: CDF(1000h)\n%s", d, distRerun(t))
		}
		u := sim.Uniform(time.Second, 10*time.Second)
		assert.Equal(t, time.Second, u.Quantile(0), "uniform Quantile(0) is Min\n%s", distRerun(t))
		assert.Equal(t, 10*time.Second, u.Quantile(math.Nextafter(1, 0)), "uniform Quantile(1-) is Max\n%s", distRerun(t))
	})
}

// Goal: no distribution ParseDist accepts yields a duration outside [0,
// sim.MaxSpan] at any quantile in [0, 1): a negative latency would schedule
// an event in the past, and one past MaxSpan could overflow the run's
// clock. Method: quantiles close to 1 for accepted distributions whose
// upper tail passes MaxSpan (or would pass the largest time.Duration), the
// largest parameters accepted among them; a distribution built in code with
// larger ones is refused by Check.
func TestDistQuantileWithinSpan(t *testing.T) {
	cases := []struct{ dist string }{
		{dist: "lognormal:1s,4"},
		{dist: "lognormal:1000h,4"},
		{dist: "lognormal:100000h,4"},
		{dist: "exp:100000h"},
		{dist: "uniform:0s..100000h"},
		{dist: "uniform:100000h..100000h"},
		{dist: "const:100000h"},
	}
	for _, c := range cases {
		t.Run(c.dist, func(t *testing.T) {
			d, err := parseDist(t, c.dist)
			require.NoError(t, err, distRerun(t))
			for _, q := range []float64{0, 0.5, 0.9999, 1 - 1e-10, math.Nextafter(1, 0)} {
				x := d.Quantile(q)
				assert.GreaterOrEqual(t, x, sim.Duration(0), "%v.Quantile(%v)\n%s", d, q, distRerun(t))
				assert.LessOrEqual(t, x, sim.MaxSpan, "%v.Quantile(%v)\n%s", d, q, distRerun(t))
			}
		})
	}
	t.Run("built-in-code", func(t *testing.T) {
		for _, d := range []sim.Dist{sim.Const(sim.MaxSpan + 1), sim.Exp(math.MaxInt64), sim.LogNormal(math.MaxInt64, 1), sim.Uniform(0, sim.MaxSpan+1), sim.Const(-1)} {
			assert.Error(t, d.Check(), "%v.Check()\n%s", d, distRerun(t))
		}
		assert.NoError(t, sim.LogNormal(sim.MaxSpan, 4).Check(), distRerun(t))
	})
}
