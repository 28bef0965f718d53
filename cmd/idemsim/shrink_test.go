package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/claims"
	"github.com/idemsim/idemsim/internal/testcmd"
)

// Goal: idemsim shrink turns the two failing runs into scenario
// files of at most three faults that idemsim run --scenario-file replays
// to the same output (timeline, verdict and trace hash), each time, and
// whose run directive can be pasted into testdata/scenarios as it is.
// Method: shrink into a file; read the file's flags and expected output;
// run them twice, with --scenario-file and as plain flags.
func TestShrinkCommand(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		kind string
	}{
		{"early-409-chaos", []string{"--strategy", "early-409", "--chaos", "1"}, "LOST"},
		{"txn-check-insert-read-committed", []string{"--strategy", "txn-check-insert", "--isolation", "read-committed", "--duplicate", "0.1"}, "DUPLICATE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./cmd/idemsim") + "\n       or: idemsim shrink " + strings.Join(tc.args, " ")
			out := filepath.Join(t.TempDir(), "min.txt")
			var stdout, stderr bytes.Buffer
			require.Equal(t, 0, run(append([]string{"shrink", "--out", out}, tc.args...), &stdout, &stderr), "%s\n%s", stderr.String(), rerun)
			assert.Contains(t, stdout.String(), "idemsim run --scenario-file "+out, rerun)
			text, err := os.ReadFile(out)
			require.NoError(t, err, rerun)
			args, _, err := claims.ParseRunFile(out, string(text))
			require.NoError(t, err, rerun)
			faults := 0
			for _, a := range args {
				if a == "--fault" {
					faults++
				}
			}
			assert.LessOrEqual(t, faults, 3, "faults in the minimal run; "+rerun)
			want := expectedOutput(t, string(text))
			assert.Contains(t, want, "verdict    ", rerun)
			assert.Regexp(t, regexp.MustCompile(`verdict .*`+tc.kind), want, rerun)
			for _, replay := range [][]string{{"run", "--scenario-file", out}, append([]string{"run"}, args...), {"run", "--scenario-file", out}} {
				stdout.Reset()
				stderr.Reset()
				require.Equal(t, 0, run(replay, &stdout, &stderr), "%s\n%s", stderr.String(), rerun)
				assert.Equal(t, want, stdout.String(), "idemsim %s; %s", strings.Join(replay, " "), rerun)
			}
		})
	}
}

// expectedOutput is the output block of a scenario file's run directive.
func expectedOutput(t *testing.T, text string) string {
	t.Helper()
	_, after, ok := strings.Cut(text, "\n----\n----\n")
	require.True(t, ok, "no output block in\n%s", text)
	body, ok := strings.CutSuffix(after, "----\n----\n")
	require.True(t, ok, "the output block is not closed in\n%s", text)
	return body
}
