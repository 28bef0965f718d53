package cli

import (
	"bytes"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/claims"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim/api"
)

// Goal: a strategy added the way Main adds one is a strategy like any
// other to the command, and Soak holds it to the catalogue's soak: a
// correct one passes, a wrong one is caught with a command that shows it.
// Method: register a copy of unique-409 under a new name, run `list` and
// `run --strategy` through Run, measure the table cell of a copy without
// crash points for a case that arms one, then soak it and naive over a few
// chaos worlds.
func TestRegisteredStrategy(t *testing.T) {
	mine := models.Unique409
	mine.Name = "my-unique"
	require.NoError(t, models.Register(mine), rerun(t, nil))
	t.Cleanup(models.Unregister)

	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"list", []string{"list"}, []string{"\nmy-unique\n  rule:     " + mine.Rule}},
		{"run", []string{"run", "--strategy", "my-unique", "--drop-response", "0.2", "--seed", "3"}, []string{"my-unique"}},
		{"help", []string{"run", "--help"}, []string{"my-unique"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Run(c.args, &stdout, &stderr)
			require.Equal(t, exitOK, code, "stderr: %s\n%s", stderr.String(), rerun(t, c.args))
			for _, w := range c.want {
				assert.Contains(t, stdout.String(), w, rerun(t, c.args))
			}
		})
	}

	t.Run("table-case-without-its-crash-point", func(t *testing.T) {
		i := slices.IndexFunc(claims.EdgeCases(), func(c claims.EdgeCase) bool { return c.Name == "crash after the charge" })
		require.GreaterOrEqual(t, i, 0, rerun(t, nil))
		// Its code does reach after-charge, so it must never run charging
		// without the point declared; the case is refused before any run.
		none := mine
		none.Name = "my-unique-without-points"
		none.CrashPoints = nil
		require.NoError(t, models.Register(none), rerun(t, nil))
		cell, err := measureCell(none.Name, claims.EdgeCases()[i], 1, 1)
		require.NoError(t, err, rerun(t, []string{"table"}))
		assert.True(t, cell.out.NotApplicable, "a strategy that names no crash point is n/a in a case that arms one; %s", rerun(t, []string{"table"}))
	})

	t.Run("a-bug-of-its-own", func(t *testing.T) {
		// A registered strategy that reaches a crash point it never
		// declared (or panics in its own code) is named as the suspect,
		// not reported as a bug of idemsim's.
		buggy := mine
		buggy.Name = "my-undeclared-point"
		boot := mine.Boot
		buggy.Boot = func(s api.Settings) api.Server {
			srv := boot(s)
			create := srv.Create
			srv.Create = func(env api.Env, req api.Request) api.Response {
				env.Crash("never-declared")
				return create(env, req)
			}
			return srv
		}
		require.NoError(t, models.Register(buggy), rerun(t, nil))
		args := []string{"run", "--strategy", buggy.Name}
		var stdout, stderr bytes.Buffer
		code := Run(args, &stdout, &stderr)
		assert.Equal(t, exitCrash, code, "stderr: %s\n%s", stderr.String(), rerun(t, args))
		assert.Contains(t, stderr.String(), "idemsim: a run of strategy my-undeclared-point panicked (that strategy is not idemsim's own but registered by this program: look at it first)", rerun(t, args))
		assert.Contains(t, stderr.String(), "reached crash point never-declared, which it does not declare in CrashPoints", rerun(t, args))
		assert.NotContains(t, stderr.String(), "a bug in idemsim, not in what it was given", rerun(t, args))
	})

	t.Run("soak", func(t *testing.T) {
		level := api.DefaultLevel
		good, err := Soak(mine, level, 20)
		require.NoError(t, err, rerun(t, nil))
		assert.Equal(t, 20, good.Worlds, rerun(t, nil))
		assert.False(t, good.Failed(), "%s\n%s", good, rerun(t, nil))
		bad, err := Soak(models.Naive, level, 20)
		require.NoError(t, err, rerun(t, nil))
		assert.True(t, bad.Failed(), "naive charges twice under chaos: %s\n%s", bad, rerun(t, nil))
		assert.Contains(t, bad.First, "run --strategy naive --isolation ", rerun(t, nil))
	})
}
