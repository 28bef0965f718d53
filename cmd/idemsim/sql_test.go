package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Goal: `idemsim sql` prints for a script what PostgreSQL 15 printed for it,
// one line per statement. Method: run a ground-truth script at one level
// and compare with its .pg15 file without the version comment.
func TestSQLCommandMatchesGroundTruth(t *testing.T) {
	const dir = "../../sim/db/testdata/scripts/"
	args := []string{"sql", "--level", "serializable", dir + "idem-unique-read-first.sql"}
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run(args, &stdout, &stderr), "stderr: %s\n%s", stderr.String(), rerun(t, args))
	want, err := os.ReadFile(dir + "idem-unique-read-first.serializable.pg15")
	require.NoError(t, err)
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(want)), "\n") {
		if !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	assert.Equal(t, strings.Join(lines, "\n")+"\n", stdout.String(), rerun(t, args))
}

// Goal: without --level, a script runs at every level it declares, each
// block headed by its level. Method: count the headers.
func TestSQLCommandAllLevels(t *testing.T) {
	args := []string{"sql", "../../sim/db/testdata/scripts/g0.sql"}
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run(args, &stdout, &stderr), rerun(t, args))
	for _, l := range []string{"read uncommitted", "read committed", "repeatable read", "serializable"} {
		assert.Contains(t, stdout.String(), "# level: "+l+"\n", rerun(t, args))
	}
}

// Goal: bad invocations of `idemsim sql` are one line naming what is wrong,
// exit 2 (1 for a file that cannot be read).
func TestSQLCommandInvalidInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.sql")
	require.NoError(t, os.WriteFile(bad, []byte("# levels: snapshot\nt1: select 1\n"), 0o644))
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no-file", []string{"sql"}, 2, "want one script FILE"},
		{"two-files", []string{"sql", "a", "b"}, 2, "want one script FILE"},
		{"bad-level", []string{"sql", "--level", "snapshot", bad}, 2, `--level: "snapshot" (accepted: read uncommitted`},
		{"missing-file", []string{"sql", filepath.Join(dir, "missing.sql")}, 1, "no such file"},
		{"unknown-declared-level", []string{"sql", bad}, 2, `unknown level "snapshot"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			assert.Equal(t, tc.code, run(tc.args, &stdout, &stderr), rerun(t, tc.args))
			assert.Empty(t, stdout.String(), rerun(t, tc.args))
			assert.Equal(t, 1, strings.Count(stderr.String(), "\n"), "one line; %s", rerun(t, tc.args))
			assert.Contains(t, stderr.String(), tc.want, rerun(t, tc.args))
		})
	}
}
