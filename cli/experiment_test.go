package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/experiments/catalog"
)

// emptyShard is a shard file of the swarm, one seed per cell, shard s of
// it: for shard 1/2 and up, no seed at all.
func emptyShard(s string) string {
	e, err := catalog.Lookup("swarm")
	if err != nil {
		panic(err)
	}
	shard, err := experiments.ParseShard(s)
	if err != nil {
		panic(err)
	}
	accs := make([]*experiments.Acc, len(e.Cells))
	for i := range accs {
		accs[i] = &experiments.Acc{Seeds: int64(shard.Count(1))}
	}
	data, err := e.NewState(1, shard, accs, false).Encode()
	if err != nil {
		panic(err)
	}
	return string(data)
}

// files reads the results an experiment wrote into dir/NAME.
func files(t *testing.T, dir, name string) (string, string) {
	t.Helper()
	c, err := os.ReadFile(filepath.Join(dir, name, experiments.CSVFile))
	require.NoError(t, err)
	j, err := os.ReadFile(filepath.Join(dir, name, experiments.JSONFile))
	require.NoError(t, err)
	return string(c), string(j)
}

// Goal: idemsim experiment writes the same cells.csv and cells.json
// however it is run: on one worker or two; as two shards, each its own
// invocation, merged by idemsim merge; interrupted (as by Ctrl-C) after a
// few cells and resumed with --resume. Method: store-loss over 2 seeds
// per cell each way, the files compared byte for byte; the interrupted
// run must exit 1 naming its partial state file, and the finished runs
// leave no state file behind.
func TestExperimentCommand(t *testing.T) {
	const name = "store-loss"
	run1 := []string{"experiment", name, "--seeds", "2", "--workers", "1", "--out", "$DIR"}
	root := t.TempDir()
	sub := func(d string) string {
		p := filepath.Join(root, d)
		require.NoError(t, os.MkdirAll(p, 0o755))
		return p
	}
	with := func(args []string, dir string, more ...string) []string {
		out := make([]string, 0, len(args)+len(more))
		for _, a := range args {
			out = append(out, strings.ReplaceAll(a, "$DIR", dir))
		}
		return append(out, more...)
	}
	one := sub("one")
	args := with(run1, one)
	r := runCLI(t, args...)
	require.Equal(t, 0, r.code, "stderr: %q\n%s", r.stderr, rerun(t, args))
	assert.Contains(t, r.stdout, "20 cells x 2 seeds", rerun(t, args))
	wantCSV, wantJSON := files(t, one, name)
	assert.Equal(t, 21, strings.Count(wantCSV, "\n"), rerun(t, args))

	t.Run("two-workers", func(t *testing.T) {
		dir := sub("two")
		args := with(run1, dir, "--workers", "2")
		args = append(args[:4:4], args[6:]...) // drop --workers 1
		r := runCLI(t, args...)
		require.Equal(t, 0, r.code, "stderr: %q\n%s", r.stderr, rerun(t, args))
		c, j := files(t, dir, name)
		assert.Equal(t, wantCSV, c, rerun(t, args))
		assert.Equal(t, wantJSON, j, rerun(t, args))
	})

	t.Run("shards-merged", func(t *testing.T) {
		dir := sub("shards")
		var shardFiles []string
		for _, s := range []string{"0/2", "1/2"} {
			args := with(run1, dir, "--shard", s)
			r := runCLI(t, args...)
			require.Equal(t, 0, r.code, "stderr: %q\n%s", r.stderr, rerun(t, args))
			sh, _ := experiments.ParseShard(s)
			shardFiles = append(shardFiles, filepath.Join(dir, name, experiments.ShardFile(sh)))
		}
		assert.NoFileExists(t, filepath.Join(dir, name, experiments.CSVFile), "a shard writes only its shard file")
		merged := sub("merged")
		args := append([]string{"merge", "--out", merged}, shardFiles[1], shardFiles[0])
		r := runCLI(t, args...)
		require.Equal(t, 0, r.code, "stderr: %q\n%s", r.stderr, rerun(t, args))
		c, j := files(t, merged, name)
		assert.Equal(t, wantCSV, c, rerun(t, args))
		assert.Equal(t, wantJSON, j, rerun(t, args))
	})

	t.Run("interrupted-then-resumed", func(t *testing.T) {
		dir := sub("resumed")
		args := with(run1, dir, "--workers", "2")
		args = append(args[:4:4], args[6:]...)
		interruptAfterCells = 5
		r := runCLI(t, args...)
		interruptAfterCells = 0
		partial := filepath.Join(dir, name, experiments.PartialFile(experiments.Shard{}))
		require.Equal(t, 1, r.code, "stderr: %q\n%s", r.stderr, rerun(t, args))
		assert.Contains(t, r.stderr, "interrupted with ", rerun(t, args))
		assert.Contains(t, r.stderr, partial+"; add --resume", rerun(t, args))
		require.FileExists(t, partial, rerun(t, args))
		assert.NoFileExists(t, filepath.Join(dir, name, experiments.CSVFile), rerun(t, args))

		other := append(append([]string{}, args...), "--resume", "--seeds", "3")
		other = append(other[:2:2], other[4:]...) // drop --seeds 2
		r = runCLI(t, other...)
		assert.Equal(t, 2, r.code, rerun(t, other))
		assert.Contains(t, r.stderr, "--resume: the interrupted run had --seeds 2, this one 3 (accepted: the same seeds)", rerun(t, other))

		resume := append(append([]string{}, args...), "--resume")
		r = runCLI(t, resume...)
		require.Equal(t, 0, r.code, "stderr: %q\n%s", r.stderr, rerun(t, resume))
		c, j := files(t, dir, name)
		assert.Equal(t, wantCSV, c, rerun(t, resume))
		assert.Equal(t, wantJSON, j, rerun(t, resume))
		assert.NoFileExists(t, partial, "a finished run removes its state file; %s", rerun(t, resume))
	})
}

// Goal: --list names every experiment with its cells and seeds, and help
// reaches the experiment and merge commands. Method: run them.
func TestExperimentList(t *testing.T) {
	args := []string{"experiment", "--list"}
	r := runCLI(t, args...)
	require.Equal(t, 0, r.code, rerun(t, args))
	for _, e := range catalog.All() {
		assert.Contains(t, r.stdout, e.Name+"\n", rerun(t, args))
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"help", "experiment"}, "usage: idemsim experiment NAME"},
		{[]string{"experiment", "--help"}, "usage: idemsim experiment NAME"},
		{[]string{"help", "merge"}, "usage: idemsim merge"},
		{[]string{"merge", "--help"}, "usage: idemsim merge"},
	} {
		r := runCLI(t, c.args...)
		assert.Equal(t, 0, r.code, rerun(t, c.args))
		assert.Contains(t, r.stdout, c.want, rerun(t, c.args))
	}
}
