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
}

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
		fmt.Fprintf(&b, "%-34s %s\n", left, s.help)
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

// durationValue accepts a Go duration > 0 (or >= 0 with zeroOK).
func durationValue(dst *time.Duration, zeroOK bool) func(string) error {
	return func(s string) error {
		d, err := time.ParseDuration(s)
		want := "> 0"
		if zeroOK {
			want = ">= 0"
		}
		if err != nil || d < 0 || d == 0 && !zeroOK {
			return fmt.Errorf("%q is not a duration %s (accepted: a Go duration like 250ms, 2s or 1h)", s, want)
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
