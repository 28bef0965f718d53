package models_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim/api"
)

// Goal: every strategy is complete — a unique name Lookup finds, its rule in
// one sentence, the thread position it implements stated in our own words
// (no pasted quotation), a contract the oracle knows, a schema that creates
// its ledger tables, and crash points with usable names.
// Method: inspect each registered strategy's declaration.
func TestStrategiesAreComplete(t *testing.T) {
	names := map[string]bool{}
	pointName := regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	for _, s := range models.All() {
		t.Run(s.Name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./models")
			assert.NotEmpty(t, s.Rule, rerun)
			assert.NotContains(t, s.Rule, ". ", "the rule is one sentence; %s", rerun)
			assert.NotNil(t, s.Boot, rerun)
			assert.Contains(t, api.Contracts(), s.Contract, rerun)
			assert.False(t, names[s.Name], "duplicate name %s; %s", s.Name, rerun)
			names[s.Name] = true
			require.NotEmpty(t, s.Position, rerun)
			assert.NotContains(t, s.Position, `"`, "state the position in our own words, not as a quotation; %s", rerun)
			assert.NotEmpty(t, s.Ledger, "a strategy names the tables its effects land in; %s", rerun)
			for _, table := range s.Ledger {
				assert.True(t, slices.ContainsFunc(s.Schema, func(ddl string) bool {
					return strings.HasPrefix(ddl, "create table "+table+" ")
				}), "ledger table %s is created by the schema; %s", table, rerun)
			}
			for _, p := range s.CrashPoints {
				assert.Regexp(t, pointName, p, rerun)
			}
			found, err := models.Lookup(s.Name)
			require.NoError(t, err, rerun)
			assert.Equal(t, s.Name, found.Name, rerun)
		})
	}
	_, err := models.Lookup("no-such-strategy")
	assert.ErrorContains(t, err, "accepted: "+strings.Join(models.Names(), ", "), testcmd.Rerun(t, "./models"))
}
