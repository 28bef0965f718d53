package catalog_test

import (
	"context"
	"encoding/csv"
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
// rerun two cells with the committed seeds — naive under 5% loss each
// way in network-loss, and naive in the swarm (whose first failing seed
// is in cells.json) — and compare them with their committed rows of
// results/NAME/cells.csv. When this fails after a deliberate change, run
// make experiments and commit results/.
func TestCommittedResultsAreFresh(t *testing.T) {
	for _, c := range []struct {
		experiment string
		key        experiments.CellKey
	}{
		{"network-loss", experiments.CellKey{Strategy: "naive", Isolation: "read-committed", Value: "0.05"}},
		{"swarm", experiments.CellKey{Strategy: "naive", Isolation: "read-committed", Value: "chaos"}},
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
		})
	}
}
