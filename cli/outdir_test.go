package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
)

// Goal: idemsim run --out DIR writes the run's summary (what stdout said
// after the timeline), its whole timeline, its replayable faults, and for
// a violating run only, its sequence diagram; nothing else is left there
// (no temporary file); it says on stdout which files it wrote; and the
// faults replay to the same trace.
// Method: a run that charges twice and a clean one, each into a new
// directory; replay the first's faults.
func TestOutDir(t *testing.T) {
	rerun := testcmd.Rerun(t, "./cli")
	for _, tc := range []struct {
		name  string
		args  []string
		files []string
	}{
		{"violating", []string{"--fault", "drop-response c1/o1.1/a1"}, []string{outPNG, outSVG, outFaults, outSummary, outTimeline}},
		{"clean", nil, []string{outFaults, outSummary, outTimeline}},
		// early-409's lost operation: porcupine's picture of it too.
		{"illegal", []string{"--strategy", "early-409", "--servers", "2", "--crash", "s1@6500us+3s"}, []string{outPNG, outSVG, outFaults, outLinear, outSummary, outTimeline}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := []string{"run", "--strategy", "naive", "--servers", "1", "--clients", "1", "--ops", "1", "--think", "const:0", "--delay", "const:5ms", "--service-time", "const:1ms"}
			base = overlayArgs(runFlags(), base, tc.args)
			dir := filepath.Join(t.TempDir(), "out")
			var stdout, stderr bytes.Buffer
			args := append(slices.Clone(base), "--out", dir)
			require.Equal(t, 0, run(args, &stdout, &stderr), "%s\n%s", stderr.String(), rerun)
			entries, err := os.ReadDir(dir)
			require.NoError(t, err, rerun)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			assert.Equal(t, tc.files, names, rerun)
			summary, err := os.ReadFile(filepath.Join(dir, outSummary))
			require.NoError(t, err, rerun)
			wrote := "wrote      " + dir + ": " + strings.Join(writtenOrder(tc.files), ", ") + "\n"
			assert.Equal(t, string(summary)+wrote, stdout.String(), "the summary is what the run printed, then the files it wrote; "+rerun)
			assert.NotContains(t, string(summary), "--out", "the reproduce command leaves --out out; "+rerun)
			if slices.Contains(tc.files, outLinear) {
				page, err := os.ReadFile(filepath.Join(dir, outLinear))
				require.NoError(t, err, rerun)
				assert.Contains(t, string(page), "<html", rerun)
			}
			timeline, err := os.ReadFile(filepath.Join(dir, outTimeline))
			require.NoError(t, err, rerun)
			assert.Contains(t, string(timeline), "c1 concludes o1.1", rerun)
			var replay bytes.Buffer
			require.Equal(t, 0, run(append(slices.Clone(base), "--replay", filepath.Join(dir, outFaults)), &replay, &stderr), "%s\n%s", stderr.String(), rerun)
			hash := regexp.MustCompile(`trace [0-9a-f]{16}`)
			assert.Equal(t, hash.FindString(stdout.String()), hash.FindString(replay.String()), "the faults replay to the same run; "+rerun)
		})
	}
}

// writtenOrder is the order idemsim run names the files of --out in.
func writtenOrder(files []string) []string {
	var out []string
	for _, f := range []string{outSummary, outTimeline, outFaults, outLinear, outSVG, outPNG} {
		if slices.Contains(files, f) {
			out = append(out, f)
		}
	}
	return out
}
