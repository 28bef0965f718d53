package cli

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/shrink"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/world"
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
	name string
	arg  string // "" for a boolean flag
	help string
	// set reads the value and stores it at once; read, a run flag's,
	// reads it and returns what storing it does to the run being built
	// (runTarget), which the run command applies once it has chosen the
	// world to build on. A flag has one of the two.
	set  func(string) error
	read func(string) (func(*runTarget), error)
	// option: read's result sets only the run's options (runTarget.o),
	// which say what world to build on, so it is applied first.
	option  bool
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
}

func (fs *flagSet) add(name, arg, help string, set func(string) error) *flagSpec {
	s := &flagSpec{name: name, arg: arg, help: help, set: set}
	fs.specs = append(fs.specs, s)
	return s
}

// addRun adds a run flag: read reads its value, and what it returns is
// applied to the run being built.
func (fs *flagSet) addRun(name, arg, help string, read func(string) (func(*runTarget), error)) *flagSpec {
	s := fs.add(name, arg, help, nil)
	s.read = read
	return s
}

// addOption adds a run flag that sets only the run's options.
func (fs *flagSet) addOption(name, arg, help string, read func(string) (func(*runTarget), error)) *flagSpec {
	s := fs.addRun(name, arg, help, read)
	s.option = true
	return s
}

// The world's scalar settings as run flags: the range is the setting's
// (world.IntSetting and the like, which Validate checks), and the help's
// "%s" is the default, read from world.Defaults() (def).

func (fs *flagSet) addInt(set world.IntSetting, help string, def *world.Config) *flagSpec {
	s := fs.addRun(set.Name, "N", fmt.Sprintf(help, strconv.Itoa(*set.Field(def))), into(readIntIn(set.Lo, set.Hi), func(t *runTarget) *int { return set.Field(&t.cfg) }))
	s.accepts = fmt.Sprintf("%d to %d", set.Lo, set.Hi)
	return s
}

func (fs *flagSet) addDuration(set world.DurationSetting, help string, def *world.Config) *flagSpec {
	read := readDurationUpTo(set.ZeroOK, set.Max, set.MaxText)
	s := fs.addRun(set.Name, "DURATION", fmt.Sprintf(help, world.DurationText(*set.Field(def))), into(read, func(t *runTarget) *time.Duration { return set.Field(&t.cfg) }))
	s.accepts = set.Accepts()
	return s
}

func (fs *flagSet) addRate(set world.RateSetting, help string, def *world.Config) *flagSpec {
	s := fs.addRun(set.Name, "P", fmt.Sprintf(help, strconv.FormatFloat(*set.Field(def), 'g', -1, 64)), into(faults.ParseRate, func(t *runTarget) *float64 { return set.Field(&t.cfg) }))
	s.accepts = "0 to 1"
	return s
}

func (fs *flagSet) addDist(set world.DistSetting, help string, def *world.Config) *flagSpec {
	return fs.addRun(set.Name, "DIST", fmt.Sprintf(help, world.DistText(*set.Field(def))), into(sim.ParseDist, func(t *runTarget) *sim.Dist { return set.Field(&t.cfg) }))
}

func (fs *flagSet) lookup(name string) *flagSpec {
	for _, s := range fs.specs {
		if s.name == name {
			return s
		}
	}
	return nil
}

// flagArg is one flag of a command line as written: its words (one, or
// two when the value follows the flag), its spec (nil for a flag the set
// does not know), its value, and for a run flag what applying it does. A
// word that is not a flag is a flagArg of its own, with notFlag set.
type flagArg struct {
	spec    *flagSpec
	name    string
	words   []string
	value   string
	valued  bool // a value was given (after '=' or as the next word)
	notFlag bool
	apply   func(*runTarget)
}

// split cuts args into flags by their arity, without reading any value.
func (fs *flagSet) split(args []string) []flagArg {
	var flags []flagArg
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			flags = append(flags, flagArg{words: []string{a}, notFlag: true})
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := flagArg{spec: fs.lookup(name), name: name, words: []string{a}, value: value, valued: hasValue}
		if f.spec != nil && f.spec.arg != "" && !hasValue && i+1 < len(args) {
			i++
			f.words, f.value, f.valued = args[i-1:i+1], args[i], true
		}
		flags = append(flags, f)
	}
	return flags
}

// words is the command line of flags, as written.
func words(flags []flagArg) []string {
	var out []string
	for _, f := range flags {
		out = append(out, f.words...)
	}
	return out
}

// parse reads a command line: every flag is checked, its value read, in
// the order given; the words that are not flags are rest.
func (fs *flagSet) parse(args []string) ([]string, error) {
	_, rest, err := fs.parseFlags(args)
	return rest, err
}

