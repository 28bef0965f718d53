package experiments_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/experiments/catalog"
	"github.com/idemsim/idemsim/internal/testcmd"
)

// shardPath is a shard file as `idemsim experiment store-loss --seeds 2
// --shard 0/2` wrote it.
var shardPath = filepath.Join("testdata", "store-loss-shard-0-of-2.json")

// Goal: a shard or state file (idemsim merge, --resume) never makes the
// reader panic: DecodeState refuses with one line; a state CheckState
// accepts encodes to a file that decodes to the same state; and a whole
// run's state that Merge accepts gives results that can be written (the
// cells.csv and cells.json of idemsim merge). Method: fuzzing, seeded with
// shard and partial files as idemsim experiment writes them (a shard of
// store-loss, and its cells as a whole run) and damaged ones, and
// testdata/fuzz/FuzzState. A state of N > 1 shards is not merged alone:
// Merge would list its N-1 missing shards.
func FuzzState(f *testing.F) {
	data, err := os.ReadFile(shardPath)
	require.NoError(f, err)
	shardFile := string(data)
	// The same cells as the whole run of one seed.
	whole := strings.Replace(strings.Replace(shardFile, `"shard": "0/2"`, `"shard": "0/1"`, 1), `"seeds_per_cell": 2`, `"seeds_per_cell": 1`, 1)
	for _, s := range []string{
		shardFile,
		whole,
		strings.Replace(shardFile, `"partial": false`, `"partial": true`, 1),
		strings.Replace(whole, `"ops":200`, `"ops":-1`, 1),
		strings.Replace(whole, `"counts":[`, `"counts":[-16,`, 1),
		strings.Replace(whole, `"attempts":221`, `"attempts":9223372036854775807`, 1),
		strings.Replace(shardFile, `"latency":{"29":9`, `"latency":{"999":9`, 1),
		strings.Replace(shardFile, `"0/2"`, `"0/1000000000"`, 1),
		strings.Replace(shardFile, `"store-loss"`, `"bogus"`, 1),
		`{"experiment":"store-loss","cells":[]}`, `{}`, `[]`, `null`, "", "\x00",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rerun := testcmd.Rerun(t, "./experiments")
		st, err := experiments.DecodeState(data)
		if err != nil {
			assert.NotContains(t, err.Error(), "\n", "a one-line error\n%s", rerun)
			return
		}
		e, err := catalog.Lookup(st.Experiment)
		if err != nil {
			return
		}
		if err := e.CheckState(st); err != nil {
			assert.NotContains(t, err.Error(), "\n", "a one-line error\n%s", rerun)
			return
		}
		enc, err := st.Encode()
		require.NoError(t, err, "a state CheckState accepts encodes\n%s", rerun)
		back, err := experiments.DecodeState(enc)
		require.NoError(t, err, "the state as encoded decodes:\n%s\n%s", enc, rerun)
		assert.Equal(t, st, back, "the state as encoded decodes to itself\n%s", rerun)
		if shard, _ := experiments.ParseShard(st.Shard); !shard.Whole() {
			return
		}
		seeds, accs, err := e.Merge([]*experiments.State{st})
		if err != nil {
			assert.NotContains(t, err.Error(), "\n", "a one-line error\n%s", rerun)
			return
		}
		_, err = e.EncodeCSV(accs)
		assert.NoError(t, err, "Merge accepted the state: its cells.csv can be written\n%s", rerun)
		_, err = e.EncodeJSON(seeds, accs)
		assert.NoError(t, err, "Merge accepted the state: its cells.json can be written\n%s", rerun)
	})
}

// Goal: ParseShard (--shard, and a state file's shard) never panics,
// refuses with one line naming the accepted form, and what it accepts
// prints as a shard that reads back the same. Method: fuzzing, seeded with
// shards as written and mistyped, and testdata/fuzz/FuzzParseShard.
func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"0/1", "0/2", "1/2", "3/4", "0/1000000000", "2/2", "-1/2", "1/0", "/", "1", "01/2", "1/2/3", "18446744073709551615/18446744073709551616"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rerun := testcmd.Rerun(t, "./experiments")
		shard, err := experiments.ParseShard(s)
		if err != nil {
			assert.NotContains(t, err.Error(), "\n", "a one-line error\n%s", rerun)
			assert.Contains(t, err.Error(), "(accepted: ", rerun)
			return
		}
		back, err := experiments.ParseShard(shard.String())
		require.NoError(t, err, "%q printed %q\n%s", s, shard.String(), rerun)
		assert.Equal(t, shard.String(), back.String(), rerun)
		if !shard.Whole() {
			assert.Equal(t, shard, back, rerun)
		}
	})
}
