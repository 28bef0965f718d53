package catalog_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/experiments/catalog"
	"github.com/idemsim/idemsim/internal/testcmd"
)

// Goal: the committed results are what the code computes now, quickly, in
// make test (TestEveryCommittedCellIsFresh, in make verify, checks every
// cell). Method: rerun three cells with the committed seeds — naive under 5% loss each
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

// Goal: every committed result is what the code computes now: each cell
// of each experiment's results/NAME/cells.csv, and cells.json byte for
// byte. Method: when IDEMSIM_FRESH_RESULTS is set (make verify sets it;
// the sweep takes a minute or two on every core, too long for make test),
// rerun every experiment of the catalogue over its committed seeds on every
// core, compare its rows cell by cell with the committed cells.csv, and
// encode cells.json as idemsim experiment does. A failure names every
// stale cell.
func TestEveryCommittedCellIsFresh(t *testing.T) {
	if os.Getenv("IDEMSIM_FRESH_RESULTS") == "" {
		t.Skip("set IDEMSIM_FRESH_RESULTS=1 to rerun every experiment (make verify does)")
	}
	cells := 0
	for _, e := range catalog.All() {
		t.Run(e.Name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./experiments/catalog") + " with IDEMSIM_FRESH_RESULTS=1 (after a deliberate change: make exp-" + e.Name + ", and commit results/" + e.Name + ")"
			dir := filepath.Join("..", "..", "results", e.Name)
			f, err := os.Open(filepath.Join(dir, experiments.CSVFile))
			require.NoError(t, err, rerun)
			defer f.Close()
			rows, err := csv.NewReader(f).ReadAll()
			require.NoError(t, err, rerun)
			require.NotEmpty(t, rows, rerun)
			require.Equal(t, e.CSVHeader(), rows[0], "the committed header; %s", rerun)
			committed := make(map[experiments.CellKey][]string, len(rows)-1)
			seeds := uint64(0)
			for _, r := range rows[1:] {
				require.Greater(t, len(r), 4, "a short row %v; %s", r, rerun)
				committed[experiments.CellKey{Strategy: r[1], Isolation: r[2], Value: r[3]}] = r
				n, err := strconv.ParseUint(r[4], 10, 64)
				require.NoError(t, err, "the seeds of row %v; %s", r, rerun)
				require.True(t, seeds == 0 || seeds == n, "every cell over the same seeds, not %d and %d; %s", seeds, n, rerun)
				seeds = n
			}
			accs, err := experiments.Run(context.Background(), e, experiments.Options{Seeds: seeds, Workers: runtime.GOMAXPROCS(0)})
			require.NoError(t, err, rerun)
			var stale []string
			for i, c := range e.Cells {
				key := c.Key(e)
				got := e.CSVRow(i, accs[i])
				switch want, ok := committed[key]; {
				case !ok:
					stale = append(stale, key.Strategy+" "+key.Isolation+" "+key.Value+": not committed")
				case !assert.ObjectsAreEqual(want, got):
					stale = append(stale, key.Strategy+" "+key.Isolation+" "+key.Value+": committed "+strings.Join(want, ",")+", now "+strings.Join(got, ","))
				}
				delete(committed, key)
			}
			for key := range committed {
				stale = append(stale, key.Strategy+" "+key.Isolation+" "+key.Value+": committed, no longer a cell")
			}
			slices.Sort(stale)
			assert.Empty(t, stale, "%s: %d of %d cells differ from results/%s/%s; %s", e.Name, len(stale), len(e.Cells), e.Name, experiments.CSVFile, rerun)
			js, err := e.EncodeJSON(seeds, accs)
			require.NoError(t, err, rerun)
			raw, err := os.ReadFile(filepath.Join(dir, experiments.JSONFile))
			require.NoError(t, err, rerun)
			assert.True(t, string(raw) == string(js), "results/%s/%s differs from what the code computes now (its cells agreed: %v); %s", e.Name, experiments.JSONFile, len(stale) == 0, rerun)
			cells += len(e.Cells)
		})
	}
	t.Logf("%d cells rerun", cells)
}
