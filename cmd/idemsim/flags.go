package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/shrink"
	"github.com/idemsim/idemsim/sim"
)

// usageError is a bad flag or value: one line naming it and what is
// accepted, exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// flagSpec is one flag: its name, what it takes (for help), and how to set it.
type flagSpec struct {
	name    string
	arg     string // "" for a boolean flag
	help    string
	set     func(string) error
	repeats bool
	// keyOf, for a repeatable flag each of whose values sets one thing (a
	// switch, a node's clock), names that thing: giving it twice is
	// refused, as giving any other flag twice is, instead of the last
	// value silently winning.
	keyOf func(value string) string
	keyIs string // what keyOf names, for the message: "switch", "node"
	// accepts is the range of values, shown in help after the text.
	accepts string
}

// keyed makes s a repeatable flag whose values are keyed by keyOf, each
// naming a keyIs.
func (s *flagSpec) keyed(keyIs string, keyOf func(string) string) *flagSpec {
	s.repeats, s.keyOf, s.keyIs = true, keyOf, keyIs
	return s
}

// beforeColon and beforeEquals are the keys of NODE:VALUE and NAME=VALUE.
func beforeColon(v string) string  { k, _, _ := strings.Cut(v, ":"); return k }
func beforeEquals(v string) string { k, _, _ := strings.Cut(v, "="); return k }

// flagSet is a tiny parser that owns its error messages, so every bad value
// names the flag and the accepted range in one line.
type flagSet struct {
	cmd   string
	specs []*flagSpec
	given []string // the flags as given, canonical, for reproduce commands
}

func (fs *flagSet) add(name, arg, help string, set func(string) error) *flagSpec {
	s := &flagSpec{name: name, arg: arg, help: help, set: set}
	fs.specs = append(fs.specs, s)
	return s
}

// addInt adds a flag taking an integer in [lo, hi].
func (fs *flagSet) addInt(name, help string, dst *int, lo, hi int) *flagSpec {
	s := fs.add(name, "N", help, intIn(dst, lo, hi))
	s.accepts = fmt.Sprintf("%d to %d", lo, hi)
	return s
}

// addDuration adds a flag taking a duration > 0 (>= 0 with zeroOK) up to
// sim.MaxSpan.
func (fs *flagSet) addDuration(name, help string, dst *time.Duration, zeroOK bool) *flagSpec {
	return fs.addDurationUpTo(name, help, dst, zeroOK, sim.MaxSpan, sim.MaxSpanText)
}

// addDurationUpTo is addDuration with a maximum of its own.
func (fs *flagSet) addDurationUpTo(name, help string, dst *time.Duration, zeroOK bool, max time.Duration, maxText string) *flagSpec {
	s := fs.add(name, "DURATION", help, durationUpTo(dst, zeroOK, max, maxText))
	s.accepts = "> 0, at most " + maxText
	if zeroOK {
		s.accepts = ">= 0, at most " + maxText
	}
	return s
}

// addRate adds a flag taking a probability.
func (fs *flagSet) addRate(name, help string, dst *float64) *flagSpec {
	s := fs.add(name, "P", help, rateValue(dst))
	s.accepts = "0 to 1"
	return s
}

func (fs *flagSet) lookup(name string) *flagSpec {
	for _, s := range fs.specs {
		if s.name == name {
			return s
		}
	}
	return nil
}

func (fs *flagSet) parse(args []string) ([]string, error) {
	seen := map[string]bool{}
	keys := map[[2]string]string{} // flag and key: the value that set it
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			rest = append(rest, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		s := fs.lookup(name)
		if s == nil {
			return nil, usagef("idemsim %s: unknown flag --%s (see idemsim %s --help)", fs.cmd, name, fs.cmd)
		}
		if seen[name] && !s.repeats {
			return nil, usagef("idemsim %s: --%s given twice", fs.cmd, name)
		}
		seen[name] = true
		if s.arg == "" {
			if hasValue {
				return nil, usagef("idemsim %s: --%s takes no value", fs.cmd, name)
			}
			value = "true"
		} else if !hasValue {
			if i+1 >= len(args) {
				return nil, usagef("idemsim %s: --%s needs a value: %s", fs.cmd, name, s.arg)
			}
			i++
			value = args[i]
		}
		if s.keyOf != nil {
			k := [2]string{name, s.keyOf(value)}
			if first, ok := keys[k]; ok {
				return nil, usagef("idemsim %s: --%s %s given twice (%q, then %q; accepted: each %s once)", fs.cmd, name, k[1], first, value, s.keyIs)
			}
			keys[k] = value
		}
		if err := s.set(value); err != nil {
			return nil, usagef("idemsim %s: --%s: %v", fs.cmd, name, err)
		}
		if s.arg == "" {
			fs.given = append(fs.given, "--"+name)
		} else {
			fs.given = append(fs.given, "--"+name, shellQuote(value))
		}
	}
	return rest, nil
}

func (fs *flagSet) usage() string {
	var b strings.Builder
	for _, s := range fs.specs {
		left := "  --" + s.name
		if s.arg != "" {
			left += " " + s.arg
		}
		help := s.help
		if s.accepts != "" {
			help += " [" + s.accepts + "]"
		}
		fmt.Fprintf(&b, "%-34s %s\n", left, help)
	}
	return b.String()
}

// shellQuote quotes a value for a shell command line, as every command
// idemsim prints does.
func shellQuote(s string) string { return shrink.Quote(s) }

// Setters: each parses one kind of value and says what is accepted.

func intIn(dst *int, lo, hi int) func(string) error {
	return func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("%q is not an integer in [%d, %d]", s, lo, hi)
		}
		*dst = n
		return nil
	}
}

// uint64Range is what uint64Value accepts, for help.
const uint64Range = "0 to 18446744073709551615"

func uint64Value(dst *uint64) func(string) error {
	return func(s string) error {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not an integer in [0, %d]", s, uint64(1<<64-1))
		}
		*dst = n
		return nil
	}
}

func rateValue(dst *float64) func(string) error {
	return func(s string) error {
		v, err := faults.ParseRate(s)
		if err != nil {
			return err
		}
		*dst = v
		return nil
	}
}

// durationUpTo accepts a Go duration > 0 (or >= 0 with zeroOK) up to max,
// printed as maxText (sim.MaxSpan, the longest the simulator takes, for
// most flags).
func durationUpTo(dst *time.Duration, zeroOK bool, max time.Duration, maxText string) func(string) error {
	return func(s string) error {
		d, err := time.ParseDuration(s)
		want := "> 0"
		if zeroOK {
			want = ">= 0"
		}
		if err != nil || d < 0 || d == 0 && !zeroOK {
			return fmt.Errorf("%q is not a duration %s (accepted: a Go duration like 250ms, 2s or 1h)", s, want)
		}
		if d > max {
			return fmt.Errorf("%q is over the limit of %s (accepted: a Go duration %s up to %s, like 250ms, 2s or 1h)", s, maxText, want, maxText)
		}
		*dst = d
		return nil
	}
}

func distValue(dst *sim.Dist) func(string) error {
	return func(s string) error {
		d, err := sim.ParseDist(s)
		if err != nil {
			return err
		}
		*dst = d
		return nil
	}
}

func oneOf(dst *string, accepted ...string) func(string) error {
	return func(s string) error {
		for _, a := range accepted {
			if s == a {
				*dst = s
				return nil
			}
		}
		return fmt.Errorf("%q (accepted: %s)", s, strings.Join(accepted, ", "))
	}
}

func boolValue(dst *bool) func(string) error {
	return func(string) error { *dst = true; return nil }
}
