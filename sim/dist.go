package sim

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// DistKind is the family of a Dist.
type DistKind uint8

// The distribution families a Dist can be.
const (
	DistConst     DistKind = iota // always Min
	DistUniform                   // uniform in [Min, Max]
	DistLogNormal                 // Median·exp(Sigma·Z), Z standard normal
	DistExp                       // exponential with mean Min
)

// Dist is a distribution of durations: a link's latency, a server's service
// time, a client's think time. It samples by inverting a quantile drawn from
// a Chooser, so an enumerator can pick representative quantiles.
type Dist struct {
	Kind     DistKind
	Min, Max Duration // const: Min; uniform: [Min, Max]; exp: mean Min
	Median   Duration // lognormal
	Sigma    float64  // lognormal shape, > 0
}

// Const returns the distribution that is always d.
func Const(d Duration) Dist { return Dist{Kind: DistConst, Min: d} }

// Uniform returns the uniform distribution on [lo, hi].
func Uniform(lo, hi Duration) Dist { return Dist{Kind: DistUniform, Min: lo, Max: hi} }

// LogNormal returns the lognormal distribution with the given median and
// shape: its p99 is median·exp(2.326·sigma), the tail that makes late
// responses and spurious retries.
func LogNormal(median Duration, sigma float64) Dist {
	return Dist{Kind: DistLogNormal, Median: median, Sigma: sigma}
}

// Exp returns the exponential distribution with the given mean (Poisson
// arrivals).
func Exp(mean Duration) Dist { return Dist{Kind: DistExp, Min: mean} }

// Sample draws one duration from stream s.
func (d Dist) Sample(c Chooser, s Stream) Duration {
	if d.Kind == DistConst {
		return d.Min
	}
	return d.Quantile(c.Quantile(s))
}

// Quantile returns the duration at quantile q in [0, 1), clamped to
// [0, the longest Duration] so that no tail can schedule into the past.
func (d Dist) Quantile(q float64) Duration {
	switch d.Kind {
	case DistConst:
		return d.Min
	case DistUniform:
		return d.Min + clampDuration(q*(float64(d.Max-d.Min)+1))
	case DistLogNormal:
		if q <= 0 {
			return 0
		}
		z := math.Sqrt2 * math.Erfinv(2*q-1)
		return clampDuration(float64(d.Median) * math.Exp(d.Sigma*z))
	case DistExp:
		return clampDuration(-float64(d.Min) * math.Log1p(-q))
	}
	panic(fmt.Sprintf("sim: unknown distribution kind %d", d.Kind))
}

// clampDuration converts x nanoseconds to a Duration in [0, MaxInt64].
func clampDuration(x float64) Duration {
	switch {
	case !(x > 0):
		return 0
	case x >= math.MaxInt64:
		return math.MaxInt64
	}
	return Duration(x)
}

// CDF returns P(X <= x), for tests that check a sample against the law.
func (d Dist) CDF(x Duration) float64 {
	switch d.Kind {
	case DistConst:
		if x >= d.Min {
			return 1
		}
		return 0
	case DistUniform:
		switch {
		case x < d.Min:
			return 0
		case x >= d.Max:
			return 1
		}
		return (float64(x-d.Min) + 1) / (float64(d.Max-d.Min) + 1)
	case DistLogNormal:
		if x <= 0 {
			return 0
		}
		z := math.Log(float64(x)/float64(d.Median)) / d.Sigma
		return 0.5 * math.Erfc(-z/math.Sqrt2)
	case DistExp:
		if x <= 0 {
			return 0
		}
		return -math.Expm1(-float64(x) / float64(d.Min))
	}
	panic(fmt.Sprintf("sim: unknown distribution kind %d", d.Kind))
}

// String prints d in the syntax ParseDist reads back.
func (d Dist) String() string {
	switch d.Kind {
	case DistConst:
		return "const:" + d.Min.String()
	case DistUniform:
		return "uniform:" + d.Min.String() + ".." + d.Max.String()
	case DistLogNormal:
		return "lognormal:" + d.Median.String() + "," + strconv.FormatFloat(d.Sigma, 'g', -1, 64)
	case DistExp:
		return "exp:" + d.Min.String()
	}
	return fmt.Sprintf("dist(%d)", d.Kind)
}

// DistSyntax is the accepted form of a distribution, for error messages.
const DistSyntax = "const:D, uniform:D..D, lognormal:MEDIAN,SIGMA or exp:MEAN (D a duration like 5ms)"

// ParseDist reads a distribution: const:5ms, uniform:1ms..10ms,
// lognormal:5ms,0.5 or exp:200ms. A bare duration means const.
func ParseDist(s string) (Dist, error) {
	kind, arg, ok := strings.Cut(s, ":")
	if !ok {
		kind, arg = "const", s
	}
	bad := func(why string) (Dist, error) {
		return Dist{}, fmt.Errorf("%q: %s (accepted: %s)", s, why, DistSyntax)
	}
	switch kind {
	case "const":
		v, err := parseNonNegative(arg)
		if err != nil {
			return bad(err.Error())
		}
		return Const(v), nil
	case "uniform":
		a, b, ok := strings.Cut(arg, "..")
		if !ok {
			return bad("uniform needs MIN..MAX")
		}
		lo, err := parseNonNegative(a)
		if err != nil {
			return bad(err.Error())
		}
		hi, err := parseNonNegative(b)
		if err != nil {
			return bad(err.Error())
		}
		if hi < lo {
			return bad("uniform MAX is below MIN")
		}
		return Uniform(lo, hi), nil
	case "lognormal":
		a, b, ok := strings.Cut(arg, ",")
		if !ok {
			return bad("lognormal needs MEDIAN,SIGMA")
		}
		m, err := parseNonNegative(a)
		if err != nil {
			return bad(err.Error())
		}
		if m == 0 {
			return bad("lognormal MEDIAN must be > 0")
		}
		sigma, err := strconv.ParseFloat(b, 64)
		if err != nil || !(sigma > 0 && sigma <= 4) {
			return bad("lognormal SIGMA must be a number in (0, 4]")
		}
		return LogNormal(m, sigma), nil
	case "exp":
		v, err := parseNonNegative(arg)
		if err != nil {
			return bad(err.Error())
		}
		if v == 0 {
			return bad("exp MEAN must be > 0")
		}
		return Exp(v), nil
	}
	return bad("unknown distribution " + strconv.Quote(kind))
}

func parseNonNegative(s string) (Duration, error) {
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("malformed duration %q", s)
	}
	if v < 0 {
		return 0, fmt.Errorf("negative duration %q", s)
	}
	return v, nil
}
