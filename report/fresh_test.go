package report_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/report"
)

// written reports whether a file is one the report writes: a page, a plot
// or a diagram (the counterexamples' list is among the written files
// too).
func written(path string) bool {
	// idemsim check-examples --shrink writes the minimal runs' diagrams
	// there, not the report (cli's TestCheckExamplesShrinkIsFresh checks
	// them), and idemsim explore --matrix its catches' diagrams under
	// results/explore/ (cli's TestExploreMatrixIsFresh).
	if p := filepath.ToSlash(path); strings.Contains(p, "results/check-examples/shrink/") || strings.Contains(p, "results/explore/") {
		return false
	}
	switch filepath.Ext(path) {
	case ".html", ".png", ".svg":
		return true
	}
	return false
}

// Goal: the committed report — every page, every plot beside each
// cells.json, the counterexamples and their list — is what idemsim report
// makes of the committed results with the code as it is, and nothing an
// older build wrote is left. Method: copy the committed results/ to a
// fresh directory without any file the report writes, build the report
// there, and compare every file it wrote with the committed one, byte for
// byte; then every committed page, plot and diagram must be one it wrote.
// Not under -short: rebuilding the whole report (shrinking every
// counterexample) takes half a minute, and freshness is a check before a
// commit, which make test runs, not one of the edit loop.
func TestCommittedReportIsFresh(t *testing.T) {
	if testing.Short() {
		t.Skip("rebuilds the whole report: run without -short (make test does)")
	}
	rr := rerun(t) + " (after a deliberate change: make report, and commit results/)"
	committed := filepath.Join("..", "results")
	dir := filepath.Join(t.TempDir(), "results")
	require.NoError(t, os.CopyFS(dir, os.DirFS(committed)), rr)
	// Only the report's inputs stay: what it writes must be made anew.
	require.NoError(t, os.RemoveAll(filepath.Join(dir, report.CounterexamplesDir)), rr)
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !written(p) {
			return err
		}
		return os.Remove(p)
	}), rr)
	sum, err := report.Build(report.Options{Dir: dir})
	require.NoError(t, err, rr)
	require.NotEmpty(t, sum.Counterexamples, rr)
	var made []string
	for _, path := range sum.Written {
		rel, err := filepath.Rel(dir, path)
		require.NoError(t, err, rr)
		made = append(made, filepath.ToSlash(rel))
		got, err := os.ReadFile(path)
		require.NoError(t, err, rr)
		want, err := os.ReadFile(filepath.Join(committed, rel))
		if !assert.NoError(t, err, "results/%s is not committed; %s", rel, rr) {
			continue
		}
		assert.True(t, bytes.Equal(want, got), "results/%s is stale; %s", rel, rr)
	}
	require.NoError(t, filepath.WalkDir(committed, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !written(p) {
			return err
		}
		rel, err := filepath.Rel(committed, p)
		if err != nil {
			return err
		}
		assert.True(t, slices.Contains(made, filepath.ToSlash(rel)), "results/%s is not a file the report writes any more; %s", rel, rr)
		return nil
	}), rr)
}
