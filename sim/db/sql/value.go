package sql

import (
	"cmp"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// Kind is the kind of a Value.
type Kind uint8

// The kinds of value.
const (
	Null Kind = iota
	IntKind
	TextKind
	BoolKind     // Int is 0 or 1
	TimeKind     // timestamptz: Int is microseconds since 2000-01-01 00:00:00 UTC, PostgreSQL's epoch
	IntervalKind // Int is microseconds, Days whole days (kept apart, as PostgreSQL does)
)

// Value is one SQL value: NULL, an integer, a text, a boolean, a
// timestamptz or an interval. Values are comparable, so they can be map
// keys; Equal is their identity, not SQL's = (see CompareSQL).
type Value struct {
	Kind Kind
	Days int32 // IntervalKind: the days part
	Int  int64
	Text string
}

// IntValue, TextValue, BoolValue, TimestampValue and IntervalValue build
// values. TimestampValue takes microseconds since the Unix epoch; an
// interval is days and microseconds.
func IntValue(n int64) Value   { return Value{Kind: IntKind, Int: n} }
func TextValue(s string) Value { return Value{Kind: TextKind, Text: s} }
func BoolValue(b bool) Value {
	if b {
		return Value{Kind: BoolKind, Int: 1}
	}
	return Value{Kind: BoolKind}
}
func TimestampValue(unixMicros int64) Value {
	return Value{Kind: TimeKind, Int: unixMicros - pgEpoch}
}

// UnixMicro is a timestamptz as microseconds since the Unix epoch.
func (v Value) UnixMicro() int64 { return v.Int + pgEpoch }

// pgEpoch is 2000-01-01 00:00:00 UTC in microseconds since the Unix epoch:
// a timestamptz is held as PostgreSQL holds it, relative to 2000, so that
// its whole range fits in 64 bits.
const pgEpoch = 946684800 * MicrosPerSecond

func IntervalValue(days int32, micros int64) Value {
	return Value{Kind: IntervalKind, Days: days, Int: micros}
}

func (v Value) IsNull() bool       { return v.Kind == Null }
func (v Value) Equal(w Value) bool { return v == w }

// Bool reports whether v is true (false for NULL and non-booleans).
func (v Value) Bool() bool { return v.Kind == BoolKind && v.Int != 0 }

// Microseconds in a day, an hour, a minute, a second.
const (
	MicrosPerSecond = int64(1e6)
	MicrosPerMinute = 60 * MicrosPerSecond
	MicrosPerHour   = 60 * MicrosPerMinute
	MicrosPerDay    = 24 * MicrosPerHour
)

// String prints v as PostgreSQL's text output does with DateStyle ISO,
// IntervalStyle postgres and TimeZone UTC: integers in decimal, text
// unquoted, booleans t and f, timestamps as 2026-01-01 00:00:05+00,
// intervals as 1 day 01:30:00, NULL as NULL.
func (v Value) String() string {
	switch v.Kind {
	case IntKind:
		return strconv.FormatInt(v.Int, 10)
	case TextKind:
		return v.Text
	case BoolKind:
		if v.Int != 0 {
			return "t"
		}
		return "f"
	case TimeKind:
		return string(appendTimestamp(nil, v.Int))
	case IntervalKind:
		return string(appendInterval(nil, v.Days, v.Int))
	}
	return "NULL"
}

// Compare orders values for printing rows: NULL after everything (ASC NULLS
// LAST), values of one kind as SQL orders them, and values of different
// kinds by kind.
func Compare(a, b Value) int {
	switch {
	case a.Kind == b.Kind && a.Kind != Null:
		return CompareSQL(a, b)
	case a.Kind == b.Kind:
		return 0
	case a.Kind == Null:
		return 1
	case b.Kind == Null:
		return -1
	}
	return cmp.Compare(a.Kind, b.Kind)
}

// CompareSQL compares two non-NULL values of one kind as PostgreSQL's
// operators do: integers numerically, text bytewise (the C collation),
// false before true, timestamps by time, and intervals by their length
// with a day counted as 24 hours (so '1 day' = '24 hours', as in
// PostgreSQL).
func CompareSQL(a, b Value) int {
	switch a.Kind {
	case TextKind:
		return strings.Compare(a.Text, b.Text)
	case IntervalKind:
		ahi, alo := intervalSpan(a)
		bhi, blo := intervalSpan(b)
		if ahi != bhi {
			return cmp.Compare(ahi, bhi)
		}
		return cmp.Compare(alo, blo)
	}
	return cmp.Compare(a.Int, b.Int)
}

// intervalSpan is days*MicrosPerDay + micros as a signed 128-bit number
// (high word, low word), so that no interval overflows the comparison.
func intervalSpan(v Value) (int64, uint64) {
	hi, lo := bits.Mul64(uint64(abs64(int64(v.Days))), uint64(MicrosPerDay))
	if v.Days < 0 {
		hi, lo = neg128(hi, lo)
	}
	var m uint64 = uint64(v.Int)
	mhi := uint64(0)
	if v.Int < 0 {
		mhi = math.MaxUint64
	}
	lo, carry := bits.Add64(lo, m, 0)
	hi, _ = bits.Add64(hi, mhi, carry)
	return int64(hi), lo
}

func neg128(hi, lo uint64) (uint64, uint64) {
	lo = ^lo + 1
	hi = ^hi
	if lo == 0 {
		hi++
	}
	return hi, lo
}

func abs64(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// IntervalKey is v with its days folded into its microseconds when that
// fits, so that intervals SQL calls equal are one map key.
func IntervalKey(v Value) Value {
	if v.Kind != IntervalKind || v.Days == 0 {
		return v
	}
	hi, lo := intervalSpan(v)
	if (hi == 0 && lo <= math.MaxInt64) || (hi == -1 && lo > math.MaxInt64) {
		return IntervalValue(0, int64(lo))
	}
	return v
}

// The range of timestamptz, as PostgreSQL's: 4714-11-24 00:00:00 BC to
// 294276-12-31 23:59:59.999999, in microseconds since 2000-01-01.
var (
	minTimestamp = (daysFromCivil(-4713, 11, 24) - pgEpochDays) * MicrosPerDay
	maxTimestamp = (daysFromCivil(294277, 1, 1)-pgEpochDays)*MicrosPerDay - 1
)

const pgEpochDays = 10957 // 2000-01-01 in days since 1970-01-01

// ValidTimestamp reports whether v, a timestamptz, is within PostgreSQL's
// range.
func ValidTimestamp(v Value) bool { return v.Int >= minTimestamp && v.Int <= maxTimestamp }

// daysFromCivil is the number of days from 1970-01-01 to y-m-d in the
// proleptic Gregorian calendar (year 0 is 1 BC), after Howard Hinnant's
// days_from_civil.
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := m - 3
	if m <= 2 {
		mp = m + 9
	}
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilFromDays is daysFromCivil's inverse.
func civilFromDays(z int64) (y, m, d int64) {
	z += 719468
	era := z
	if era < 0 {
		era -= 146096
	}
	era /= 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

func floorDiv(a, b int64) (q, r int64) {
	q, r = a/b, a%b
	if r < 0 {
		q--
		r += b
	}
	return q, r
}

func appendPadded(b []byte, n int64, width int) []byte {
	s := strconv.FormatInt(n, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// appendFraction appends .ffffff for us microseconds (0 <= us < 1e6),
// without trailing zeros, or nothing for 0, as PostgreSQL prints seconds.
func appendFraction(b []byte, us int64) []byte {
	if us == 0 {
		return b
	}
	f := []byte{'.'}
	f = appendPadded(f, us, 6)
	for f[len(f)-1] == '0' {
		f = f[:len(f)-1]
	}
	return append(b, f...)
}

// appendTimestamp prints a timestamptz in UTC as PostgreSQL's ISO
// DateStyle does: 2026-01-01 00:00:05.25+00, with " BC" after the zone
// for years before 1.
func appendTimestamp(b []byte, us int64) []byte {
	days, rest := floorDiv(us, MicrosPerDay)
	days += pgEpochDays
	y, m, d := civilFromDays(days)
	bc := y <= 0
	if bc {
		y = 1 - y
	}
	b = appendPadded(b, y, 4)
	b = append(b, '-')
	b = appendPadded(b, m, 2)
	b = append(b, '-')
	b = appendPadded(b, d, 2)
	b = append(b, ' ')
	b = appendPadded(b, rest/MicrosPerHour, 2)
	b = append(b, ':')
	b = appendPadded(b, rest/MicrosPerMinute%60, 2)
	b = append(b, ':')
	b = appendPadded(b, rest/MicrosPerSecond%60, 2)
	b = appendFraction(b, rest%MicrosPerSecond)
	b = append(b, "+00"...)
	if bc {
		b = append(b, " BC"...)
	}
	return b
}

// appendInterval prints an interval as PostgreSQL's IntervalStyle postgres
// does (EncodeInterval): "1 day", "-2 days +01:00:00", "00:01:30.5".
func appendInterval(b []byte, days int32, us int64) []byte {
	isZero, isBefore := true, false
	if days != 0 {
		if isBefore && days > 0 {
			b = append(b, '+')
		}
		b = strconv.AppendInt(b, int64(days), 10)
		b = append(b, " day"...)
		if days != 1 {
			b = append(b, 's')
		}
		isBefore, isZero = days < 0, false
	}
	if isZero || us != 0 {
		if !isZero {
			b = append(b, ' ')
		}
		switch {
		case us < 0:
			b = append(b, '-')
		case isBefore:
			b = append(b, '+')
		}
		// The absolute value of the smallest int64 does not fit: split it.
		hours := us / MicrosPerHour
		rest := us - hours*MicrosPerHour
		if us < 0 {
			hours, rest = -hours, -rest
		}
		b = appendPadded(b, hours, 2)
		b = append(b, ':')
		b = appendPadded(b, rest/MicrosPerMinute, 2)
		b = append(b, ':')
		b = appendPadded(b, rest/MicrosPerSecond%60, 2)
		b = appendFraction(b, rest%MicrosPerSecond)
	}
	return b
}

// literalError is why a typed literal's text was refused: code and message.
type literalError struct{ code, msg string }

func badLiteral(code, msg string) *literalError { return &literalError{code, msg} }

// ParseTimestamp reads a timestamptz literal as PostgreSQL would, for the
// forms this dialect accepts: YYYY-MM-DD, then optionally a space or T and
// HH:MM[:SS[.ffffff]], then a required zone offset +HH, +HH:MM, -HH, -HH:MM
// or Z. Without an offset PostgreSQL reads the time in the session's
// TimeZone, which this dialect refuses rather than guess. Fields out of
// range are 22008, as in PostgreSQL; other forms PostgreSQL reads are
// refused with 0A000.
func ParseTimestamp(s string) (Value, *Error) {
	us, err := parseTimestamp(s)
	if err != nil {
		return Value{}, &Error{Code: err.code, Msg: err.msg}
	}
	return Value{Kind: TimeKind, Int: us}, nil
}

func parseTimestamp(text string) (int64, *literalError) {
	s := strings.TrimSpace(text)
	unsupported := badLiteral(CodeFeatureNotSupported, "the timestamptz "+quote(text)+notSupported+
		"; write 'YYYY-MM-DD HH:MM:SS[.ffffff]+HH[:MM]' with an explicit zone offset")
	rangeErr := badLiteral(CodeDatetimeOverflow, "date/time field value out of range: "+quote(text))
	num := func(n int) (int64, bool) {
		if len(s) < n {
			return 0, false
		}
		v := int64(0)
		for i := 0; i < n; i++ {
			if !isDigit(s[i]) {
				return 0, false
			}
			v = v*10 + int64(s[i]-'0')
		}
		s = s[n:]
		return v, true
	}
	sep := func(c byte) bool {
		if len(s) > 0 && s[0] == c {
			s = s[1:]
			return true
		}
		return false
	}
	y, ok1 := num(4)
	ok2 := sep('-')
	mo, ok3 := num(2)
	ok4 := sep('-')
	d, ok5 := num(2)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
		return 0, unsupported
	}
	var h, mi, sec, frac int64
	if len(s) > 0 && (s[0] == ' ' || s[0] == 'T') {
		s = s[1:]
		var ok bool
		if h, ok = num(2); !ok || !sep(':') {
			return 0, unsupported
		}
		if mi, ok = num(2); !ok {
			return 0, unsupported
		}
		if sep(':') {
			if sec, ok = num(2); !ok {
				return 0, unsupported
			}
			if sep('.') {
				n := 0
				for n < len(s) && isDigit(s[n]) {
					n++
				}
				if n == 0 || n > 6 {
					return 0, unsupported
				}
				frac, _ = num(n)
				for ; n < 6; n++ {
					frac *= 10
				}
			}
		}
	}
	var off int64
	switch {
	case s == "Z":
	case len(s) > 0 && (s[0] == '+' || s[0] == '-'):
		neg := s[0] == '-'
		s = s[1:]
		oh, ok := num(2)
		if !ok {
			return 0, unsupported
		}
		var om int64
		if sep(':') {
			if om, ok = num(2); !ok {
				return 0, unsupported
			}
		}
		if s != "" || oh > 15 || om > 59 {
			return 0, unsupported
		}
		off = oh*MicrosPerHour + om*MicrosPerMinute
		if neg {
			off = -off
		}
	default:
		return 0, unsupported
	}
	switch {
	case y == 0, h == 24, sec == 60:
		return 0, unsupported // PostgreSQL reads these in ways of its own
	case mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || sec > 59:
		return 0, rangeErr
	}
	us := (daysFromCivil(y, mo, d)-pgEpochDays)*MicrosPerDay + h*MicrosPerHour + mi*MicrosPerMinute + sec*MicrosPerSecond + frac - off
	return us, nil
}

func daysIn(y, m int64) int64 {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// intervalUnits maps the unit names this dialect reads to microseconds
// (0 for day and week, which count days).
var intervalUnits = map[string]int64{
	"microsecond": 1, "microseconds": 1, "us": 1, "usec": 1, "usecs": 1,
	"millisecond": 1000, "milliseconds": 1000, "ms": 1000, "msec": 1000, "msecs": 1000,
	"second": MicrosPerSecond, "seconds": MicrosPerSecond, "s": MicrosPerSecond, "sec": MicrosPerSecond, "secs": MicrosPerSecond,
	"minute": MicrosPerMinute, "minutes": MicrosPerMinute, "m": MicrosPerMinute, "min": MicrosPerMinute, "mins": MicrosPerMinute,
	"hour": MicrosPerHour, "hours": MicrosPerHour, "h": MicrosPerHour, "hr": MicrosPerHour, "hrs": MicrosPerHour,
	"day": -1, "days": -1, "d": -1,
	"week": -7, "weeks": -7, "w": -7,
}

// ParseInterval reads an interval literal: one or more "N unit" (N an
// integer or a decimal, optionally signed; the space optional), with units
// microseconds, milliseconds, seconds, minutes, hours, days and weeks and
// their abbreviations, each at most once, case-insensitively. Months and
// years (whose length varies) and PostgreSQL's other forms ('10:00', '@ 1
// day', 'ago') are refused with 0A000; a unit given twice is 22007 and a
// field too large 22015, as in PostgreSQL.
func ParseInterval(s string) (Value, *Error) {
	days, us, err := parseInterval(s)
	if err != nil {
		return Value{}, &Error{Code: err.code, Msg: err.msg}
	}
	return IntervalValue(days, us), nil
}

func parseInterval(text string) (int32, int64, *literalError) {
	unsupported := badLiteral(CodeFeatureNotSupported, "the interval "+quote(text)+notSupported+
		"; write 'N unit ...' with units microseconds to weeks (months and years vary in length)")
	overflow := badLiteral(CodeIntervalFieldOverflow, "interval field value out of range: "+quote(text))
	s := strings.ToLower(text)
	i := 0
	skip := func() {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
	}
	seen := map[int64]bool{}
	var days, us int64
	any := false
	for {
		skip()
		if i == len(s) {
			break
		}
		neg := false
		if s[i] == '+' || s[i] == '-' {
			neg = s[i] == '-'
			i++
		}
		start := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		whole := s[start:i]
		frac := ""
		if i < len(s) && s[i] == '.' {
			i++
			fs := i
			for i < len(s) && isDigit(s[i]) {
				i++
			}
			frac = s[fs:i]
		}
		if whole == "" && frac == "" {
			return 0, 0, unsupported
		}
		skip()
		us0 := i
		for i < len(s) && 'a' <= s[i] && s[i] <= 'z' {
			i++
		}
		unit := s[us0:i]
		if i < len(s) && !isSpace(s[i]) {
			return 0, 0, unsupported
		}
		size, ok := intervalUnits[unit]
		if !ok {
			// Calendar units (months, years) and PostgreSQL's other words
			// (ago, @) alike.
			return 0, 0, unsupported
		}
		if seen[size] {
			return 0, 0, badLiteral(CodeInvalidDatetimeFormat, "invalid input syntax for type interval: "+quote(text))
		}
		seen[size] = true
		any = true
		if len(frac) > 9 {
			return 0, 0, unsupported // PostgreSQL rounds what a microsecond cannot hold
		}
		w, err := strconv.ParseInt("0"+whole, 10, 64)
		if err != nil {
			return 0, 0, overflow
		}
		f, _ := strconv.ParseInt("0"+frac, 10, 64)
		scale := int64(1)
		for range frac {
			scale *= 10
		}
		var dd, uu int64
		if size < 0 {
			// Whole days, and the fraction of a day (or week) spills into
			// time, as PostgreSQL's AdjustFractDays does.
			per := -size
			dd = w * per
			fd := f * per // in units of 1/scale days
			dd += fd / scale
			rem := fd % scale
			if (rem*MicrosPerDay)%scale != 0 {
				return 0, 0, unsupported
			}
			uu = rem * MicrosPerDay / scale
		} else {
			if (f*size)%scale != 0 {
				return 0, 0, unsupported // a fraction of a microsecond: PostgreSQL rounds it
			}
			hi, lo := bits.Mul64(uint64(w), uint64(size))
			if hi != 0 || lo > math.MaxInt64 {
				return 0, 0, overflow
			}
			uu = int64(lo) + f*size/scale
		}
		if neg {
			dd, uu = -dd, -uu
		}
		days += dd
		sum := us + uu
		if (uu > 0 && sum < us) || (uu < 0 && sum > us) {
			return 0, 0, overflow
		}
		us = sum
		if days > math.MaxInt32 || days < math.MinInt32 {
			return 0, 0, overflow
		}
	}
	if !any {
		return 0, 0, badLiteral(CodeInvalidDatetimeFormat, "invalid input syntax for type interval: "+quote(text))
	}
	return int32(days), us, nil
}

// ParseBool reads a boolean as PostgreSQL's boolin does: t, true, y, yes,
// on, 1 and f, false, n, no, off, 0, any unique prefix of those words, in
// any case, with surrounding white space.
func ParseBool(text string) (Value, *Error) {
	s := strings.ToLower(strings.TrimSpace(text))
	switch {
	case s == "":
	case strings.HasPrefix("true", s), strings.HasPrefix("yes", s), s == "on", s == "1":
		return BoolValue(true), nil
	case strings.HasPrefix("false", s), strings.HasPrefix("no", s), len(s) >= 2 && strings.HasPrefix("off", s), s == "0":
		return BoolValue(false), nil
	}
	return Value{}, &Error{Code: CodeInvalidText, Msg: "invalid input syntax for type boolean: " + quote(text)}
}
