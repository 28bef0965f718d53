// Package script runs interleaved multi-session SQL scripts on the
// simulated database and prints what each statement returned, one line per
// statement, in the format the PostgreSQL runner (tools/pgscript) prints
// for the same script on a real server, so the two can be diffed.
//
// A script has one statement per line: `tN: STATEMENT` runs in session tN;
// a line without a prefix is setup, run in autocommit before any session;
// `#` starts a comment; `{level}` is replaced by the level being run, and a
// first-line comment `# levels: a, b` lists the levels a script runs at.
package script

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/idemsim/idemsim/sim/db/sql"
)

// Line is one statement of a script.
type Line struct {
	Session int // 0 for setup
	Stmt    string
	LineNo  int
}

// Script is a parsed script.
type Script struct {
	Levels []string // the levels declared by `# levels:`, as written
	Setup  []Line
	Steps  []Line
}

// Parse reads a script.
func Parse(text string) (*Script, error) {
	sc := &Script{}
	for i, raw := range strings.Split(text, "\n") {
		n := i + 1
		if i == 0 {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(raw), "# levels:"); ok {
				for _, l := range strings.Split(rest, ",") {
					l = strings.TrimSpace(l)
					if !knownLevel(l) {
						return nil, fmt.Errorf("line 1: unknown level %q (accepted: %s)", l, strings.Join(Levels, ", "))
					}
					sc.Levels = append(sc.Levels, l)
				}
				continue
			}
		}
		line := strings.TrimSpace(stripComment(raw))
		if line == "" {
			continue
		}
		l := Line{Stmt: line, LineNo: n}
		if head, rest, ok := strings.Cut(line, ":"); ok && len(head) > 1 && head[0] == 't' {
			if s, err := strconv.Atoi(head[1:]); err == nil && s > 0 && strconv.Itoa(s) == head[1:] {
				l.Session = s
				l.Stmt = strings.TrimSpace(rest)
				if l.Stmt == "" {
					return nil, fmt.Errorf("line %d: session %s has no statement", n, head)
				}
			}
		}
		if l.Session == 0 {
			sc.Setup = append(sc.Setup, l)
		} else {
			sc.Steps = append(sc.Steps, l)
		}
	}
	return sc, nil
}

// Levels are the levels a script may declare: PostgreSQL's four, and the
// simulation's two others.
var Levels = []string{"read uncommitted", "read committed", "repeatable read", "serializable", "dirty-reads", "serializable-2pl"}

func knownLevel(l string) bool { return slices.Contains(Levels, l) }

// stripComment removes a `#` comment, leaving `#` inside a '...' literal.
func stripComment(s string) string {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\'':
			quoted = !quoted
		case '#':
			if !quoted {
				return s[:i]
			}
		}
	}
	return s
}

// Format prints one statement's outcome: `rows (..) (..)`, `ok N`, `ok`,
// `rolled back` or `error CODE`.
func Format(res Outcome) string {
	switch {
	case res.Err != nil:
		return "error " + res.Err.Code
	case res.RolledBack:
		return "rolled back"
	case res.HasRows:
		return formatRows(res.Rows)
	case res.Counted:
		return "ok " + strconv.Itoa(res.Affected)
	}
	return "ok"
}

// Outcome is what Format needs of a statement's result.
type Outcome struct {
	Err        *sql.Error
	RolledBack bool
	HasRows    bool
	Rows       [][]string // values as PostgreSQL prints them, NULL as NULL
	Counted    bool       // INSERT, UPDATE or DELETE without RETURNING
	Affected   int
}

// formatRows sorts rows column by column — numerically in a column whose
// every non-NULL value is an integer, bytewise otherwise, NULL last — and
// prints them as `rows (a,b) (c,d)`.
func formatRows(rows [][]string) string {
	numeric := func(col int) bool {
		for _, r := range rows {
			if r[col] == "NULL" {
				continue
			}
			if _, err := strconv.ParseInt(r[col], 10, 64); err != nil {
				return false
			}
		}
		return true
	}
	var numCols []bool
	if len(rows) > 0 {
		for c := range rows[0] {
			numCols = append(numCols, numeric(c))
		}
	}
	sorted := slices.Clone(rows)
	slices.SortStableFunc(sorted, func(a, b []string) int {
		for c := range a {
			if d := compareText(a[c], b[c], numCols[c]); d != 0 {
				return d
			}
		}
		return 0
	})
	var b strings.Builder
	b.WriteString("rows")
	for _, r := range sorted {
		b.WriteString(" (")
		b.WriteString(strings.Join(r, ","))
		b.WriteByte(')')
	}
	return b.String()
}

func compareText(a, b string, numeric bool) int {
	switch {
	case a == b:
		return 0
	case a == "NULL":
		return 1
	case b == "NULL":
		return -1
	case numeric:
		x, _ := strconv.ParseInt(a, 10, 64)
		y, _ := strconv.ParseInt(b, 10, 64)
		if x < y {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}
