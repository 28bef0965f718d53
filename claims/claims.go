// Package claims holds the thread's claims as scenario files: each claim
// a statement in our words, each scenario a scripted run of `idemsim run`
// (which message to drop, which server to crash at which step, how clients
// read a status) whose outcome settles the claim on one side of its
// condition. The files are embedded, so `idemsim claims` and `idemsim run
// --scenario NAME` work from the binary alone; the command's tests pin
// each scenario's timeline and verdict as a reviewed golden.
//
// A file is datadriven's format (github.com/cockroachdb/datadriven):
//
//	# Claim 8: checking the key outside the transaction cannot guarantee once-only.
//	# Where it comes from, in a few lines.
//
//	# What this scenario shows (its comment).
//	run scenario=check-outside-two-first-requests expect=duplicate
//	--strategy check-then-insert --workers-per-op 2 ...
//	----
//	(the output, pinned by the tests)
//
// A run directive states the verdict its run must reach (Expect):
// expect=holds (no violation), expect=breaks (at least one), or the kinds
// it must show, exactly, as expect=duplicate,orphan-charge. A scenario
// whose comment starts with "Holds" or "Breaks" must expect the same side.
package claims

import (
	"bufio"
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/idemsim/idemsim/check"
)

//go:embed scenarios/*.txt
var files embed.FS

// Claim is one claim of the thread and the scenarios that settle it.
type Claim struct {
	N         int
	Text      string // the claim in one sentence, in our words
	About     string // where it comes from and what it answers
	File      string // its scenario file, relative to this package
	Scenarios []Scenario
}

// Scenario is one scripted run: a world (`run`: the flags of idemsim run)
// or an interleaving of SQL sessions (`sql`: a script in the format of
// sim/db/testdata/scripts, run on the simulated database at each level it
// declares).
type Scenario struct {
	Name    string
	Claim   int
	Comment string   // what the scenario shows, from the comment above it
	Args    []string // the flags of idemsim run (a run scenario)
	Script  string   // the SQL script (a sql scenario)
	Expect  Expect   // the verdict a run scenario must reach
}

// Expect is the verdict a run scenario states on its directive.
type Expect struct {
	// Breaks: the run shows a violation; else it shows none.
	Breaks bool
	// Kinds, when set, are the kinds the run must show, no more and no
	// fewer, in check.Kinds order.
	Kinds []check.Kind
}

// String is the directive's spelling of e: holds, breaks or the kinds.
func (e Expect) String() string {
	switch {
	case !e.Breaks:
		return "holds"
	case len(e.Kinds) == 0:
		return "breaks"
	}
	words := make([]string, len(e.Kinds))
	for i, k := range e.Kinds {
		words[i] = string(k)
	}
	return strings.Join(words, ",")
}

// Check reports how a run whose audit counted counts (violations by
// kind) disagrees with e; nil if it agrees.
func (e Expect) Check(counts map[check.Kind]int) error {
	var shown []check.Kind
	for _, k := range check.Kinds {
		if counts[k] > 0 {
			shown = append(shown, k)
		}
	}
	got := Expect{Breaks: len(shown) > 0, Kinds: shown}
	switch {
	case e.Breaks != got.Breaks, len(e.Kinds) > 0 && !slices.Equal(e.Kinds, shown):
		return fmt.Errorf("expected %s, the run shows %s", e, got)
	}
	return nil
}

// parseExpect reads the value of a directive's expect=.
func parseExpect(v string) (Expect, error) {
	switch v {
	case "holds":
		return Expect{}, nil
	case "breaks":
		return Expect{Breaks: true}, nil
	}
	e := Expect{Breaks: true}
	for _, w := range strings.Split(v, ",") {
		k := check.Kind(w)
		if !slices.Contains(check.Kinds, k) {
			return Expect{}, fmt.Errorf("expect=%s: %q is no verdict (accepted: holds, breaks, or kinds among %s, separated by commas)", v, w, kindList())
		}
		if slices.Contains(e.Kinds, k) {
			return Expect{}, fmt.Errorf("expect=%s: %s is named twice", v, w)
		}
		e.Kinds = append(e.Kinds, k)
	}
	// In check.Kinds order, so that the same kinds compare equal.
	slices.SortFunc(e.Kinds, func(a, b check.Kind) int {
		return slices.Index(check.Kinds, a) - slices.Index(check.Kinds, b)
	})
	return e, nil
}

func kindList() string {
	words := make([]string, len(check.Kinds))
	for i, k := range check.Kinds {
		words[i] = string(k)
	}
	return strings.Join(words, ", ")
}

var (
	claimLine    = regexp.MustCompile(`^# Claim (\d+): (.+)$`)
	scenarioName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
)

