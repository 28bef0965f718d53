package report_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/report"
)

// Goal: the committed report — results/index.html, every plot beside each
// cells.json, the counterexamples and their list — is what idemsim report
// makes of the committed results with the code as it is. Method: copy the
// committed results/ to a fresh directory, build the report there, and
// compare every file it wrote with the committed one, byte for byte, and
// the committed counterexamples with those written (none left over).
func TestCommittedReportIsFresh(t *testing.T) {
	rr := rerun(t) + " (after a deliberate change: make report, and commit results/)"
	committed := filepath.Join("..", "results")
	dir := filepath.Join(t.TempDir(), "results")
	require.NoError(t, os.CopyFS(dir, os.DirFS(committed)), rr)
	// Only the report's inputs stay: what it writes must be made anew.
	require.NoError(t, os.RemoveAll(filepath.Join(dir, report.CounterexamplesDir)), rr)
	require.NoError(t, os.Remove(filepath.Join(dir, report.PageFile)), rr)
	sum, err := report.Build(report.Options{Dir: dir})
	require.NoError(t, err, rr)
	require.NotEmpty(t, sum.Counterexamples, rr)
	for _, path := range sum.Written {
		rel, err := filepath.Rel(dir, path)
		require.NoError(t, err, rr)
		got, err := os.ReadFile(path)
		require.NoError(t, err, rr)
		want, err := os.ReadFile(filepath.Join(committed, rel))
		if !assert.NoError(t, err, "results/%s is not committed; %s", rel, rr) {
			continue
		}
		assert.True(t, bytes.Equal(want, got), "results/%s is stale; %s", rel, rr)
	}
	drawn, err := filepath.Glob(filepath.Join(committed, report.CounterexamplesDir, "*.png"))
	require.NoError(t, err, rr)
	assert.Len(t, drawn, len(sum.Counterexamples), "results/%s holds a diagram no counterexample draws; %s", report.CounterexamplesDir, rr)
}
