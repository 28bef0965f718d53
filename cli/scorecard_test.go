package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/report"
)

// Goal: the scorecard is generated, never typed: results/scorecard.md and
// the README's scorecard section are what `idemsim scorecard` prints from
// the committed results, so a change of the results (make experiments)
// that is not followed by make results and the README fails here.
// Method: run the command on results/ and compare; -update rewrites both.
func TestScorecardIsFresh(t *testing.T) {
	const readmePath = "../README.md"
	const begin, end = "<!-- scorecard:begin -->\n", "<!-- scorecard:end -->\n"
	args := []string{"scorecard", "--results", "../results"}
	r := runCLI(t, args...)
	require.Equal(t, 0, r.code, "stderr: %q\n%s", r.stderr, rerun(t, args))
	committed := filepath.Join("../results", report.ScorecardFile)
	readme, err := os.ReadFile(readmePath)
	require.NoError(t, err, rerun(t, args))
	text := string(readme)
	i, j := strings.Index(text, begin), strings.Index(text, end)
	require.True(t, i >= 0 && j > i, "README.md has no %q ... %q section; %s", begin, end, rerun(t, args))
	if *update {
		require.NoError(t, writeFileAtomic(committed, []byte(r.stdout)), rerun(t, args))
		text = text[:i+len(begin)] + r.stdout + text[j:]
		require.NoError(t, writeFileAtomic(readmePath, []byte(text)), rerun(t, args))
		return
	}
	got, err := os.ReadFile(committed)
	require.NoError(t, err, "make results writes it; %s", rerun(t, args))
	assert.Equal(t, r.stdout, string(got), "results/scorecard.md is stale (make results, after make experiments); %s", rerun(t, args))
	assert.Equal(t, r.stdout, text[i+len(begin):j], "the README's scorecard is stale (add -update); %s", rerun(t, args))
}

// Goal: the scorecard's rows say what the committed results hold: a
// strategy that showed nothing anywhere scores 0 in every failure column
// and "all N" clean; one the swarm caught charging twice names the swarm
// (or a worse cell) for its duplicates; the stuck column of the strategies
// that hold a key says under which lease and client budget stuck is zero.
// Method: the table from results/, read by column.
func TestScorecardRows(t *testing.T) {
	xs, err := report.Load("../results")
	require.NoError(t, err, rerun(t, nil))
	sc := report.ScorecardOf(xs)
	row := func(name string) []report.TableCell {
		for _, r := range sc.Rows {
			if r[0].Text == name {
				return r
			}
		}
		require.Fail(t, "no row", "%s; %s", name, rerun(t, nil))
		return nil
	}
	col := func(header string) int {
		for i, h := range sc.Header {
			if h == header {
				return i
			}
		}
		require.Fail(t, "no column", "%s; %s", header, rerun(t, nil))
		return -1
	}
	clean := row("select-for-update")
	for _, h := range []string{"duplicate", "lost", "wrong answer", "orphan charge"} {
		assert.Equal(t, "0", clean[col(h)].Text, "%s of select-for-update; %s", h, rerun(t, nil))
	}
	assert.True(t, strings.HasPrefix(clean[col("clean in")].Text, "all "), rerun(t, nil))
	naive := row("naive")
	assert.True(t, naive[col("duplicate")].Bad, rerun(t, nil))
	for _, name := range []string{"stripe-replay", "ietf-draft", "atomic-phases"} {
		stuck := row(name)[col("stuck")].Text
		assert.Contains(t, stuck, "budget-lease: ", "%s; %s", name, rerun(t, nil))
		assert.Contains(t, stuck, "0 with lease=10s from a ", "%s; %s", name, rerun(t, nil))
	}
}
