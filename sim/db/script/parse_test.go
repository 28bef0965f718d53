package script

import (
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
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
			failf(t, "StripComment(%q) = %q, want %q", tc.in, got, tc.want)
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
		require.NoError(t, err, testcmd.Rerun(t, "./sim/db/script"))
	}
	if want := []string{"read committed", "serializable"}; !reflect.DeepEqual(s.Levels, want) {
		failf(t, "levels %q, want %q", s.Levels, want)
	}
	wantSetup := []Line{
		{No: 3, Text: "create table test (id int primary key, value int)"},
		{No: 7, Text: "insert into test (id, value) values (1, 10), (2, 20)"},
	}
	if !reflect.DeepEqual(s.Setup, wantSetup) {
		failf(t, "setup %+v, want %+v", s.Setup, wantSetup)
	}
	wantSteps := []Line{
		{No: 4, Session: 1, Text: "begin transaction isolation level {level}"},
		{No: 6, Session: 2, Text: "select * from test where id = 1"},
		{No: 8, Session: 10, Text: "insert into test values (3, '#3')"},
	}
	if !reflect.DeepEqual(s.Steps, wantSteps) {
		failf(t, "steps %+v, want %+v", s.Steps, wantSteps)
	}
	if got := s.Runs(); !reflect.DeepEqual(got, s.Levels) {
		failf(t, "runs %q", got)
	}
}

func TestParseNoLevels(t *testing.T) {
	s, err := Parse("x.sql", "# just a comment\nt1: select 1\n")
	if err != nil {
		require.NoError(t, err, testcmd.Rerun(t, "./sim/db/script"))
	}
	if s.Levels != nil || !reflect.DeepEqual(s.Runs(), []string{""}) {
		failf(t, "levels %q runs %q, want none and one run with no level", s.Levels, s.Runs())
	}
	// The header counts only on the first line.
	s, err = Parse("x.sql", "\n# levels: serializable\nt1: select 1\n")
	if err != nil {
		require.NoError(t, err, testcmd.Rerun(t, "./sim/db/script"))
	}
	if s.Levels != nil {
		failf(t, "a levels header on line 2 was read: %q", s.Levels)
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
				failf(t, "error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestSubstitute(t *testing.T) {
	got := Substitute("begin transaction isolation level {level}", "repeatable read")
	if want := "begin transaction isolation level repeatable read"; got != want {
		failf(t, "got %q, want %q", got, want)
	}
	if got := Substitute("select 1", "serializable"); got != "select 1" {
		failf(t, "got %q", got)
	}
}
