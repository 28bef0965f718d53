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

// Quantile returns the duration at quantile q in [0, 1), cut to [0,
// MaxSpan]: a tail may reach past any deadline (lognormal:1000h,4 has
// draws of a million hours), and a draw that long means "not within this
// run" just as well, while a run's clock plus a few such draws stays exact.
func (d Dist) Quantile(q float64) Duration {
	switch d.Kind {
	case DistConst:
		return d.Min
	case DistUniform:
		return min(d.Min+clampDuration(q*(float64(d.Max-d.Min)+1)), MaxSpan)
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

// clampDuration converts x nanoseconds to a Duration in [0, MaxSpan].
func clampDuration(x float64) Duration {
	switch {
	case !(x > 0):
		return 0
	case x >= float64(MaxSpan):
		return MaxSpan
	}
	return Duration(x)
}

// Check says what is wrong with d, or nil: a distribution built in code
// must meet what ParseDist requires of a parsed one (each duration in [0,
// MaxSpan], a lognormal's median and an exponential's mean > 0, a sigma in
// (0, 4]).
func (d Dist) Check() error {
	span := func(what string, v Duration) error {
		if err := CheckSpan(v); err != nil {
			return fmt.Errorf("%s %v: %v", what, v, err)
		}
		return nil
	}
	var err error
	switch d.Kind {
	case DistConst:
		err = span("duration", d.Min)
	case DistUniform:
		if err = span("MIN", d.Min); err == nil {
			err = span("MAX", d.Max)
		}
		if err == nil && d.Max < d.Min {
			err = fmt.Errorf("uniform MAX is below MIN")
		}
	case DistLogNormal:
		err = span("MEDIAN", d.Median)
		switch {
		case err != nil:
		case d.Median == 0:
			err = fmt.Errorf("lognormal MEDIAN must be > 0")
		case !(d.Sigma > 0 && d.Sigma <= MaxSigma):
			err = fmt.Errorf("lognormal SIGMA must be a number in (0, %v]", MaxSigma)
		}
	case DistExp:
		if err = span("MEAN", d.Min); err == nil && d.Min == 0 {
			err = fmt.Errorf("exp MEAN must be > 0")
		}
	default:
		err = fmt.Errorf("unknown distribution kind %d", d.Kind)
	}
	return err
}

// MaxSigma is the largest lognormal shape accepted: its p99 is already
// 11,000 times its median.
const MaxSigma = 4

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
const DistSyntax = "const:D, uniform:D..D, lognormal:MEDIAN,SIGMA or exp:MEAN (D a duration like 5ms, at most " + MaxSpanText + "; SIGMA in (0, 4])"

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
	// The durations are read here, so that a message quotes them as
	// given; Check then says what else is wrong.
	var d Dist
	var err error
	switch kind {
	case "const":
		d.Kind = DistConst
		d.Min, err = parseNonNegative(arg)
	case "uniform":
		a, b, ok := strings.Cut(arg, "..")
		if !ok {
			return bad("uniform needs MIN..MAX")
		}
		d.Kind = DistUniform
		if d.Min, err = parseNonNegative(a); err == nil {
			d.Max, err = parseNonNegative(b)
		}
	case "lognormal":
		a, b, ok := strings.Cut(arg, ",")
		if !ok {
			return bad("lognormal needs MEDIAN,SIGMA")
		}
		d.Kind = DistLogNormal
		if d.Median, err = parseNonNegative(a); err == nil && d.Median > 0 {
			if d.Sigma, err = strconv.ParseFloat(b, 64); err != nil {
				d.Sigma = math.NaN() // Check refuses it
			}
			err = nil
		}
	case "exp":
		d.Kind = DistExp
		d.Min, err = parseNonNegative(arg)
	default:
		return bad("unknown distribution " + strconv.Quote(kind))
	}
	if err == nil {
		err = d.Check()
	}
	if err != nil {
		return bad(err.Error())
	}
	return d, nil
}

func parseNonNegative(s string) (Duration, error) {
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("malformed duration %q", s)
	}
	if v < 0 {
		return 0, fmt.Errorf("negative duration %q", s)
	}
	if v > MaxSpan {
		return 0, fmt.Errorf("duration %q over the limit of %s", s, MaxSpanText)
	}
	return v, nil
}
