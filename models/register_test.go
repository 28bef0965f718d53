package models_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim/api"
)

// Goal: a strategy from outside the catalogue joins All, Names and Lookup
// after the catalogue's, and an incomplete or clashing one is refused with
// a one-line reason. Method: register copies of a catalogue strategy under
// new names and broken variants of it, and look at what each call returns.
func TestRegister(t *testing.T) {
	rerun := testcmd.Rerun(t, "./models")
	for _, s := range models.Builtin() {
		require.NoError(t, models.Check(s), rerun)
	}
	good := models.Unique409
	good.Name = "my-unique"
	cases := []struct {
		name   string
		edit   func(s *api.Strategy)
		errHas string
	}{
		{"taken name", func(s *api.Strategy) { s.Name = "naive" }, "the name is taken"},
		{"bad name", func(s *api.Strategy) { s.Name = "My Strategy" }, "lower-case"},
		{"no rule", func(s *api.Strategy) { s.Rule = "" }, "Rule is empty"},
		{"no boot", func(s *api.Strategy) { s.Boot = nil }, "Boot is nil"},
		{"unknown contract", func(s *api.Strategy) { s.Contract = "maybe" }, `unknown contract "maybe"`},
		{"ledger not created", func(s *api.Strategy) { s.Ledger = []string{"nowhere"} }, "ledger table nowhere"},
		{"crash point", func(s *api.Strategy) { s.CrashPoints = []string{"After Work"} }, `crash point "After Work"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Cleanup(models.Unregister)
			bad := good
			c.edit(&bad)
			err := models.Register(bad)
			require.Error(t, err, rerun)
			assert.Contains(t, err.Error(), c.errHas, rerun)
			assert.Len(t, models.All(), len(models.Builtin()), "a refused strategy is not added; %s", rerun)
		})
	}
	t.Run("added", func(t *testing.T) {
		t.Cleanup(models.Unregister)
		other := good
		other.Name = "my-other"
		require.NoError(t, models.Register(good, other), rerun)
		names := models.Names()
		assert.Equal(t, []string{"my-unique", "my-other"}, names[len(names)-2:], rerun)
		found, err := models.Lookup("my-other")
		require.NoError(t, err, rerun)
		assert.Equal(t, "my-other", found.Name, rerun)
		assert.Error(t, models.Register(good), "registering a name twice is refused; %s", rerun)
	})
}