// parseFlags is parse, returning the flags with what each does.
func (fs *flagSet) parseFlags(args []string) ([]flagArg, []string, error) {
	var flags []flagArg
	var rest []string
	for _, f := range fs.split(args) {
		if f.notFlag {
			rest = append(rest, f.words[0])
		} else {
			flags = append(flags, f)
		}
	}
	seen := map[string]bool{}
	keys := map[[2]string]string{} // flag and key: the value that set it
	for i := range flags {
		f := &flags[i]
		s, name := f.spec, f.name
		if s == nil {
			return nil, nil, usagef("idemsim %s: unknown flag --%s (see idemsim %s --help)", fs.cmd, name, fs.cmd)
		}
		if seen[name] && !s.repeats {
			return nil, nil, usagef("idemsim %s: --%s given twice", fs.cmd, name)
		}
		seen[name] = true
		if s.arg == "" {
			if f.valued {
				return nil, nil, usagef("idemsim %s: --%s takes no value", fs.cmd, name)
			}
			f.value = "true"
		} else if !f.valued {
			return nil, nil, usagef("idemsim %s: --%s needs a value: %s", fs.cmd, name, s.arg)
		}
		if s.keyOf != nil {
			k := [2]string{name, s.keyOf(f.value)}
			if first, ok := keys[k]; ok {
				return nil, nil, usagef("idemsim %s: --%s %s given twice (%q, then %q; accepted: each %s once)", fs.cmd, name, k[1], first, f.value, s.keyIs)
			}
			keys[k] = f.value
		}
		var err error
		if s.read != nil {
			f.apply, err = s.read(f.value)
		} else {
			err = s.set(f.value)
		}
		if err != nil {
			return nil, nil, usagef("idemsim %s: --%s: %v", fs.cmd, name, err)
		}
	}
	return flags, rest, nil
}

// given is a command line's flags in canonical form, for the commands
// idemsim prints: --name, or --name and the value quoted for a shell.
func given(flags []flagArg) []string {
	var out []string
	for _, f := range flags {
		if f.spec != nil && f.spec.arg == "" {
			out = append(out, "--"+f.name)
		} else {
			out = append(out, "--"+f.name, shellQuote(f.value))
		}
	}
	return out
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

// Readers: each reads one kind of value and says what is accepted. A
// command's flag stores what it read at once (store), a run flag into the
// run being built (into).

// store is a setter that reads a value and stores it in dst.
func store[T any](read func(string) (T, error), dst *T) func(string) error {
	return func(s string) error {
		v, err := read(s)
		if err == nil {
			*dst = v
		}
		return err
	}
}

// into is a run flag's reader: the value is read now, and applying the
// flag stores it in field of the run being built.
func into[T any](read func(string) (T, error), field func(*runTarget) *T) func(string) (func(*runTarget), error) {
	return func(s string) (func(*runTarget), error) {
		v, err := read(s)
		if err != nil {
			return nil, err
		}
		return func(t *runTarget) { *field(t) = v }, nil
	}
}

func readIntIn(lo, hi int) func(string) (int, error) {
	return func(s string) (int, error) {
		n, err := strconv.Atoi(s)
		if err != nil || n < lo || n > hi {
			return 0, fmt.Errorf("%q is not an integer in [%d, %d]", s, lo, hi)
		}
		return n, nil
	}
}

func intIn(dst *int, lo, hi int) func(string) error { return store(readIntIn(lo, hi), dst) }

// uint64Range is what readUint64 accepts, for help.
const uint64Range = "0 to 18446744073709551615"

func readUint64(s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer in [0, %d]", s, uint64(1<<64-1))
	}
	return n, nil
}

func uint64Value(dst *uint64) func(string) error { return store(readUint64, dst) }

// readDurationUpTo accepts a Go duration > 0 (or >= 0 with zeroOK) up to
// max, printed as maxText (sim.MaxSpan, the longest the simulator takes,
// for most flags).
func readDurationUpTo(zeroOK bool, max time.Duration, maxText string) func(string) (time.Duration, error) {
	return func(s string) (time.Duration, error) {
		d, err := time.ParseDuration(s)
		want := "> 0"
		if zeroOK {
			want = ">= 0"
		}
		if err != nil || d < 0 || d == 0 && !zeroOK {
			return 0, fmt.Errorf("%q is not a duration %s (accepted: a Go duration like 250ms, 2s or 1h)", s, want)
		}
		if d > max {
			return 0, fmt.Errorf("%q is over the limit of %s (accepted: a Go duration %s up to %s, like 250ms, 2s or 1h)", s, maxText, want, maxText)
		}
		return d, nil
	}
}

// readOneOf accepts one of the words given.
func readOneOf(accepted ...string) func(string) (string, error) {
	return func(s string) (string, error) {
		if slices.Contains(accepted, s) {
			return s, nil
		}
		return "", fmt.Errorf("%q (accepted: %s)", s, strings.Join(accepted, ", "))
	}
}

// readChoice reads one of two words as false (the first) or true.
func readChoice(no, yes string) func(string) (bool, error) {
	return func(s string) (bool, error) {
		w, err := readOneOf(no, yes)(s)
		return w == yes, err
	}
}

func readFile(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", fmt.Errorf("empty file name")
	}
	return s, nil
}

func fileValue(dst *string) func(string) error { return store(readFile, dst) }

func boolValue(dst *bool) func(string) error {
	return func(string) error { *dst = true; return nil }
}

// readTrue is a boolean run flag's value: given, it is true.
func readTrue(string) (bool, error) { return true, nil }
