package sql

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Goal: timestamptz and interval literals read, and values print, exactly
// as PostgreSQL 15 reads and prints them with TimeZone UTC, DateStyle ISO
// and IntervalStyle postgres. Method: table of literals with the text
// PostgreSQL 15.20 printed for each (recorded by hand with psql).
func TestTimestampAndIntervalText(t *testing.T) {
	for _, tc := range []struct{ typ, in, want string }{
		{"timestamptz", "2026-01-01 00:00:05+00", "2026-01-01 00:00:05+00"},
		{"timestamptz", "2026-01-01 00:00:00.123+00", "2026-01-01 00:00:00.123+00"},
		{"timestamptz", "2026-01-01 05:00:00+05", "2026-01-01 00:00:00+00"},
		{"timestamptz", "2026-01-01 05:00:00+05:30", "2025-12-31 23:30:00+00"},
		{"timestamptz", "2026-01-01T05:00:00Z", "2026-01-01 05:00:00+00"},
		{"timestamptz", "2026-01-01+00", "2026-01-01 00:00:00+00"},
		{"timestamptz", "2024-02-29 23:59:59.999999-01", "2024-03-01 00:59:59.999999+00"},
		{"timestamptz", "0001-01-01 00:00:00+00", "0001-01-01 00:00:00+00"},
		{"interval", "90 seconds", "00:01:30"},
		{"interval", "1 day", "1 day"},
		{"interval", "24 hours", "24:00:00"},
		{"interval", "2 weeks", "14 days"},
		{"interval", "1.5 seconds", "00:00:01.5"},
		{"interval", "-5 seconds", "-00:00:05"},
		{"interval", "1 day -1 hour", "1 day -01:00:00"},
		{"interval", "100 hours", "100:00:00"},
		{"interval", "1 microsecond", "00:00:00.000001"},
		{"interval", "0 seconds", "00:00:00"},
		{"interval", "1 minute 30 seconds", "00:01:30"},
		{"interval", "3 days 4 hours", "3 days 04:00:00"},
		{"interval", "1.5 hours", "01:30:00"},
		{"interval", "1.5 days", "1 day 12:00:00"},
		{"interval", "1 week 2 days", "9 days"},
		{"interval", "-1 day", "-1 days"},
		{"interval", "-1 day 2 hours", "-1 days +02:00:00"},
		{"interval", "1 hour 30 minutes 15 seconds 200 milliseconds 7 microseconds", "01:30:15.200007"},
		{"interval", "1 ms", "00:00:00.001"},
		{"interval", "  5 seconds  ", "00:00:05"},
		{"interval", "+5 seconds", "00:00:05"},
		{"interval", "5seconds", "00:00:05"},
		{"interval", "5 SECONDS", "00:00:05"},
		{"interval", "2147483647 days", "2147483647 days"},
		{"interval", "9223372036854775807 microseconds", "2562047788:00:54.775807"},
	} {
		t.Run(tc.typ+" "+tc.in, func(t *testing.T) {
			var v Value
			var err *Error
			if tc.typ == "interval" {
				v, err = ParseInterval(tc.in)
			} else {
				v, err = ParseTimestamp(tc.in)
			}
			require.Nil(t, err, "%s '%s'\n%s", tc.typ, tc.in, rerun(t))
			assert.Equal(t, tc.want, v.String(), "%s '%s'\n%s", tc.typ, tc.in, rerun(t))
		})
	}
}

// Goal: timestamps print across the whole range PostgreSQL holds, BC years
// included, and the Unix-epoch constructor and accessor agree. Method: the
// range's ends and a few dates; round trips through UnixMicro.
func TestTimestampRange(t *testing.T) {
	assert.Equal(t, "1970-01-01 00:00:00+00", TimestampValue(0).String(), rerun(t))
	assert.Equal(t, "1969-12-31 23:59:59.999999+00", TimestampValue(-1).String(), rerun(t))
	assert.Equal(t, int64(1767225600000000), TimestampValue(1767225600000000).UnixMicro(), rerun(t))
	lo, hi := Value{Kind: TimeKind, Int: minTimestamp}, Value{Kind: TimeKind, Int: maxTimestamp}
	assert.Equal(t, "4714-11-24 00:00:00+00 BC", lo.String(), rerun(t))
	assert.Equal(t, "294276-12-31 23:59:59.999999+00", hi.String(), rerun(t))
	assert.True(t, ValidTimestamp(lo) && ValidTimestamp(hi), rerun(t))
	assert.False(t, ValidTimestamp(Value{Kind: TimeKind, Int: minTimestamp - 1}), rerun(t))
	assert.False(t, ValidTimestamp(Value{Kind: TimeKind, Int: maxTimestamp + 1}), rerun(t))
	bc, err := ParseTimestamp("0001-01-01 00:00:00+00")
	require.Nil(t, err)
	bc.Int -= MicrosPerDay
	assert.Equal(t, "0001-12-31 00:00:00+00 BC", bc.String(), "the day before 1 AD is in 1 BC; %s", rerun(t))
}

