package catalog_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/experiments/catalog"
	"github.com/idemsim/idemsim/internal/testcmd"
)

// Goal: the committed results are what the code computes now. Method:
// rerun three cells with the committed seeds — naive under 5% loss each
// way in network-loss, and in the swarm naive and async-202-dual-write —
// and compare them with their committed rows of results/NAME/cells.csv,
// and for the swarm with the first failing seed and kind in cells.json. When this fails after a deliberate change, run
// make experiments and commit results/.
func TestCommittedResultsAreFresh(t *testing.T) {
	for _, c := range []struct {
		experiment string
		key        experiments.CellKey
	}{
		{"network-loss", experiments.CellKey{Strategy: "naive", Isolation: "read-committed", Value: "0.05"}},
		{"swarm", experiments.CellKey{Strategy: "naive", Isolation: "read-committed", Value: "chaos"}},
		// A failure only porcupine names (the accepted job never sent).
		{"swarm", experiments.CellKey{Strategy: "async-202-dual-write", Isolation: "read-committed", Value: "chaos"}},
	} {
		t.Run(c.experiment, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./experiments/catalog") + " (after a deliberate change: make experiments, and commit results/)"
			e, err := catalog.Lookup(c.experiment)
			require.NoError(t, err, rerun)
			f, err := os.Open(filepath.Join("..", "..", "results", e.Name, experiments.CSVFile))
			require.NoError(t, err, rerun)
			defer f.Close()
			rows, err := csv.NewReader(f).ReadAll()
			require.NoError(t, err, rerun)
			require.NotEmpty(t, rows, rerun)
			require.Equal(t, e.CSVHeader(), rows[0], rerun)
			cell := -1
			for i, cl := range e.Cells {
				if cl.Key(e) == c.key {
					cell = i
				}
			}
			require.GreaterOrEqual(t, cell, 0, rerun)
			var committed []string
			for _, r := range rows[1:] {
				if r[1] == c.key.Strategy && r[2] == c.key.Isolation && r[3] == c.key.Value {
					committed = r
				}
			}
			require.NotNil(t, committed, "no row for %s in the committed cells.csv; %s", c.key, rerun)
			seeds, err := strconv.ParseUint(committed[4], 10, 64)
			require.NoError(t, err, rerun)
			accs, err := experiments.Run(context.Background(), e, experiments.Options{Seeds: seeds, Workers: 2, Only: []int{cell}})
			require.NoError(t, err, rerun)
			assert.Equal(t, committed, e.CSVRow(cell, accs[cell]), rerun)
			if e.Name != "swarm" {
				return
			}
			// The swarm's first failing seed and its kind, in cells.json.
			raw, err := os.ReadFile(filepath.Join("..", "..", "results", e.Name, experiments.JSONFile))
			require.NoError(t, err, rerun)
			var committedJSON struct {
				Swarm struct{ Failures []experiments.Failure }
			}
			require.NoError(t, json.Unmarshal(raw, &committedJSON), rerun)
			want := experiments.Failure{}
			for _, f := range committedJSON.Swarm.Failures {
				if f.Strategy == c.key.Strategy && f.Isolation == c.key.Isolation {
					want = f
				}
			}
			assert.Equal(t, want.Seed, accs[cell].First, "the first failing seed; %s", rerun)
			assert.Equal(t, want.Kind, accs[cell].Kind, "its kind; %s", rerun)
		})
	}
}
