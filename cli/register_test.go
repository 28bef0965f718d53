package cli

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim/api"
)

// Goal: a strategy added the way Main adds one is a strategy like any
// other to the command, and Soak holds it to the catalogue's soak: a
// correct one passes, a wrong one is caught with a command that shows it.
// Method: register a copy of unique-409 under a new name, run `list` and
// `run --strategy` through Run, then soak it and naive over a few chaos
// worlds.
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
