package script

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/idemsim/idemsim/sim/db/sql"
)

// PGLevels are the isolation levels a script may declare, PostgreSQL's four,
// spelled as they are substituted for {level}.
var PGLevels = []string{"read uncommitted", "read committed", "repeatable read", "serializable"}

// levelToken is replaced by the level being run.
const levelToken = "{level}"

// Line is one statement of a script.
type Line struct {
	No      int    // 1-based line number in the file
	Session int    // N of a `tN:` line; 0 for a setup line
	Text    string // the statement: comment, prefix and surrounding whitespace stripped
}

// Script is a parsed script: its declared levels, its setup lines and its
// session lines, each in file order.
type Script struct {
	Name   string
	Levels []string // from the `# levels:` header; nil when there is none
	Setup  []Line
	Steps  []Line
}

// Runs lists the levels the script runs at: its declared levels, or one run
// with no level ("") when it declares none.
func (s *Script) Runs() []string {
	if len(s.Levels) == 0 {
		return []string{""}
	}
	return s.Levels
}

// UsesLevel reports whether any statement contains {level}.
func (s *Script) UsesLevel() bool {
	for _, l := range append(append([]Line(nil), s.Setup...), s.Steps...) {
		if strings.Contains(l.Text, levelToken) {
			return true
		}
	}
	return false
}

// Substitute replaces every {level} in stmt by level.
func Substitute(stmt, level string) string {
	return strings.ReplaceAll(stmt, levelToken, level)
}

// ValidLevel reports whether level names one of PostgreSQL's four levels,
// in either spelling sql.ParseLevel reads.
func ValidLevel(level string) bool {
	_, ok := SQLLevel(level)
	return ok
}

// SQLLevel is one of PostgreSQL's four levels, named in either spelling
// sql.ParseLevel reads ("read-committed" or "read committed"), as SQL
// spells it, the spelling substituted for {level}.
func SQLLevel(level string) (string, bool) {
	l, ok := sql.ParseLevel(level)
	if !ok || !l.PostgreSQL() {
		return "", false
	}
	return l.String(), true
}

// LevelSlug is level with spaces replaced by '-', as in output file names.
func LevelSlug(level string) string { return strings.ReplaceAll(level, " ", "-") }

// StripComment removes a `#` comment to end of line; a `#` inside a '...'
// string literal does not start one (” inside a literal is an escaped
// quote, which toggling twice handles).
func StripComment(line string) string {
	inString := false
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\'':
			inString = !inString
		case '#':
			if !inString {
				return line[:i]
			}
		}
	}
	return line
}

var sessionPrefix = regexp.MustCompile(`^t([0-9]+):(.*)$`)

// parseLevelsHeader reads `# levels: a, b` from the first line; ok is false
// when the line is not such a header.
func parseLevelsHeader(line string) (levels []string, ok bool, err error) {
	t := strings.TrimSpace(line)
	if !strings.HasPrefix(t, "#") {
		return nil, false, nil
	}
	t = strings.TrimSpace(strings.TrimPrefix(t, "#"))
	rest, found := strings.CutPrefix(t, "levels:")
	if !found {
		return nil, false, nil
	}
	seen := map[string]bool{}
	for _, f := range strings.Split(rest, ",") {
		l, ok := SQLLevel(f)
		if !ok {
			l = strings.Join(strings.Fields(f), " ")
			return nil, true, fmt.Errorf("unknown level %q in levels header (want some of: %s)", l, strings.Join(PGLevels, ", "))
		}
		if seen[l] {
			return nil, true, fmt.Errorf("level %q declared twice", l)
		}
		seen[l] = true
		levels = append(levels, l)
	}
	return levels, true, nil
}

// Parse reads a script. name is used in error messages.
func Parse(name, src string) (*Script, error) {
	s := &Script{Name: name}
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	for i, raw := range lines {
		no := i + 1
		if i == 0 {
			levels, ok, err := parseLevelsHeader(raw)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", name, no, err)
			}
			if ok {
				s.Levels = levels
				continue
			}
		}
		text := strings.TrimSpace(StripComment(raw))
		if text == "" {
			continue
		}
		m := sessionPrefix.FindStringSubmatch(text)
		if m == nil {
			s.Setup = append(s.Setup, Line{No: no, Text: text})
			continue
		}
		n, err := strconv.Atoi(m[1])
		if err != nil || n <= 0 || m[1][0] == '0' {
			return nil, fmt.Errorf("%s:%d: session t%s: N must be a positive integer without leading zeros", name, no, m[1])
		}
		stmt := strings.TrimSpace(m[2])
		if stmt == "" {
			return nil, fmt.Errorf("%s:%d: t%d: empty statement", name, no, n)
		}
		s.Steps = append(s.Steps, Line{No: no, Session: n, Text: stmt})
	}
	if s.UsesLevel() && len(s.Levels) == 0 {
		return nil, fmt.Errorf("%s: uses %s but has no `# levels: ...` first line", name, levelToken)
	}
	return s, nil
}
