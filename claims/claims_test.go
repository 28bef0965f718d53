package claims_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/claims"
	"github.com/idemsim/idemsim/internal/testcmd"
)

// Goal: the embedded claim files parse — each a numbered claim with an
// explanation and at least one named, commented scenario with flags — and
// names are unique across files.
// Method: parse them all and inspect.
func TestEmbeddedClaimsParse(t *testing.T) {
	rerun := testcmd.Rerun(t, "./claims")
	all, err := claims.All()
	require.NoError(t, err, rerun)
	require.NotEmpty(t, all, rerun)
	last := 0
	for _, c := range all {
		assert.Greater(t, c.N, last, "claims in order, each once: %s; %s", c.File, rerun)
		last = c.N
		assert.NotEmpty(t, c.Text, rerun)
		assert.NotEmpty(t, c.About, "claim %d says where it comes from; %s", c.N, rerun)
		for _, s := range c.Scenarios {
			assert.NotEmpty(t, s.Comment, "scenario %s says what it shows; %s", s.Name, rerun)
			if s.Script == "" {
				assert.Contains(t, s.Args, "--strategy", "scenario %s names its strategy; %s", s.Name, rerun)
			}
			found, err := claims.Lookup(s.Name)
			require.NoError(t, err, rerun)
			assert.Equal(t, s.Args, found.Args, rerun)
		}
	}
}