// All parses every embedded claim file, in claim order.
func All() ([]Claim, error) {
	names, err := fs.Glob(files, "scenarios/*.txt")
	if err != nil {
		return nil, err
	}
	var out []Claim
	seen := map[string]string{}
	for _, name := range names {
		text, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		c, err := Parse(name, string(text))
		if err != nil {
			return nil, err
		}
		for _, s := range c.Scenarios {
			if other, dup := seen[s.Name]; dup {
				return nil, fmt.Errorf("claims: scenario %s is in both %s and %s", s.Name, other, name)
			}
			seen[s.Name] = name
		}
		out = append(out, c)
	}
	slices.SortStableFunc(out, func(a, b Claim) int { return a.N - b.N })
	return out, nil
}

// Parse reads one claim file.
func Parse(file, text string) (Claim, error) {
	c := Claim{File: file}
	bad := func(line int, format string, args ...any) error {
		return fmt.Errorf("claims: %s:%d: %s", file, line, fmt.Sprintf(format, args...))
	}
	sc := scanLines(text)
	var comment []string
	n := 0
	header := true
	for sc.Scan() {
		n++
		line := sc.Text()
		switch {
		case header && c.N == 0:
			m := claimLine.FindStringSubmatch(line)
			if m == nil {
				return c, bad(n, "the file starts with '# Claim N: the claim'")
			}
			c.N, _ = strconv.Atoi(m[1])
			c.Text = m[2]
		case header && strings.HasPrefix(line, "#"):
			c.About = strings.TrimSpace(c.About + " " + strings.TrimSpace(strings.TrimPrefix(line, "#")))
		case strings.HasPrefix(line, "#"):
			comment = append(comment, strings.TrimSpace(strings.TrimPrefix(line, "#")))
		case strings.TrimSpace(line) == "":
			if header && c.N != 0 {
				header = false
			}
			comment = comment[:0]
		case strings.HasPrefix(line, "run") || strings.HasPrefix(line, "sql"):
			header = false
			s, err := parseRun(line)
			if err != nil {
				return c, bad(n, "%v", err)
			}
			s.Claim, s.Comment = c.N, strings.Join(comment, " ")
			if strings.HasPrefix(line, "run") {
				if err := sideAgrees(s); err != nil {
					return c, bad(n, "%v", err)
				}
			}
			input := readInput(sc, &n)
			if strings.HasPrefix(line, "sql") {
				s.Script = strings.Join(input, "\n") + "\n"
				if strings.TrimSpace(s.Script) == "" {
					return c, bad(n, "scenario %s has no script", s.Name)
				}
			} else if s.Args, err = ParseArgs(strings.Join(input, "\n")); err != nil {
				return c, bad(n, "scenario %s: %v", s.Name, err)
			} else if len(s.Args) == 0 {
				return c, bad(n, "scenario %s has no flags", s.Name)
			}
			c.Scenarios = append(c.Scenarios, s)
			// Skip the expected output: up to the blank line after it, or
			// after the closing "----\n----" of a block with blank lines.
			if err := skipOutput(sc, &n); err != nil {
				return c, bad(n, "%v", err)
			}
			comment = comment[:0]
		default:
			return c, bad(n, "unexpected line %q (want a comment, a blank line or a run directive)", line)
		}
	}
	if err := sc.Err(); err != nil {
		return c, bad(n+1, "%v", err)
	}
	if c.N == 0 {
		return c, bad(1, "the file starts with '# Claim N: the claim'")
	}
	if len(c.Scenarios) == 0 {
		return c, bad(n, "claim %d has no scenario", c.N)
	}
	return c, nil
}

// scanLines scans text line by line with no limit on a line's length
// but text's own (bufio.Scanner stops at 64 KB by default, which would
// end a file early at a long line).
func scanLines(text string) *bufio.Scanner {
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(nil, len(text)+1)
	return sc
}

// parseRun reads "run scenario=NAME expect=VERDICT" or "sql scenario=NAME".
func parseRun(line string) (Scenario, error) {
	f := strings.Fields(line)
	want := len(f) == 3 && f[0] == "run" || len(f) == 2 && f[0] == "sql"
	if !want || !strings.HasPrefix(f[1], "scenario=") || f[0] == "run" && !strings.HasPrefix(f[2], "expect=") {
		return Scenario{}, fmt.Errorf("want 'run scenario=NAME expect=holds|breaks|KINDS' or 'sql scenario=NAME', got %q", line)
	}
	name := strings.TrimPrefix(f[1], "scenario=")
	if !scenarioName.MatchString(name) {
		return Scenario{}, fmt.Errorf("scenario name %q: want lower-case letters, digits and '-'", name)
	}
	s := Scenario{Name: name}
	if f[0] == "run" {
		var err error
		if s.Expect, err = parseExpect(strings.TrimPrefix(f[2], "expect=")); err != nil {
			return Scenario{}, fmt.Errorf("scenario %s: %w", name, err)
		}
	}
	return s, nil
}

// sideAgrees checks that a run scenario whose comment puts it on one side
// of its claim expects that side.
func sideAgrees(s Scenario) error {
	if strings.HasPrefix(s.Comment, "Holds") && s.Expect.Breaks {
		return fmt.Errorf("scenario %s: its comment says Holds, its directive expect=%s (accepted: expect=holds)", s.Name, s.Expect)
	}
	if strings.HasPrefix(s.Comment, "Breaks") && !s.Expect.Breaks {
		return fmt.Errorf("scenario %s: its comment says Breaks, its directive expect=holds (accepted: expect=breaks or the kinds it shows)", s.Name)
	}
	return nil
}