// Goal: intervals compare by length with a day as 24 hours, as PostgreSQL's
// interval_cmp does — without overflowing at the extremes — and equal
// intervals make one map key. Method: pairs and their order.
func TestIntervalCompare(t *testing.T) {
	day, hours := IntervalValue(1, 0), IntervalValue(0, 24*MicrosPerHour)
	assert.Equal(t, 0, CompareSQL(day, hours), rerun(t))
	assert.NotEqual(t, day, hours, "kept apart, as PostgreSQL prints them apart")
	assert.Equal(t, IntervalKey(day), IntervalKey(hours), rerun(t))
	assert.Equal(t, -1, CompareSQL(IntervalValue(0, 23*MicrosPerHour), day), rerun(t))
	assert.Equal(t, 1, CompareSQL(IntervalValue(1, 1), hours), rerun(t))
	huge := IntervalValue(math.MaxInt32, math.MaxInt64)
	assert.Equal(t, 1, CompareSQL(huge, IntervalValue(math.MaxInt32, 0)), rerun(t))
	assert.Equal(t, -1, CompareSQL(IntervalValue(math.MinInt32, math.MinInt64), IntervalValue(math.MinInt32, 0)), rerun(t))
	assert.Equal(t, huge, IntervalKey(huge), "too long to fold into microseconds: kept as is")
	assert.Equal(t, 1, CompareSQL(IntervalValue(-1, 0), IntervalValue(0, -25*MicrosPerHour)), rerun(t))
}

// Goal: booleans read as PostgreSQL's boolin reads them. Method: every
// accepted spelling and some refused ones.
func TestParseBool(t *testing.T) {
	for _, in := range []string{"t", "true", "TRUE", "tr", "y", "yes", "on", "1", " true "} {
		v, err := ParseBool(in)
		require.Nil(t, err, "%q\n%s", in, rerun(t))
		assert.True(t, v.Bool(), "%q\n%s", in, rerun(t))
	}
	for _, in := range []string{"f", "false", "fa", "n", "no", "of", "off", "0"} {
		v, err := ParseBool(in)
		require.Nil(t, err, "%q\n%s", in, rerun(t))
		assert.Equal(t, BoolValue(false), v, "%q\n%s", in, rerun(t))
	}
	for _, in := range []string{"", "o", "maybe", "2", "yess"} {
		_, err := ParseBool(in)
		require.NotNil(t, err, "%q\n%s", in, rerun(t))
		assert.Equal(t, CodeInvalidText, err.Code, "%q\n%s", in, rerun(t))
	}
}

// Goal: one vocabulary for isolation levels: ParseLevel reads SQL's
// spelling and the command line's, and the simulation's two levels;
// LevelNames lists the command line's; Slug and String round-trip.
// Method: every level in every spelling.
func TestLevelNames(t *testing.T) {
	assert.Equal(t, []string{"read-committed", "read-uncommitted", "repeatable-read", "serializable", "dirty-reads", "serializable-2pl"}, LevelNames(), rerun(t))
	for l := ReadCommitted; l <= Serializable2PL; l++ {
		for _, s := range []string{l.String(), l.Slug()} {
			got, ok := ParseLevel(s)
			assert.True(t, ok, "%q\n%s", s, rerun(t))
			assert.Equal(t, l, got, "%q\n%s", s, rerun(t))
		}
	}
	for _, s := range []string{"Read Committed", "  repeatable   read ", "SERIALIZABLE-2PL"} {
		_, ok := ParseLevel(s)
		assert.True(t, ok, "%q\n%s", s, rerun(t))
	}
	for _, s := range []string{"", "snapshot", "read", "dirty reads", "serializable 2pl"} {
		_, ok := ParseLevel(s)
		assert.False(t, ok, "%q\n%s", s, rerun(t))
	}
	assert.True(t, Serializable.PostgreSQL() && !DirtyReads.PostgreSQL(), rerun(t))
}