// Goal: a malformed claim file is refused with its file, line and what is
// expected. Method: table of broken files.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"no-claim-line", "# something\n", "f.txt:1: the file starts with '# Claim N: the claim'"},
		{"empty", "", "f.txt:1: the file starts with '# Claim N: the claim'"},
		{"no-scenario", "# Claim 3: x.\n# about\n", "claim 3 has no scenario"},
		{"bad-directive", "# Claim 3: x.\n\nrun name=a\n--strategy naive\n----\n", "want 'run scenario=NAME expect=holds|breaks|KINDS' or 'sql scenario=NAME'"},
		{"bad-name", "# Claim 3: x.\n\nrun scenario=A_B expect=holds\n--strategy naive\n----\n", `scenario name "A_B"`},
		{"no-flags", "# Claim 3: x.\n\nrun scenario=a expect=holds\n----\n", "scenario a has no flags"},
		{"no-script", "# Claim 3: x.\n\nsql scenario=a\n\n----\n", "scenario a has no script"},
		{"no-verdict", "# Claim 3: x.\n\nrun scenario=a\n--strategy naive\n----\n", "want 'run scenario=NAME expect=holds|breaks|KINDS'"},
		{"bad-verdict", "# Claim 3: x.\n\nrun scenario=a expect=maybe\n--strategy naive\n----\n", `scenario a: expect=maybe: "maybe" is no verdict (accepted: holds, breaks, or kinds among duplicate, `},
		{"kind-twice", "# Claim 3: x.\n\nrun scenario=a expect=lost,lost\n--strategy naive\n----\n", "expect=lost,lost: lost is named twice"},
		{"holds-expects-breaks", "# Claim 3: x.\n\n# Holds: fine.\nrun scenario=a expect=duplicate\n--strategy naive\n----\n", "its comment says Holds, its directive expect=duplicate"},
		{"breaks-expects-holds", "# Claim 3: x.\n\n# Breaks: twice.\nrun scenario=a expect=holds\n--strategy naive\n----\n", "its comment says Breaks, its directive expect=holds"},
		{"stray-line", "# Claim 3: x.\n\nhello\n", `unexpected line "hello"`},
		{"open-block", "# Claim 3: x.\n\nrun scenario=a expect=holds\n--strategy naive\n----\n----\nout\n", "not closed"},
		{"swallowing-block", "# Claim 3: x.\n\nrun scenario=a expect=holds\n--strategy naive\n----\n----\n\nrun scenario=b expect=holds\n--strategy naive\n----\n----\n", `holds the directive "run scenario=b expect=holds"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := claims.Parse("f.txt", tc.text)
			assert.ErrorContains(t, err, tc.want, testcmd.Rerun(t, "./claims"))
		})
	}
	_, err := claims.Lookup("no-such-scenario")
	assert.ErrorContains(t, err, "accepted: ", testcmd.Rerun(t, "./claims"))
}

// Goal: flags split as a shell splits them, shrink.Quote's '\” included;
// a backslash with nothing after it is refused. Method: table.
func TestSplitArgs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"--a 1\n--b  2", []string{"--a", "1", "--b", "2"}},
		{"--fault 'drop-response c1/o1.1/a1'", []string{"--fault", "drop-response c1/o1.1/a1"}},
		{`--note 'it'\''s'`, []string{"--note", "it's"}},
		{`a\ b 'c\d'`, []string{"a b", `c\d`}},
		{"", nil},
	} {
		assert.Equal(t, tc.want, claims.SplitArgs(tc.in), testcmd.Rerun(t, "./claims"))
	}
	_, err := claims.ParseArgs(`--note x\`)
	assert.ErrorContains(t, err, "a \\ ends the flags", testcmd.Rerun(t, "./claims"))
}

// Goal: a SQL scenario is the same script as the one recorded on
// PostgreSQL 15 that its comment names, so the claim rests on PostgreSQL's
// behaviour, not only the simulation's. Method: compare the texts.
func TestSQLScenariosAreRecordedScripts(t *testing.T) {
	rerun := testcmd.Rerun(t, "./claims")
	all, err := claims.All()
	require.NoError(t, err, rerun)
	named := regexp.MustCompile(`sim/db/testdata/scripts/([a-z0-9-]+)`)
	for _, c := range all {
		for _, s := range c.Scenarios {
			if s.Script == "" {
				continue
			}
			m := named.FindStringSubmatch(s.Comment)
			require.NotNil(t, m, "SQL scenario %s names its recorded script; %s", s.Name, rerun)
			recorded, err := os.ReadFile("../sim/db/testdata/scripts/" + m[1] + ".sql")
			require.NoError(t, err, rerun)
			assert.Equal(t, string(recorded), s.Script, "scenario %s differs from %s.sql; %s", s.Name, m[1], rerun)
			_, err = os.Stat("../sim/db/testdata/scripts/" + m[1] + ".serializable.pg15")
			assert.NoError(t, err, "%s is recorded on PostgreSQL 15; %s", m[1], rerun)
		}
	}
}

// Goal: a single-run scenario file (what idemsim shrink writes) gives its
// flags; anything else is refused with the line at fault.
func TestParseRunFile(t *testing.T) {
	rerun := testcmd.Rerun(t, "./claims")
	args, comment, err := claims.ParseRunFile("f.txt", "# Shrunk.\n# Two lines.\nrun\n--strategy naive --fault 'drop-response c1/o1.1/a1'\n--trace\n----\n----\nout\n\nmore\n----\n----\n")
	require.NoError(t, err, rerun)
	assert.Equal(t, []string{"--strategy", "naive", "--fault", "drop-response c1/o1.1/a1", "--trace"}, args, rerun)
	assert.Equal(t, "Shrunk. Two lines.", comment, rerun)
	for _, tc := range []struct{ name, text, want string }{
		{"empty", "", "f.txt:0: no run directive"},
		{"two-runs", "run\n--strategy naive\n----\nx\n\nrun\n--strategy naive\n----\n", "f.txt:6: a second run directive"},
		{"no-flags", "run\n----\n", "the run directive has no flags"},
		{"stray", "hello\n", `f.txt:1: unexpected line "hello"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := claims.ParseRunFile("f.txt", tc.text)
			assert.ErrorContains(t, err, tc.want, rerun)
		})
	}
}

