package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/claims"
)

// Goal: issue 16's memory part, refused up front: a run whose operations
// may hold more than the bound (world.MaxRunBytes), with or without a
// kept trace, and a shrink of one, exit 2 with one line saying how much
// they may hold and how many fit, before anything runs; and a shrink
// whose budget cannot even replay the run says so, naming --max-runs and
// what is accepted.
// Method: the commands through checkUsageCases (in process, so
// each must be refused before it allocates a world).
func TestHardeningMemory(t *testing.T) {
	checkUsageCases(t, []usageCase{
		{name: "run-1000x1000-drop-request", args: []string{"run", "--clients", "1000", "--ops", "1000", "--drop-request", "1"}, code: 2,
			names: "idemsim run: --ops: clients x ops = 1000 x 1000 = 1000000 operations may hold 9.5 GiB (10 KiB each, with its first attempt), over the limit of 1 GiB", accepted: "(accepted: clients x ops at most 104857)"},
		{name: "run-1000x1000", args: []string{"run", "--clients", "1000", "--ops", "1000"}, code: 2,
			names: "idemsim run: --ops: clients x ops = 1000 x 1000 = 1000000 operations may hold 9.5 GiB", accepted: "(accepted: clients x ops at most 104857)"},
		{name: "run-trace-kept", args: []string{"run", "--clients", "1000", "--ops", "100", "--attempts", "1", "--trace"}, code: 2,
			names: "idemsim run: --ops: clients x ops = 1000 x 100 = 100000 operations may hold 1.4 GiB (15 KiB each, with its first attempt and its trace)", accepted: "(accepted: clients x ops at most 69905 with the trace kept)"},
		{name: "run-out-keeps-the-trace", args: []string{"run", "--clients", "1000", "--ops", "100", "--out", "$DIR/out"}, code: 2,
			names: "with its first attempt and its trace", accepted: "(accepted: clients x ops at most 69905 with the trace kept)"},
		{name: "shrink-10000x100", args: []string{"shrink", "--clients", "10000", "--ops", "100", "--drop-response", "0.5", "--max-runs", "5"}, code: 2,
			names: "idemsim shrink: --ops: clients x ops = 10000 x 100 = 1000000 operations may hold 9.5 GiB", accepted: "(accepted: clients x ops at most 104857)"},
		{name: "shrink-max-runs-1", args: []string{"shrink", "--max-runs", "1", "--strategy", "naive", "--drop-response", "0.2"}, code: 2,
			names: "idemsim shrink: --max-runs 1: too small to shrink anything", accepted: "(accepted: at least 2; the default is 2000)"},
	})
}

// Goal: a run whose operations fit but whose attempts outgrow the rest of
// the bound stops there, says so in its summary and on stderr, and exits
// 1, as at the event limit. Method: 100,000 naive operations (within the
// bound by themselves) with every response lost, so that each retries.
func TestRunStopsAtTheMemoryLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 100,000 operations")
	}
	args := []string{"run", "--clients", "1000", "--ops", "100", "--drop-response", "1"}
	rerun := rerun(t, args)
	var stdout, stderr bytes.Buffer
	require.Equal(t, 1, run(args, &stdout, &stderr), "%s\n%s", stderr.String(), rerun)
	assert.Contains(t, stdout.String(), "memory-limit", rerun)
	assert.Contains(t, stdout.String(), "stopped    at the memory limit of 1 GiB, before the run finished", rerun)
	require.Equal(t, 1, strings.Count(stderr.String(), "\n"), "one line: %q\n%s", stderr.String(), rerun)
	assert.Contains(t, stderr.String(), "idemsim run: stopped at the memory limit (1 GiB held: ", rerun)
	assert.Contains(t, stderr.String(), "lower --clients, --ops or --attempts", rerun)
}

// Goal: a shrink cut short still answers truly about itself: one whose
// budget runs out prints the run as far as it got, a valid scenario
// file, and says the budget ran out (not "a replay bug"); the run of a
// shrink that stops at the event limit is shrunk like any other, and when
// the minimal run still stops there, its scenario file holds what run
// prints for it, which says so.
// Method: the two commands, and both cuts at once; each exits 0,
// says on stderr what it kept and why it stopped, and its scenario file
// replays (with --scenario-file) to the output it holds — exit 1 for a
// run that stops at the event limit, as run itself.
func TestShrinkCutShort(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		said     []string // on stderr
		notSaid  string
		replayed int // run --scenario-file's exit status
	}{
		{name: "max-runs-2", args: []string{"--max-runs", "2", "--strategy", "naive", "--drop-response", "0.2"},
			said: []string{"duplicate kept: 196 faults", "in 3 runs", "the budget of --max-runs 2 ran out before shrinking was done (a larger one may remove more)"}, notSaid: "replay bug"},
		{name: "max-events-5000", args: []string{"--strategy", "naive", "--drop-response", "0.2", "--max-events", "5000"},
			said: []string{"duplicate kept: 99 faults, 16 clients, 3 servers, 50 ops per client, deadline 24h0m0s -> 1 fault, 1 client, 1 server, 1 op per client"}, notSaid: "ran out"},
		{name: "max-runs-2-max-events-5000", args: []string{"--max-runs", "2", "--strategy", "naive", "--drop-response", "0.2", "--max-events", "5000"},
			said: []string{"the budget of --max-runs 2 ran out", "the minimal run stops at the event limit, as the run shrunk did"}, replayed: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"shrink"}, tc.args...)
			rerun := rerun(t, args)
			var stdout, stderr bytes.Buffer
			require.Equal(t, 0, run(args, &stdout, &stderr), "%s\n%s", stderr.String(), rerun)
			require.Equal(t, 1, strings.Count(stderr.String(), "\n"), "one line on stderr: %q\n%s", stderr.String(), rerun)
			for _, s := range tc.said {
				assert.Contains(t, stderr.String(), s, rerun)
			}
			if tc.notSaid != "" {
				assert.NotContains(t, stderr.String(), tc.notSaid, rerun)
			}
			text := stdout.String()
			file := filepath.Join(t.TempDir(), "min.txt")
			require.NoError(t, os.WriteFile(file, []byte(text), 0o644), rerun)
			_, _, err := claims.ParseRunFile(file, text)
			require.NoError(t, err, "the printed text is a scenario file\n%s", rerun)
			var out, errs bytes.Buffer
			assert.Equal(t, tc.replayed, run([]string{"run", "--scenario-file", file}, &out, &errs), "%s\n%s", errs.String(), rerun)
			assert.Equal(t, expectedOutput(t, text), out.String(), "the scenario replays to the output it holds\n%s", rerun)
			if tc.replayed == 1 {
				assert.Contains(t, errs.String(), "stopped at the event limit", rerun)
				assert.Contains(t, out.String(), "stopped    at the event limit", rerun)
			}
		})
	}
}
