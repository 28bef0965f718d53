package explore

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
)

// shardFiles searches every shard of n and passes each file through its
// bytes, as files on disk would.
func shardFiles(t *testing.T, tc searchCase, opt Options, n int) []*ShardFile {
	cfg := small(t, tc.strategy, tc.level, tc.workers)
	var files []*ShardFile
	for i := range n {
		f, err := SearchShard(cfg, opt, Shard{I: i, N: n})
		require.NoError(t, err, testcmd.Rerun(t, "./explore"))
		data, err := f.Encode()
		require.NoError(t, err, testcmd.Rerun(t, "./explore"))
		back, err := DecodeShardFile(data)
		require.NoError(t, err, testcmd.Rerun(t, "./explore"))
		files = append(files, back)
	}
	return files
}

// TestShardsMergeToTheWhole checks that a search cut into shards and
// merged is the search: for 2 and 3 shards, each on 2 workers, given to
// the merge in any order, the merged result is the unsharded one,
// counterexample (and its delay classes) included. Method: searchCases
// without a run budget (a shard's budget bounds its own runs); each
// shard file round-trips through JSON.
func TestShardsMergeToTheWhole(t *testing.T) {
	for _, tc := range searchCases() {
		if tc.bounds.Runs > 0 {
			continue
		}
		for _, n := range []int{2, 3} {
			t.Run(fmt.Sprintf("%s/%d", tc.name, n), func(t *testing.T) {
				if tc.long && testing.Short() {
					t.Skip("a few seconds; run without -short")
				}
				opt := Options{Menu: menu(t, tc.menu), Bounds: tc.bounds, Workers: 2}
				want, err := Search(small(t, tc.strategy, tc.level, tc.workers), opt)
				require.NoError(t, err, testcmd.Rerun(t, "./explore"))
				files := shardFiles(t, tc, opt, n)
				files[0], files[n-1] = files[n-1], files[0]
				got, err := MergeShards(files)
				require.NoError(t, err, testcmd.Rerun(t, "./explore"))
				assert.Equal(t, fullDigest(want), fullDigest(got), testcmd.Rerun(t, "./explore"))
				if want.Found != nil {
					assert.Equal(t, want.Found.Trail, got.Found.Trail, testcmd.Rerun(t, "./explore"))
					assert.Equal(t, want.Found.Violations, got.Found.Violations, testcmd.Rerun(t, "./explore"))
				}
			})
		}
	}
}

// TestShardsCut checks a sharded search with a run budget: each shard
// spends at most the budget in its own order, the merge says CUT, and
// carries the shards' Knuth estimate, the same from every shard. Method:
// two shards of a search that needs far more runs than the budget.
func TestShardsCut(t *testing.T) {
	tc := searchCases()[0]
	opt := Options{Menu: menu(t, tc.menu), Bounds: Bounds{Faults: 1, Delays: 1, Runs: 50}, Probes: 20}
	files := shardFiles(t, tc, opt, 2)
	require.NotNil(t, files[0].Estimate, testcmd.Rerun(t, "./explore"))
	assert.Equal(t, files[0].Estimate, files[1].Estimate, testcmd.Rerun(t, "./explore"))
	got, err := MergeShards(files)
	require.NoError(t, err, testcmd.Rerun(t, "./explore"))
	assert.True(t, got.Cut, testcmd.Rerun(t, "./explore"))
	assert.LessOrEqual(t, got.Runs, 100, testcmd.Rerun(t, "./explore"))
	assert.Equal(t, files[0].Estimate, got.Estimate, testcmd.Rerun(t, "./explore"))
}