// Goal: a scenario file is read whole whatever the length of its lines
// (a line over 64 KB once ended the scan silently and the file was said
// to hold no run directive), and a quote left open in its flags is
// refused instead of swallowing the rest of the file into one value.
// Method: a run file and a claim file with a 100 KB comment and a 100 KB
// flag value, which must parse; then each with an unterminated quote, and
// ParseArgs and SplitArgs on one.
func TestScenarioFilesLongLinesAndOpenQuotes(t *testing.T) {
	rerun := testcmd.Rerun(t, "./claims")
	long := strings.Repeat("x", 100<<10)
	args, comment, err := claims.ParseRunFile("f.txt", "# "+long+"\nrun\n--strategy naive --fault '"+long+"'\n----\n")
	require.NoError(t, err, rerun)
	assert.Equal(t, []string{"--strategy", "naive", "--fault", long}, args, rerun)
	assert.Equal(t, long, comment, rerun)
	c, err := claims.Parse("f.txt", "# Claim 3: x.\n# "+long+"\n\n# "+long+"\nrun scenario=a expect=holds\n--strategy naive --seed '"+long+"'\n----\n")
	require.NoError(t, err, rerun)
	require.Len(t, c.Scenarios, 1, rerun)
	assert.Equal(t, []string{"--strategy", "naive", "--seed", long}, c.Scenarios[0].Args, rerun)

	const open = "unterminated quote: a ' is never closed"
	_, _, err = claims.ParseRunFile("f.txt", "run\n--strategy naive --fault 'drop-response c1/o1.1/a1\n--trace\n----\n")
	assert.ErrorContains(t, err, "f.txt:4: the run directive's flags: "+open, rerun)
	_, err = claims.Parse("f.txt", "# Claim 3: x.\n\nrun scenario=a expect=holds\n--strategy 'naive\n----\n")
	assert.ErrorContains(t, err, "f.txt:5: scenario a: "+open, rerun)
	got, err := claims.ParseArgs("--fault 'drop-response c1/o1.1/a1")
	assert.ErrorContains(t, err, open, rerun)
	assert.Equal(t, []string{"--fault", "drop-response c1/o1.1/a1"}, got, rerun)
	assert.Equal(t, got, claims.SplitArgs("--fault 'drop-response c1/o1.1/a1"), "SplitArgs stays lenient\n%s", rerun)
}

// Goal: a directive's verdict is checked against what the run showed: holds
// means no violation, breaks at least one, a list of kinds exactly those.
// Method: table of verdicts and audit counts.
func TestExpectCheck(t *testing.T) {
	for _, tc := range []struct {
		name, expect string
		counts       map[check.Kind]int
		want         string // "" when it agrees
	}{
		{"holds-clean", "holds", nil, ""},
		{"holds-broken", "holds", map[check.Kind]int{check.Stuck: 1}, "expected holds, the run shows stuck"},
		{"breaks-broken", "breaks", map[check.Kind]int{check.Lost: 2}, ""},
		{"breaks-clean", "breaks", map[check.Kind]int{check.Lost: 0}, "expected breaks, the run shows holds"},
		{"kinds-exact", "orphan-charge,duplicate", map[check.Kind]int{check.Duplicate: 1, check.OrphanCharge: 1}, ""},
		{"kinds-missing", "duplicate,orphan-charge", map[check.Kind]int{check.Duplicate: 1}, "expected duplicate,orphan-charge, the run shows duplicate"},
		{"kinds-extra", "duplicate", map[check.Kind]int{check.Duplicate: 1, check.Lost: 1}, "expected duplicate, the run shows duplicate,lost"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./claims")
			c, err := claims.Parse("f.txt", "# Claim 3: x.\n\nrun scenario=a expect="+tc.expect+"\n--strategy naive\n----\n")
			require.NoError(t, err, rerun)
			err = c.Scenarios[0].Expect.Check(tc.counts)
			if tc.want == "" {
				assert.NoError(t, err, rerun)
			} else {
				assert.EqualError(t, err, tc.want, rerun)
			}
		})
	}
}

// Goal: every run scenario of the embedded claims states its verdict, and
// one whose comment puts it on a side of its claim states that side.
// Method: parse them all; Parse refuses a directive without expect= and a
// side that disagrees, so what is left to check is that the verdicts are
// there to be read.
func TestEveryRunScenarioStatesItsVerdict(t *testing.T) {
	rerun := testcmd.Rerun(t, "./claims")
	all, err := claims.All()
	require.NoError(t, err, rerun)
	sides := map[string]int{}
	for _, c := range all {
		for _, s := range c.Scenarios {
			if s.Script != "" {
				continue
			}
			sides[map[bool]string{false: "holds", true: "breaks"}[s.Expect.Breaks]]++
			switch {
			case strings.HasPrefix(s.Comment, "Holds"):
				assert.False(t, s.Expect.Breaks, "scenario %s; %s", s.Name, rerun)
			case strings.HasPrefix(s.Comment, "Breaks"):
				assert.True(t, s.Expect.Breaks, "scenario %s; %s", s.Name, rerun)
				assert.NotEmpty(t, s.Expect.Kinds, "scenario %s names the kinds it breaks with; %s", s.Name, rerun)
			}
		}
	}
	assert.Positive(t, sides["holds"], rerun)
	assert.Positive(t, sides["breaks"], rerun)
}
