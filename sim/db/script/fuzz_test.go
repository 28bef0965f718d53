package script_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim/db/script"
	"github.com/idemsim/idemsim/sim/db/sql"
)

// maxFuzzSteps bounds the scripts the fuzz target runs (it parses any):
// a run of a few dozen statements takes milliseconds.
const maxFuzzSteps = 40

// outputLine is every form of line Run prints: a statement's result
// (rows, ok, rolled back, an error's SQLSTATE and message, blocked,
// session busy), a blocked statement's late result, a setup statement's
// error, and a session left blocked at the end.
var outputLine = regexp.MustCompile(`^(t[1-9][0-9]*: .* => (rows.*|ok.*|rolled back|error [0-9A-Z]{5}(: .*)?|blocked|session busy)|t[1-9][0-9]*: resumed => .*|setup: .* => error [0-9A-Z]{5}(: .*)?|t[1-9][0-9]*: still blocked)$`)

// Goal: any text given to idemsim sql is refused with one line or runs,
// and the simulated database answers every statement it runs — whatever
// SQL it holds, nested to the parser's limit or past it — with a result or
// a SQLSTATE of its own, never a panic or an internal error (XX000), the
// same way on a second run: one line per statement, in order, in the
// forms the output format has. Method: fuzzing, seeded with every script
// of sim/db/testdata/scripts, expressions nested to and past
// sql.MaxExprDepth, and testdata/fuzz/FuzzScript; each script of at most
// maxFuzzSteps statements runs at its first level, twice.
func FuzzScript(f *testing.F) {
	names, err := filepath.Glob(filepath.Join(scripts, "*.sql"))
	require.NoError(f, err)
	for _, name := range names {
		text, err := os.ReadFile(name)
		require.NoError(f, err)
		f.Add(string(text))
	}
	deep := func(k int) string { return strings.Repeat("(", k) + "id = 1" + strings.Repeat(")", k) }
	for _, s := range []string{
		"create table t (id int primary key, v int)\ninsert into t values (1, 1), (2, 2)\nt1: select * from t where " + deep(sql.MaxExprDepth) + "\n",
		"create table t (id int primary key, v int)\nt1: select * from t where " + deep(sql.MaxExprDepth+1) + "\nt1: select * from t\n",
		"create table t (id int primary key, v int)\nt1: update t set v = " + strings.Repeat("- ", sql.MaxExprDepth) + "v\n",
		"create table t (id int primary key, v int)\nt1: select * from t where id in (" + strings.Repeat("v, ", 3000) + "id)\n",
		"# levels: serializable\nt1: begin isolation level {level}\nt2: begin\nt1: commit\nt2: commit\n",
		"t0: select 1\n", "t1:\n", "# levels: bogus\nt1: begin\n", "t1: begin isolation level {level}\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		rerun := testcmd.Rerun(t, "./sim/db/script")
		sc, err := script.Parse("f.sql", text)
		if err != nil {
			assert.NotContains(t, err.Error(), "\n", "a one-line error\n%s", rerun)
			return
		}
		if len(sc.Setup)+len(sc.Steps) > maxFuzzSteps {
			return
		}
		o := script.DefaultOptions()
		o.Messages = true
		level := sc.Runs()[0]
		out := script.Run(sc, level, o)
		assert.Equal(t, out, script.Run(sc, level, o), "a second run prints the same\n%s", rerun)
		next := 0 // the step whose line comes next
		for _, line := range out {
			assert.Regexp(t, outputLine, line, "a line of the output format\n%s", rerun)
			assert.NotContains(t, line, "error XX000", "an internal error\n%s", rerun)
			if next < len(sc.Steps) {
				st := sc.Steps[next]
				if strings.HasPrefix(line, "t"+strconv.Itoa(st.Session)+": "+script.Substitute(st.Text, level)+" => ") {
					next++
				}
			}
		}
		assert.Equal(t, len(sc.Steps), next, "one line per statement of a session, in order\n%s", rerun)
	})
}
