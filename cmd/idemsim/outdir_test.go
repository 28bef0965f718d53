package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
)

// Goal: idemsim run --out DIR writes the run's summary (what stdout said
// after the timeline), its whole timeline, its replayable faults, and for
// a violating run only, its sequence diagram; nothing else is left there
// (no temporary file), and the faults replay to the same trace.
// Method: a run that charges twice and a clean one, each into a new
// directory; replay the first's faults.
func TestOutDir(t *testing.T) {
	rerun := testcmd.Rerun(t, "./cmd/idemsim")
	base := []string{"run", "--strategy", "naive", "--servers", "1", "--clients", "1", "--ops", "1", "--think", "const:0"}
	for _, tc := range []struct {
		name  string
		args  []string
		files []string
	}{
		{"violating", []string{"--fault", "drop-response c1/o1.1/a1"}, []string{outPNG, outSVG, outFaults, outSummary, outTimeline}},
		{"clean", nil, []string{outFaults, outSummary, outTimeline}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			var stdout, stderr bytes.Buffer
			args := append(append(slices.Clone(base), tc.args...), "--out", dir)
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
			assert.Equal(t, stdout.String(), string(summary), "the summary is what the run printed; "+rerun)
			assert.NotContains(t, string(summary), "--out", "the reproduce command leaves --out out; "+rerun)
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
