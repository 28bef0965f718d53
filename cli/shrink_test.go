package cli

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

// Goal: idemsim shrink prints a scenario file that is valid as printed:
// redirected into a file, idemsim run --scenario-file replays it to the
// output it holds (timeline, verdict and trace hash), each time; --out
// writes the same text; the command in its replay comment gives that
// output too; and its run directive pastes into testdata/scenarios as it
// is. The runs shrink to at most three faults (naive's chaos world
// 1 to one).
// Method: shrink to stdout and with --out; compare; parse the text as
// --scenario-file does; run its flags with --scenario-file, as plain
// flags and as the comment's command. Under -short, naive's chaos world
// alone (the other two shrink for seconds each).
func TestShrinkCommand(t *testing.T) {
	for _, tc := range []struct {
		name      string
		args      []string
		kind      string
		maxFaults int
	}{
		{"early-409-chaos", []string{"--strategy", "early-409", "--chaos", "1"}, "LOST", 3},
		{"txn-check-insert-read-committed", []string{"--strategy", "txn-check-insert", "--isolation", "read-committed", "--duplicate", "0.1"}, "DUPLICATE", 3},
		{"naive-chaos", []string{"--strategy", "naive", "--isolation", "read-committed", "--chaos", "1"}, "DUPLICATE", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if testing.Short() && tc.name != "naive-chaos" {
				t.Skip("shrinks for seconds: run without -short (make test does)")
			}
			rerun := testcmd.Rerun(t, "./cli") + "\n       or: idemsim shrink " + strings.Join(tc.args, " ")
			var stdout, stderr bytes.Buffer
			require.Equal(t, 0, run(append([]string{"shrink"}, tc.args...), &stdout, &stderr), "%s\n%s", stderr.String(), rerun)
			text := stdout.String()
			assert.Contains(t, stderr.String(), "kept: ", rerun)
			printed := filepath.Join(t.TempDir(), "printed.txt")
			require.NoError(t, os.WriteFile(printed, []byte(text), 0o644), rerun)

			out := filepath.Join(t.TempDir(), "min.txt")
			stdout.Reset()
			stderr.Reset()
			require.Equal(t, 0, run(append([]string{"shrink", "--out", out}, tc.args...), &stdout, &stderr), "%s\n%s", stderr.String(), rerun)
			assert.Empty(t, stdout.String(), "with --out, stdout says nothing; "+rerun)
			assert.Contains(t, stderr.String(), "idemsim run --scenario-file "+out, rerun)
			written, err := os.ReadFile(out)
			require.NoError(t, err, rerun)
			assert.Equal(t, text, string(written), "--out writes what is printed; "+rerun)

			args, _, err := claims.ParseRunFile(printed, text)
			require.NoError(t, err, "the printed text is a scenario file; "+rerun)
			faults := 0
			for _, a := range args {
				if a == "--fault" {
					faults++
				}
			}
			assert.LessOrEqual(t, faults, tc.maxFaults, "faults in the minimal run; "+rerun)
			want := expectedOutput(t, text)
			assert.Contains(t, want, "verdict    ", rerun)
			assert.Regexp(t, regexp.MustCompile(`verdict .*`+tc.kind), want, rerun)
			comment := regexp.MustCompile(`(?m)^#   idemsim run (.*)$`).FindAllStringSubmatch(text, -1)
			require.Len(t, comment, 2, "the run shrunk and the replay command, as comments; %s", rerun)
			for _, replay := range [][]string{
				{"run", "--scenario-file", printed},
				append([]string{"run"}, args...),
				append([]string{"run"}, claims.SplitArgs(comment[1][1])...),
				{"run", "--scenario-file", printed},
			} {
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
