package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Goal: the parser follows the script format of
// sim/db/testdata/scripts/README.md. Method: small scripts, each checking one
// rule.

func TestStripComment(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"select 1", "select 1"},
		{"select 1 # why", "select 1 "},
		{"# whole line", ""},
		{"insert into t values ('#1') # c", "insert into t values ('#1') "},
		{"insert into t values ('it''s #1', 2)", "insert into t values ('it''s #1', 2)"},
		{"insert into t values ('a', '#') #x'y", "insert into t values ('a', '#') "},
		{"t1: select * from t where k = '#'#c", "t1: select * from t where k = '#'"},
	} {
		if got := StripComment(tc.in); got != tc.want {
			t.Errorf("StripComment(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParse(t *testing.T) {
	src := `# levels: read committed, serializable
# the case, the claim
create table test (id int primary key, value int)   # setup
t1: begin transaction isolation level {level}

  t2:   select * from test where id = 1   # padded
insert into test (id, value) values (1, 10), (2, 20)
t10: insert into test values (3, '#3') # a # in a string
`
	s, err := Parse("x.sql", src)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"read committed", "serializable"}; !reflect.DeepEqual(s.Levels, want) {
		t.Errorf("levels %q, want %q", s.Levels, want)
	}
	wantSetup := []Line{
		{No: 3, Text: "create table test (id int primary key, value int)"},
		{No: 7, Text: "insert into test (id, value) values (1, 10), (2, 20)"},
	}
	if !reflect.DeepEqual(s.Setup, wantSetup) {
		t.Errorf("setup %+v, want %+v", s.Setup, wantSetup)
	}
	wantSteps := []Line{
		{No: 4, Session: 1, Text: "begin transaction isolation level {level}"},
		{No: 6, Session: 2, Text: "select * from test where id = 1"},
		{No: 8, Session: 10, Text: "insert into test values (3, '#3')"},
	}
	if !reflect.DeepEqual(s.Steps, wantSteps) {
		t.Errorf("steps %+v, want %+v", s.Steps, wantSteps)
	}
	if got := s.Runs(); !reflect.DeepEqual(got, s.Levels) {
		t.Errorf("runs %q", got)
	}
}

func TestParseNoLevels(t *testing.T) {
	s, err := Parse("x.sql", "# just a comment\nt1: select 1\n")
	if err != nil {
		t.Fatal(err)
	}
	if s.Levels != nil || !reflect.DeepEqual(s.Runs(), []string{""}) {
		t.Errorf("levels %q runs %q, want none and one run with no level", s.Levels, s.Runs())
	}
	// The header counts only on the first line.
	s, err = Parse("x.sql", "\n# levels: serializable\nt1: select 1\n")
	if err != nil {
		t.Fatal(err)
	}
	if s.Levels != nil {
		t.Errorf("a levels header on line 2 was read: %q", s.Levels)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"level without header", "t1: begin transaction isolation level {level}\n", "no `# levels"},
		{"unknown level", "# levels: read committed, snapshot\n", `unknown level "snapshot"`},
		{"duplicate level", "# levels: serializable, serializable\n", "declared twice"},
		{"t0", "t0: select 1\n", "positive integer"},
		{"leading zero", "t01: select 1\n", "positive integer"},
		{"empty statement", "t1:   # nothing\n", "empty statement"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("x.sql", tc.src)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestSubstitute(t *testing.T) {
	got := Substitute("begin transaction isolation level {level}", "repeatable read")
	if want := "begin transaction isolation level repeatable read"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := Substitute("select 1", "serializable"); got != "select 1" {
		t.Errorf("got %q", got)
	}
}

func TestOutputName(t *testing.T) {
	for _, tc := range []struct{ path, level, want string }{
		{"d/g0.sql", "read committed", "d/g0.read-committed.pg15"},
		{"d/g0.sql", "read uncommitted", "d/g0.read-uncommitted.pg15"},
		{"d/err-syntax.sql", "", "d/err-syntax.pg15"},
	} {
		if got := OutputName(tc.path, tc.level); got != tc.want {
			t.Errorf("OutputName(%q, %q) = %q, want %q", tc.path, tc.level, got, tc.want)
		}
	}
}

// Every committed script parses, and each one that declares levels uses
// {level} in its begin lines.
func TestCommittedScriptsParse(t *testing.T) {
	paths, _ := filepath.Glob("../../sim/db/testdata/scripts/*.sql")
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Parse(p, string(src))
		if err != nil {
			t.Error(err)
			continue
		}
		if len(s.Levels) > 0 && !s.UsesLevel() {
			t.Errorf("%s declares levels but never uses {level}", p)
		}
		for _, l := range s.Runs() {
			if _, err := os.Stat(OutputName(p, l)); err != nil {
				t.Errorf("%s: no expected output for level %q: %v", p, l, err)
			}
		}
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-dsn", "x"},
		{"-dsn", "x", "-level", "snapshot", "f.sql"},
		{"-dsn", "x", "-write", "d", "f.sql"},
		{"f.sql"},
		{"-bogus"},
	} {
		err := run(t.Context(), args, nil, nil)
		if _, ok := err.(usageError); !ok {
			t.Errorf("run(%q) = %v, want a usage error", args, err)
		}
	}
}