// TestMergeRefusesMismatches checks that shards of different searches,
// missing or repeated shards and damaged files are refused with an
// error naming what differs. Method: a table of shard sets built from
// small searches.
func TestMergeRefusesMismatches(t *testing.T) {
	tc := searchCases()[1]
	opt := Options{Menu: menu(t, tc.menu), Bounds: tc.bounds}
	two := shardFiles(t, tc, opt, 2)
	three := shardFiles(t, tc, opt, 3)
	otherBounds := opt
	otherBounds.Bounds.Delays = 0
	bounds := shardFiles(t, tc, otherBounds, 2)
	world := tc
	world.workers = 2
	otherWorld := shardFiles(t, world, opt, 2)
	seeded := small(t, tc.strategy, tc.level, tc.workers)
	seeded.Seed = 7
	f, err := SearchShard(seeded, opt, Shard{I: 1, N: 2})
	require.NoError(t, err, testcmd.Rerun(t, "./explore"))
	damaged := *two[1]
	damaged.Budgets = nil
	for _, bad := range []struct {
		name  string
		files []*ShardFile
		want  string
	}{
		{"none", nil, "no shard to merge"},
		{"missing", two[:1], "1 shards of 2 given"},
		{"twice", []*ShardFile{two[0], two[0]}, "or twice"},
		{"other-n", []*ShardFile{two[0], three[1]}, "or twice"},
		{"other-bounds", []*ShardFile{two[0], bounds[1]}, "searched other bounds"},
		{"other-world", []*ShardFile{two[0], otherWorld[1]}, "searched another world"},
		{"other-seed", []*ShardFile{two[0], f}, "searched another world"},
		{"damaged", []*ShardFile{two[0], &damaged}, "damaged shard file"},
	} {
		t.Run(bad.name, func(t *testing.T) {
			_, err := MergeShards(bad.files)
			require.Error(t, err, testcmd.Rerun(t, "./explore"))
			assert.Contains(t, err.Error(), bad.want, testcmd.Rerun(t, "./explore"))
		})
	}
}

// TestShardFileRefusesBadInput checks the shard file reader: not JSON,
// unknown fields, another format, bad shards and hashes are refused with
// a one-line error. Method: a table of documents.
func TestShardFileRefusesBadInput(t *testing.T) {
	good := `"shard":"0/1","args":[],"bounds":{"Faults":0,"Delays":0,"Runs":0},"menu":"none","ties":"none","root_trace":"0000000000000001","root_points":[],"root_ties":0,"cut":false,"split_runs":1,"wasted_runs":0,"budgets":[]`
	_, err := DecodeShardFile([]byte(`{"format":"` + ShardFormat + `",` + good + `}`))
	require.NoError(t, err, testcmd.Rerun(t, "./explore"))
	for _, bad := range []struct{ name, doc, want string }{
		{"not-json", `nope`, "not a shard file"},
		{"ties", `{"format":"` + ShardFormat + `",` + strings.Replace(good, `"ties":"none"`, `"ties":"some"`, 1) + `}`, "accepted: none, dpor, all"},
		{"unknown-field", `{"format":"` + ShardFormat + `","extra":1,` + good + `}`, "unknown field"},
		{"format", `{"format":"v0",` + good + `}`, "accepted: " + ShardFormat},
		{"shard", `{"format":"` + ShardFormat + `",` + good[:9] + `3/2` + good[12:] + `}`, "not a shard I/N"},
		{"hash", `{"format":"` + ShardFormat + `",` + strings.Replace(good, "0000000000000001", "xyz", 1) + `}`, "16 hex digits"},
	} {
		t.Run(bad.name, func(t *testing.T) {
			_, err := DecodeShardFile([]byte(bad.doc))
			require.Error(t, err, testcmd.Rerun(t, "./explore"))
			assert.Contains(t, err.Error(), bad.want, testcmd.Rerun(t, "./explore"))
			assert.NotContains(t, err.Error(), "\n", testcmd.Rerun(t, "./explore"))
		})
	}
}

// TestParseShard checks --shard's reader. Method: a table.
func TestParseShard(t *testing.T) {
	for _, ok := range []string{"0/1", "1/2", "9999/10000"} {
		sh, err := ParseShard(ok)
		require.NoError(t, err, testcmd.Rerun(t, "./explore"))
		assert.Equal(t, ok, sh.String(), testcmd.Rerun(t, "./explore"))
	}
	for _, bad := range []string{"", "1", "2/2", "-1/2", "0/0", "0/10001", "a/b", "1/2/3"} {
		_, err := ParseShard(bad)
		require.Error(t, err, "%q; %s", bad, testcmd.Rerun(t, "./explore"))
		assert.Contains(t, err.Error(), "accepted: 0/2, 1/2", testcmd.Rerun(t, "./explore"))
	}
}
