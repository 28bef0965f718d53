package sim

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Time is virtual time in nanoseconds since the start of a run.
type Time int64

// Duration is a span of virtual time; it is time.Duration so flags and
// literals read naturally (5*time.Millisecond), never the wall clock.
type Duration = time.Duration

// The ends of virtual time. Arithmetic on Time stops at them instead of
// wrapping around, so that no sum of durations, however large, can put an
// event before the present.
const (
	MaxTime Time = math.MaxInt64
	MinTime Time = math.MinInt64
)

// MaxSpan is the longest span of virtual time a run takes from its user:
// every duration and every moment a flag, a fault line or a configuration
// gives is at most this, and every draw of a distribution is cut there.
// About eleven years is far beyond any run worth simulating, and a run's
// clock then stays 25 times below the end of int64: the sums a run makes
// (now, plus a latency, plus a copy's extra delay, plus a pause) are exact.
const MaxSpan Duration = 100000 * time.Hour

// MaxSpanText is MaxSpan as the error messages and the help print it.
const MaxSpanText = "100000h"

// CheckSpan says what is wrong with a duration a user gave, or nil if it
// is in [0, MaxSpan]: "negative" or "over the limit of 100000h".
func CheckSpan(d Duration) error {
	switch {
	case d < 0:
		return fmt.Errorf("negative")
	case d > MaxSpan:
		return fmt.Errorf("over the limit of %s", MaxSpanText)
	}
	return nil
}

// Add returns t+d, saturating at MaxTime and MinTime.
func (t Time) Add(d Duration) Time {
	s := t + Time(d)
	switch {
	case d > 0 && s < t:
		return MaxTime
	case d < 0 && s > t:
		return MinTime
	}
	return s
}

// Sub returns t-u as a Duration, saturating at the longest Durations.
func (t Time) Sub(u Time) Duration {
	d := t - u
	switch {
	case u < 0 && d < t:
		return math.MaxInt64
	case u > 0 && d > t:
		return math.MinInt64
	}
	return Duration(d)
}

// TimeOf converts x nanoseconds to a Time, saturating at its ends (a clock
// that runs fast or slow multiplies a time by its rate).
func TimeOf(x float64) Time {
	switch {
	case x >= math.MaxInt64:
		return MaxTime
	case x <= math.MinInt64:
		return MinTime
	case x != x: // NaN
		return 0
	}
	return Time(x)
}

// String prints t as seconds with microsecond precision ("12.345678s"), the
// first column of every trace line.
func (t Time) String() string {
	return string(t.AppendText(nil))
}

// AppendText appends t as String prints it.
func (t Time) AppendText(b []byte) []byte {
	v := uint64(t)
	if t < 0 {
		b = append(b, '-')
		v = -v // as unsigned, right for MinTime too
	}
	us := v / 1000
	b = strconv.AppendUint(b, us/1e6, 10)
	b = append(b, '.')
	frac := us % 1e6
	for div := uint64(100000); div > 0; div /= 10 {
		b = append(b, byte('0'+frac/div%10))
	}
	return append(b, 's')
}
