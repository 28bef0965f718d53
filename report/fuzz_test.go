package report_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/report"
)

// cellsSeeds are the committed results/NAME/cells.json, each cut to its
// first two cells (and swarm failures) so that the fuzzer's mutations stay
// fast, then the same with values at the edges of what the checks pass.
func cellsSeeds(t testing.TB) [][]byte {
	paths, err := filepath.Glob(filepath.Join("..", "results", "*", report.CellsFile))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	var seeds [][]byte
	for _, p := range paths {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		x, err := report.ParseExperiment(data)
		require.NoError(t, err, p)
		x.Cells = x.Cells[:min(2, len(x.Cells))]
		if x.Swarm != nil {
			x.Swarm.Failures = x.Swarm.Failures[:min(2, len(x.Swarm.Failures))]
		}
		cut, err := json.Marshal(x)
		require.NoError(t, err)
		seeds = append(seeds, cut)
	}
	first := string(seeds[0])
	for _, edit := range [][2]string{
		{`"x":`, `"x":1e308,"y":`}, {`"x":`, `"x":-1e308,"y":`}, {`"x":`, `"x":2,"y":`},
		{`"ops":`, `"ops":-1,"o":`}, {`"latency_hist":[`, `"latency_hist":[[1e308,1],`},
		{`"cells":[`, `"cells":[],"c":[`}, {`"experiment":"`, `"experiment":"../`},
	} {
		seeds = append(seeds, []byte(strings.Replace(first, edit[0], edit[1], 1)))
	}
	return append(seeds, []byte(`{}`), []byte(`null`), []byte(`{"experiment":"a"} {}`), []byte(""))
}

// Goal: ParseExperiment (idemsim report's reader of cells.json) never
// panics, refuses with one line, and what it accepts encodes to JSON that
// it accepts again as the same experiment. Method: fuzzing, seeded with
// cellsSeeds and testdata/fuzz/FuzzParseExperiment. (Whether every value
// it accepts can be drawn is the report's own test.)
func FuzzParseExperiment(f *testing.F) {
	for _, s := range cellsSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rerun := testcmd.Rerun(t, "./report")
		x, err := report.ParseExperiment(data)
		if err != nil {
			assert.NotContains(t, err.Error(), "\n", "a one-line error\n%s", rerun)
			return
		}
		again, err := json.Marshal(x)
		require.NoError(t, err, "an accepted experiment encodes\n%s", rerun)
		back, err := report.ParseExperiment(again)
		require.NoError(t, err, "an accepted experiment, encoded, is accepted again:\n%s\n%s", again, rerun)
		assert.Equal(t, x, back, "an accepted experiment, encoded, reads back the same\n%s", rerun)
	})
}
