package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim/world"
)

// Goal: results/sim-vs-live/statements.md is what the committed logs and
// the simulator say now, and every statement answered otherwise live is
// explained. Method: read the committed statements.json; statements.md
// must be what statementsTable draws from it; it must list every claim
// scenario whose strategy uses the database, with the same flags, and
// the simulated log of each must be the one the simulator logs now (it is
// deterministic); every scenario with a difference of answer or of
// blocking has a note in statementNotes, and every note is of such a
// scenario. The live runs themselves are `idemsim sim-vs-live
// --statements`.
func TestStatementsAreFresh(t *testing.T) {
	rerun := testcmd.Rerun(t, "./cli")
	dir := filepath.Join("..", "results", "sim-vs-live")
	data, err := readStmtLogs(filepath.Join(dir, "statements.json"))
	require.NoError(t, err, "%s; regenerate with: idemsim sim-vs-live --statements", rerun)
	table, err := os.ReadFile(filepath.Join(dir, "statements.md"))
	require.NoError(t, err, rerun)
	assert.Equal(t, statementsTable(data), string(table), "statements.md is stale: idemsim sim-vs-live --statements --table-only; %s", rerun)
	scs, err := statementScenarios()
	require.NoError(t, err, rerun)
	var names, recorded []string
	for _, sc := range scs {
		names = append(names, sc.Name)
	}
	for _, s := range data.Scenarios {
		recorded = append(recorded, s.Name)
		i := indexScenario(scs, s.Name)
		if !assert.True(t, i >= 0, "statements.json names %s, which is gone or no longer uses the database; idemsim sim-vs-live --statements; %s", s.Name, rerun) {
			continue
		}
		assert.Equal(t, scs[i].Args, s.Args, "%s: its flags changed since the live runs; idemsim sim-vs-live --statements --scenario %s; %s", s.Name, s.Name, rerun)
		assert.Equal(t, data.Runs, len(s.Live)+runsIfSkipped(s, data.Runs), "%s: live logs; %s", s.Name, rerun)
		if testing.Short() {
			continue
		}
		_, res, err := simStatements(scs[i])
		require.NoError(t, err, "%s; %s", s.Name, rerun)
		assert.Equal(t, s.Sim, res.Statements, "%s: the simulator's statements changed since the live runs; idemsim sim-vs-live --statements --scenario %s; %s", s.Name, s.Name, rerun)
	}
	assert.Equal(t, names, recorded, "statements.json must cover every scenario that uses the database, in the claims' order; idemsim sim-vs-live --statements; %s", rerun)
	for _, s := range data.Scenarios {
		if answerDiffs(s) {
			assert.NotEmpty(t, statementNotes[s.Name], "%s: a statement got another answer or waited on one side only, and statementNotes has no note on it; %s", s.Name, rerun)
		}
	}
	for name := range statementNotes {
		i := indexStmtScenario(data.Scenarios, name)
		assert.True(t, i >= 0 && answerDiffs(data.Scenarios[i]), "the note on %s explains a difference the logs no longer show; %s", name, rerun)
	}
}

func runsIfSkipped(s stmtScenario, runs int) int {
	if s.Skipped != "" {
		return runs
	}
	return 0
}

func indexStmtScenario(list []stmtScenario, name string) int {
	for i, s := range list {
		if s.Name == name {
			return i
		}
	}
	return -1
}

// Goal: the comparison matches live calls with simulated ones as the
// table says: by actor and call number, racing handlers paired by the
// part they played, and each difference classed as one of answer (code,
// rows, blocking) or of path (an actor or a call on one side only,
// another statement at the same call). Method: hand-made logs, one live
// run each, against one simulated log of two racing handlers.
func TestCompareStatements(t *testing.T) {
	st := func(actor string, call int32, text, code string, count int, waited bool) world.Statement {
		return world.Statement{Actor: actor, Call: call, Text: text, Code: code, Count: count, Waited: waited}
	}
	sim := []world.Statement{
		st("c1/o1.1/a1", 1, "begin", "ok", -1, false),
		st("c1/o1.1/a1", 2, "select for update", "ok", 1, false),
		st("c1/o1.1/a1", 3, "insert", "ok", 1, false),
		st("c1/o1.1/a1", 4, "commit", "ok", -1, false),
		st("c2/o1.1/a1", 1, "begin", "ok", -1, false),
		st("c2/o1.1/a1", 2, "select for update", "ok", 1, true),
		st("c2/o1.1/a1", 3, "commit", "ok", -1, false),
	}
	// swapped is sim with the two handlers' parts played the other way.
	swapped := func() []world.Statement {
		var out []world.Statement
		for _, s := range sim {
			if strings.HasPrefix(s.Actor, "c1") {
				s.Actor = "c2/o1.1/a1"
			} else {
				s.Actor = "c1/o1.1/a1"
			}
			out = append(out, s)
		}
		return out
	}
	with := func(i int, f func(*world.Statement)) []world.Statement {
		out := append([]world.Statement{}, sim...)
		f(&out[i])
		return out
	}
	for _, c := range []struct {
		name                                   string
		live                                   []world.Statement
		matched, sameCode, sameCount, sameWait int
		diffs                                  []string // What of each difference, "path: " before those of path
	}{
		{"identical", sim, 7, 7, 7, 7, nil},
		{"roles swapped", swapped(), 7, 7, 7, 7, []string{
			"path: the race went the other way: live, the handler c1/o1.1/a1 did what c2/o1.1/a1 did in the simulation, and is compared with it",
			"path: the race went the other way: live, the handler c2/o1.1/a1 did what c1/o1.1/a1 did in the simulation, and is compared with it"}},
		{"another code", with(2, func(s *world.Statement) { s.Code, s.Count = "23505", -1 }), 7, 6, 6, 7, []string{"simulated ok 1, live 23505"}},
		{"other rows", with(2, func(s *world.Statement) { s.Count = 0 }), 7, 7, 6, 7, []string{"simulated ok 1, live ok 0"}},
		{"wait unseen", with(5, func(s *world.Statement) { s.Waited = false }), 7, 7, 7, 6, []string{"waited for a lock only simulated"}},
		{"an actor only live", append(append([]world.Statement{}, sim...), st("s1/reaper", 1, "delete", "ok", 0, false)), 7, 7, 7, 7, []string{"path: the actor ran only live"}},
		{"an actor only simulated", sim[:4], 4, 4, 4, 4, []string{"path: the actor ran only in the simulation"}},
		{"paths part", with(2, func(s *world.Statement) { s.Text = "rollback" }), 5, 5, 5, 5, []string{"path: live sent `rollback` instead"}},
		{"fewer calls live", sim[:6], 6, 6, 6, 6, []string{"path: the simulated actor made more calls (live it stopped at call 2)"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./cli")
			got := compareStatements(stmtScenario{Name: "x", Sim: sim, Live: [][]world.Statement{c.live}})
			assert.Equal(t, []int{c.matched, c.sameCode, c.sameCount, c.sameWait}, []int{got.Matched, got.SameCode, got.SameCount, got.SameWait}, "matched, same code, same rows, same blocking; %s", rerun)
			var diffs []string
			for _, d := range got.Diffs {
				w := d.What
				if d.Path {
					w = "path: " + w
				}
				diffs = append(diffs, w)
			}
			assert.Equal(t, c.diffs, diffs, rerun)
		})
	}
}