// readInput is a directive's input: the lines up to its "----".
func readInput(sc *bufio.Scanner, n *int) []string {
	var input []string
	for sc.Scan() {
		*n++
		if sc.Text() == "----" {
			break
		}
		input = append(input, sc.Text())
	}
	return input
}

// skipOutput passes over a directive's expected output.
func skipOutput(sc *bufio.Scanner, n *int) error {
	if !sc.Scan() {
		return nil
	}
	*n++
	if sc.Text() != "----" {
		for sc.Text() != "" && sc.Scan() {
			*n++
		}
		return nil
	}
	// A block of several paragraphs: it ends with "----" twice.
	prev := ""
	for sc.Scan() {
		*n++
		if sc.Text() == "----" && prev == "----" {
			return nil
		}
		if strings.HasPrefix(sc.Text(), "run scenario=") || strings.HasPrefix(sc.Text(), "sql scenario=") {
			// An empty output written as "----" twice opens a block that
			// swallows the directives after it (and -rewrite drops them).
			return fmt.Errorf("an output block opened with '----' twice holds the directive %q (an empty output is one '----')", sc.Text())
		}
		prev = sc.Text()
	}
	return fmt.Errorf("an output block opened with '----' twice is not closed")
}

// ParseRunFile reads a scenario file of one world run — comment lines,
// one `run` directive (named or not), its flags, and its expected output,
// as idemsim shrink writes it and as cli/testdata/scenarios holds
// them — and returns the run's flags and the comment above it.
func ParseRunFile(file, text string) (args []string, comment string, err error) {
	bad := func(line int, format string, a ...any) error {
		return fmt.Errorf("%s:%d: %s", file, line, fmt.Sprintf(format, a...))
	}
	sc := scanLines(text)
	var lines []string
	n, found := 0, false
	for sc.Scan() {
		n++
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#"):
			lines = append(lines, strings.TrimSpace(strings.TrimPrefix(line, "#")))
		case strings.TrimSpace(line) == "":
		case line == "run" || strings.HasPrefix(line, "run scenario="):
			if found {
				return nil, "", bad(n, "a second run directive: the file must hold one")
			}
			found = true
			var err error
			if args, err = ParseArgs(strings.Join(readInput(sc, &n), "\n")); err != nil {
				return nil, "", bad(n, "the run directive's flags: %v", err)
			}
			if len(args) == 0 {
				return nil, "", bad(n, "the run directive has no flags")
			}
			comment = strings.Join(lines, " ")
			if err := skipOutput(sc, &n); err != nil {
				return nil, "", bad(n, "%v", err)
			}
		default:
			return nil, "", bad(n, "unexpected line %q (want comments, then one run directive with its flags, then ----)", line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, "", bad(n+1, "%v", err)
	}
	if !found {
		return nil, "", bad(n, "no run directive (want a line 'run' followed by the flags of idemsim run, then ----)")
	}
	return args, comment, nil
}

// Lookup finds a scenario by name.
func Lookup(name string) (Scenario, error) {
	all, err := All()
	if err != nil {
		return Scenario{}, err
	}
	var names []string
	for _, c := range all {
		for _, s := range c.Scenarios {
			if s.Name == name {
				return s, nil
			}
			names = append(names, s.Name)
		}
	}
	return Scenario{}, fmt.Errorf("unknown scenario %q (accepted: %s)", name, strings.Join(names, ", "))
}

// Files is the embedded claim files, for the tests that replay them.
func Files() fs.FS { return files }

// SplitArgs splits flags as a shell would: whitespace separates, single
// quotes group, and outside them a backslash takes the next character as
// it is (so shrink.Quote's '\” is a quote inside a quoted value). A quote
// left open runs to the end of input; ParseArgs refuses it.
func SplitArgs(input string) []string {
	args, _ := ParseArgs(input)
	return args
}

// ParseArgs is SplitArgs for flags a user wrote (a scenario file): a
// single quote that is never closed is an error, not a value that runs to
// the end of the file.
func ParseArgs(input string) ([]string, error) {
	var args []string
	var cur strings.Builder
	quoted, inArg, escaped := false, false, false
	for _, r := range input {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped, inArg = false, true
		case r == '\\' && !quoted:
			escaped, inArg = true, true
		case r == '\'':
			quoted = !quoted
			inArg = true
		case !quoted && (r == ' ' || r == '\n' || r == '\t'):
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteRune(r)
			inArg = true
		}
	}
	if inArg {
		args = append(args, cur.String())
	}
	if quoted {
		return args, fmt.Errorf("unterminated quote: a ' is never closed (accepted: flags as a shell splits them, each ' closed by another)")
	}
	if escaped {
		return args, fmt.Errorf("a \\ ends the flags with nothing after it (accepted: flags as a shell splits them, a \\ outside quotes before the character it keeps)")
	}
	return args, nil
}
