package models_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim/world"
)

// Goal: every strategy traces back to the thread — its Position is the
// thread's own words, found verbatim in ../shared/seeds — and is complete
// (name, rule, contract, Boot), with a unique name Lookup finds.
// Method: read the seeds, normalize whitespace, look for each Position.
func TestStrategiesTraceBackToTheThread(t *testing.T) {
	const cmd = "go test ./models -run TestStrategiesTraceBackToTheThread"
	files, err := filepath.Glob("../../shared/seeds/*.txt")
	require.NoError(t, err, cmd)
	require.NotEmpty(t, files, "the thread lives in ../shared/seeds beside the checkout; "+cmd)
	var thread strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err, cmd)
		thread.WriteString(strings.Join(strings.Fields(string(b)), " "))
		thread.WriteByte('\n')
	}
	names := map[string]bool{}
	for _, s := range models.All() {
		t.Run(s.Name, func(t *testing.T) {
			assert.NotEmpty(t, s.Rule, cmd)
			assert.NotNil(t, s.Boot, cmd)
			assert.Contains(t, []world.Contract{world.ContractNone, world.ContractReplay, world.Contract409, world.ContractPoll202}, s.Contract, cmd)
			assert.False(t, names[s.Name], "duplicate name %s; %s", s.Name, cmd)
			names[s.Name] = true
			pos := strings.Join(strings.Fields(s.Position), " ")
			require.NotEmpty(t, pos, cmd)
			assert.Contains(t, thread.String(), pos, "Position must quote the thread verbatim; %s", cmd)
			found, err := models.Lookup(s.Name)
			require.NoError(t, err, cmd)
			assert.Equal(t, s.Name, found.Name, cmd)
		})
	}
	_, err = models.Lookup("no-such-strategy")
	assert.ErrorContains(t, err, "accepted: naive, local-cache", cmd)
}
