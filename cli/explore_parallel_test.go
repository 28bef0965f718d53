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

	"github.com/idemsim/idemsim/internal/testcmd"
)

// speedLine is the one line of explore's output that depends on the
// clock.
var speedLine = regexp.MustCompile(`(?m)^speed .*\n`)

// Goal: idemsim explore --shard I/N --out-json for every I, merged with
// --merge, prints what the unsharded search prints (the speed line
// aside), exits as it does, and writes the same counterexample file;
// the worker count changes nothing of the output either.
// Method: a search that finds a counterexample and one that exhausts its
// bounds, each in 2 and in 3 shards, the shards on 1 worker, the whole
// on 2; merge with the files in reverse order.
func TestExploreShardsMerge(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"counterexample", []string{"--strategy", "naive", "--max-faults", "2", "--max-delays", "1", "--faults", "drop-request,drop-response,duplicate,reset"}, 1},
		{"exhausted", []string{"--strategy", "txn-check-insert", "--isolation", "serializable", "--workers-per-op", "2", "--faults", "duplicate,db-drop", "--max-delays", "1"}, 0},
	} {
		for _, n := range []string{"2", "3"} {
			t.Run(tc.name+"/"+n, func(t *testing.T) {
				rerun := testcmd.Rerun(t, "./cli") + "\n       or: idemsim explore " + strings.Join(tc.args, " ")
				dir := t.TempDir()
				var whole, stderr bytes.Buffer
				wholeCX := filepath.Join(dir, "whole.txt")
				require.Equal(t, tc.code, run(append([]string{"explore", "--workers", "2", "--out", wholeCX}, tc.args...), &whole, &stderr), "%s\n%s", stderr.String(), rerun)
				var files []string
				for i := range map[string]int{"2": 2, "3": 3}[n] {
					f := filepath.Join(dir, "shard"+string(rune('0'+i))+".json")
					var out, errb bytes.Buffer
					args := append([]string{"explore", "--workers", "1", "--shard", string(rune('0'+i)) + "/" + n, "--out-json", f}, tc.args...)
					require.Equal(t, 0, run(args, &out, &errb), "%s\n%s", errb.String(), rerun)
					assert.Contains(t, out.String(), "wrote "+f, rerun)
					files = append([]string{f}, files...)
				}
				mergedCX := filepath.Join(dir, "merged.txt")
				var merged, errb bytes.Buffer
				require.Equal(t, tc.code, run(append([]string{"explore", "--merge", "--out", mergedCX}, files...), &merged, &errb), "%s\n%s", errb.String(), rerun)
				assert.Equal(t, speedLine.ReplaceAllString(whole.String(), ""), strings.ReplaceAll(merged.String(), mergedCX, wholeCX), rerun)
				if tc.code == 1 {
					a, err := os.ReadFile(wholeCX)
					require.NoError(t, err, rerun)
					b, err := os.ReadFile(mergedCX)
					require.NoError(t, err, rerun)
					assert.Equal(t, string(a), string(b), rerun)
				}
			})
		}
	}
}

// Goal: a cut search says how much it left, by Knuth's estimate, on its
// searched line.
// Method: cut a search of hundreds of runs at 20.
func TestExploreCutEstimate(t *testing.T) {
	rerun := testcmd.Rerun(t, "./cli")
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run([]string{"explore", "--strategy", "select-for-update", "--max-faults", "2", "--max-runs", "20", "--probes", "30", "--workers", "2"}, &stdout, &stderr), "%s\n%s", stderr.String(), rerun)
	assert.Regexp(t, `CUT at --max-runs 20: the bounds were not covered; Knuth's estimate \(30 probes a budget\): about [0-9.e+]+ schedules within the bounds \([0-9.e+]+ runs\), about [0-9.e+]+ left`, stdout.String(), rerun)
}

// Goal: bad input to the parallel flags and to --merge is one line naming
// what is wrong and what is accepted, exit status 2.
// Method: a table of command lines, with shard files of two different
// searches and a file that is not one.
func TestExploreParallelUsageErrors(t *testing.T) {
	dir := t.TempDir()
	shard := func(name string, extra ...string) string {
		f := filepath.Join(dir, name)
		var out, errb bytes.Buffer
		args := append([]string{"explore", "--strategy", "naive", "--faults", "drop-response", "--out-json", f}, extra...)
		require.Equal(t, 0, run(args, &out, &errb), "%s; %s", errb.String(), testcmd.Rerun(t, "./cli"))
		return f
	}
	a0 := shard("a0.json", "--shard", "0/2")
	b1 := shard("b1.json", "--shard", "1/2", "--max-faults", "0")
	a1 := shard("a1.json", "--shard", "1/2")
	c1 := shard("c1.json", "--shard", "1/2", "--seed", "9")
	junk := filepath.Join(dir, "junk.json")
	require.NoError(t, os.WriteFile(junk, []byte("{}"), 0o644), testcmd.Rerun(t, "./cli"))
	tc := func(args ...string) []string { return args }
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"workers-zero", tc("explore", "--workers", "0"), []string{"--workers", "[1, 1024]"}},
		{"workers-word", tc("explore", "--workers", "many"), []string{"--workers"}},
		{"shard-bad", tc("explore", "--shard", "2/2", "--out-json", filepath.Join(dir, "x.json")), []string{"--shard", "not a shard I/N", "accepted: 0/2, 1/2"}},
		{"shard-no-file", tc("explore", "--shard", "0/2"), []string{"--shard 0/2 needs --out-json FILE"}},
		{"shard-out", tc("explore", "--shard", "0/2", "--out-json", filepath.Join(dir, "y.json"), "--out", filepath.Join(dir, "cx.txt")), []string{"--out with --out-json", "accepted: --out with idemsim explore --merge"}},
		{"out-json-dir", tc("explore", "--out-json", dir), []string{"--out-json"}},
		{"probes-zero", tc("explore", "--probes", "0"), []string{"--probes", "[1, 100000]"}},
		{"merge-none", tc("explore", "--merge"), []string{"no shard file", "accepted:"}},
		{"merge-flag", tc("explore", "--merge", "--strategy", "naive", a0), []string{"unknown flag --strategy"}},
		{"merge-missing", tc("explore", "--merge", a0), []string{"1 shards of 2 given", "accepted: every shard"}},
		{"merge-twice", tc("explore", "--merge", a0, a0), []string{"or twice"}},
		{"merge-other-search", tc("explore", "--merge", a0, b1), []string{b1, "a shard of another search", "--max-faults 0", "accepted: the shards of one command line"}},
		{"merge-other-seed", tc("explore", "--merge", a0, c1), []string{"another search", "--seed 9"}},
		{"merge-junk", tc("explore", "--merge", a0, junk), []string{junk, "accepted: idemsim-explore-shard/v1"}},
		{"merge-absent", tc("explore", "--merge", a0, filepath.Join(dir, "absent.json")), []string{"absent.json"}},
		{"merge-value", tc("explore", "--merge=true", a0, a1), []string{"--merge takes no value"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./cli") + "\n       or: idemsim " + strings.Join(c.args, " ")
			var stdout, stderr bytes.Buffer
			require.Equal(t, exitUsage, run(c.args, &stdout, &stderr), "%s\n%s", stderr.String(), rerun)
			msg := strings.TrimSuffix(stderr.String(), "\n")
			assert.NotContains(t, msg, "\n", "one line; "+rerun)
			for _, w := range c.want {
				assert.Contains(t, msg, w, rerun)
			}
		})
	}
}
