package sim

import (
	"strconv"
	"time"
)

// Time is virtual time in nanoseconds since the start of a run.
type Time int64

// Duration is a span of virtual time; it is time.Duration so flags and
// literals read naturally (5*time.Millisecond), never the wall clock.
type Duration = time.Duration

// Add returns t+d.
func (t Time) Add(d Duration) Time { return t + Time(d) }

// Sub returns t-u as a Duration.
func (t Time) Sub(u Time) Duration { return Duration(t - u) }

// String prints t as seconds with microsecond precision ("12.345678s"), the
// first column of every trace line.
func (t Time) String() string {
	return string(t.AppendText(nil))
}

// AppendText appends t as String prints it.
func (t Time) AppendText(b []byte) []byte {
	v := int64(t)
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	us := v / 1000
	b = strconv.AppendInt(b, us/1e6, 10)
	b = append(b, '.')
	frac := us % 1e6
	for div := int64(100000); div > 0; div /= 10 {
		b = append(b, byte('0'+frac/div%10))
	}
	return append(b, 's')
}
