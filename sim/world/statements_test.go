package world_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/db/sql"
	"github.com/idemsim/idemsim/sim/world"
)

// Goal: Config.LogStatements only observes: a run logs the same trace
// with it as without it, for every strategy in a stormy world; and the
// log holds one entry per database call an actor saw answered, numbered
// as the call references number them. Method: run each world both ways
// and compare the trace hashes; every statement's reference must parse,
// and no actor's call number may repeat.
func TestLogStatementsObservesOnly(t *testing.T) {
	for _, s := range append(models.All(), everything) {
		t.Run(s.Name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./sim/world")
			cfg := stormy(s, 7)
			plain, err := world.Run(cfg)
			require.NoError(t, err, rerun)
			assert.Empty(t, plain.Statements, "a run that does not ask logs nothing; %s", rerun)
			cfg.LogStatements = true
			logged, err := world.Run(cfg)
			require.NoError(t, err, rerun)
			assert.Equal(t, plain.TraceHash, logged.TraceHash, "the log changed the run; %s", rerun)
			seen := map[string]bool{}
			for _, st := range logged.Statements {
				ref := st.Actor + "/db" + strconv.Itoa(int(st.Call))
				_, err := faults.ParseRef(ref)
				assert.NoError(t, err, "%s; %s", ref, rerun)
				assert.False(t, seen[ref], "%s logged twice; %s", ref, rerun)
				seen[ref] = true
			}
			if len(s.Schema) > 0 {
				assert.NotEmpty(t, logged.Statements, "a strategy with a schema runs statements; %s", rerun)
			}
		})
	}
}

// Goal: the log says what each statement got and whether it waited, in
// the two races the claims are about. Method: two clients submit one
// operation at once; under select-for-update the second one's SELECT
// FOR UPDATE waits for the first one's row lock and then reads the row;
// under its NOWAIT form it fails at once with 55P03 without waiting (the
// first attempts' statements are looked at: the NOWAIT loser retries).
func TestLogStatementsRaces(t *testing.T) {
	for _, c := range []struct {
		strategy string
		text     string // the statement to look at, normalised
		results  []string
		waited   []bool
	}{
		{models.SelectForUpdate.Name, "select fingerprint, state, response from idempotency_keys where key = $1 for update", []string{"ok 1", "ok 1"}, []bool{false, true}},
		{models.SelectForUpdateNowait.Name, "select fingerprint, state, response from idempotency_keys where key = $1 for update nowait", []string{"ok 1", sql.CodeLockNotAvailable}, []bool{false, false}},
	} {
		t.Run(c.strategy, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./sim/world")
			s, err := models.Lookup(c.strategy)
			require.NoError(t, err, rerun)
			cfg := single(s)
			cfg.WorkersPerOp = 2
			cfg.Clients = 2
			cfg.LogStatements = true
			res, err := world.Run(cfg)
			require.NoError(t, err, rerun)
			var results []string
			var waited []bool
			for _, st := range res.Statements {
				if st.Text == c.text && strings.HasSuffix(st.Actor, "/a1") {
					results = append(results, st.Result())
					waited = append(waited, st.Waited)
				}
			}
			assert.Equal(t, c.results, results, "%+v; %s", res.Statements, rerun)
			assert.Equal(t, c.waited, waited, "%+v; %s", res.Statements, rerun)
		})
	}
}

// Goal: a statement's entry reads the same from either database's answer.
// Method: NewStatement on hand-made answers.
func TestNewStatement(t *testing.T) {
	actor := faults.Ref{Caller: "c1", Op: api.OpID{Queue: 1, Index: 1}, Attempt: 2, Service: api.ServiceDB, Call: 3}
	for _, c := range []struct {
		name  string
		query string
		res   api.Result
		err   error
		want  string
	}{
		{"select", "SELECT  id\n FROM t WHERE k = 'A  B'", api.Result{Cols: []string{"id"}, Rows: make([][]api.Value, 2)}, nil, "select id from t where k = 'A  B'|ok 2"},
		{"empty select", "select id from t", api.Result{Cols: []string{"id"}}, nil, "select id from t|ok 0"},
		{"update", "update t set v = 1", api.Result{Affected: 3}, nil, "update t set v = 1|ok 3"},
		{"begin", "BEGIN", api.Result{}, nil, "begin|ok"},
		{"unique violation", "insert into t values (1)", api.Result{}, &sql.Error{Code: sql.CodeUniqueViolation}, "insert into t values (1)|23505"},
		{"broken connection", "commit", api.Result{}, api.ErrConnection, "commit|08006"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./sim/world")
			st := world.NewStatement(actor, 4, c.query, c.res, c.err, false)
			assert.Equal(t, "c1/o1.1/a2", st.Actor, rerun)
			assert.Equal(t, int32(4), st.Call, rerun)
			assert.Equal(t, c.want, st.Text+"|"+st.Result(), rerun)
		})
	}
}
