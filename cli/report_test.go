package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/claims"
	"github.com/idemsim/idemsim/report"
	"github.com/idemsim/idemsim/sim/world"
)

// reportFixtures copies the report package's fixture results (with its
// edge-cases.md) and the committed claims.txt into a fresh results
// directory.
func reportFixtures(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "results")
	require.NoError(t, os.CopyFS(dir, os.DirFS("../report/testdata/results")), rerun(t, nil))
	b, err := os.ReadFile("../results/claims.txt")
	require.NoError(t, err, rerun(t, nil))
	require.NoError(t, os.WriteFile(filepath.Join(dir, report.ClaimsFile), b, 0o644), rerun(t, nil))
	return dir
}

// Goal: `idemsim report` writes the page from a results directory and
// says what it drew; the reproduce command it prints for a swarm failure's
// minimal run is that run — parsed as `idemsim run` parses it, it gives
// the same trace hash.
// Method: run the command on the report package's fixtures (one swarm
// failure: early-409 at read committed, chaos world 1); then build the
// report again through the package and replay each counterexample's
// command.
func TestReportCommand(t *testing.T) {
	dir := reportFixtures(t)
	args := []string{"report", "--results", dir}
	r := runCLI(t, args...)
	require.Equal(t, 0, r.code, "stderr: %q\n%s", r.stderr, rerun(t, args))
	assert.Empty(t, r.stderr, rerun(t, args))
	assert.Contains(t, r.stdout, "5 experiments, ", rerun(t, args))
	assert.Contains(t, r.stdout, "1 counterexamples, 33 pages\nwrote "+filepath.Join(dir, "index.html")+"\n", rerun(t, args))
	assert.FileExists(t, filepath.Join(dir, "index.html"), rerun(t, args))

	sum, err := report.Build(report.Options{Dir: dir})
	require.NoError(t, err, rerun(t, args))
	require.NotEmpty(t, sum.Counterexamples, rerun(t, args))
	for _, c := range sum.Counterexamples {
		flags, ok := strings.CutPrefix(c.Command, "idemsim run ")
		require.True(t, ok, c.Command)
		st, err := configure(claims.SplitArgs(flags))
		require.NoError(t, err, "%s\n%s", c.Command, rerun(t, args))
		res, err := world.Run(st.cfg)
		require.NoError(t, err, rerun(t, args))
		assert.Equal(t, c.TraceHash, res.TraceHash, "the printed command must replay the minimal run: %s\n%s", c.Command, rerun(t, args))
	}
}

// Goal: bad input to `idemsim report` is one line naming the file, exit
// status 2, nothing on stdout.
// Method: a malformed cells.json and an edge-cases.md without a table in
// otherwise good results.
func TestReportCommandBadResults(t *testing.T) {
	for _, tc := range []struct {
		name, file, text, want string
	}{
		{"malformed-cells", "network-loss/cells.json", "{", "network-loss/cells.json: not the cells.json format"},
		{"edge-cases-without-table", "edge-cases.md", "# Edge cases\n", "edge-cases.md: no Markdown table"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := reportFixtures(t)
			path := filepath.Join(dir, tc.file)
			if tc.text == "" {
				require.NoError(t, os.Remove(path), rerun(t, nil))
			} else {
				require.NoError(t, os.WriteFile(path, []byte(tc.text), 0o644), rerun(t, nil))
			}
			args := []string{"report", "--results", dir}
			r := runCLI(t, args...)
			assert.Equal(t, 2, r.code, "stderr: %q\n%s", r.stderr, rerun(t, args))
			assert.Empty(t, r.stdout, rerun(t, args))
			assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q\n%s", r.stderr, rerun(t, args))
			assert.Contains(t, r.stderr, "idemsim report: ", rerun(t, args))
			assert.Contains(t, r.stderr, tc.want, rerun(t, args))
		})
	}
}

// Goal: `idemsim report` works on a results directory that has no
// claims.txt yet (make results not run), and the page says how to make it.
// Method: remove claims.txt from the fixtures and run the command.
func TestReportCommandWithoutClaims(t *testing.T) {
	dir := reportFixtures(t)
	require.NoError(t, os.Remove(filepath.Join(dir, report.ClaimsFile)), rerun(t, nil))
	args := []string{"report", "--results", dir}
	r := runCLI(t, args...)
	require.Equal(t, 0, r.code, "stderr: %q\n%s", r.stderr, rerun(t, args))
	assert.Contains(t, r.stdout, ", 0 claims, ", rerun(t, args))
	page, err := os.ReadFile(filepath.Join(dir, "index.html"))
	require.NoError(t, err, rerun(t, args))
	assert.Contains(t, string(page), "<code>make results</code> writes it", rerun(t, args))
}
