package cli

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
)

var traceRE = regexp.MustCompile(`trace ([0-9a-f]{16})`)

// Goal: every counterexample idemsim explore finds replays, from the
// scenario file it writes and from the command it prints, through idemsim
// run to the trace hash explore reported; explore exits 1 on a
// counterexample and 0 when the bounds hold none or the search was cut
// (saying so).
// Method: explore worlds known to break (naive with one lost response;
// txn-check-insert at read committed with two workers, which needs a
// duplicate and two latency choices) with --out; run --scenario-file and
// the printed replay command; compare the trace hashes; then explore a
// correct world, and one cut by --max-runs.
func TestExploreReplays(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		faults  string
		verdict string // what idemsim run's verdict line says of the replay
	}{
		{"naive", []string{"--strategy", "naive", "--faults", "drop-response"}, "1 fault and 0 delays", "DUPLICATE 1"},
		// Every order of the ties, and one per class: the same counterexample replays.
		{"naive-ties-all", []string{"--strategy", "naive", "--faults", "drop-response", "--ties", "all"}, "1 fault and 0 delays", "DUPLICATE 1"},
		{"naive-ties-dpor", []string{"--strategy", "naive", "--faults", "drop-response", "--ties", "dpor"}, "1 fault and 0 delays", "DUPLICATE 1"},
		{"txn-check-insert-read-committed", []string{"--strategy", "txn-check-insert", "--isolation", "read-committed", "--workers-per-op", "2", "--faults", "duplicate", "--max-delays", "2"}, "1 fault and 2 delays", "DUPLICATE 1"},
		// A crash point and a gateway fault replay from their fault lines too.
		{"early-409-crash-at", []string{"--strategy", "early-409", "--work", "charge", "--faults", "crash-at"}, "1 fault and 0 delays", "ORPHAN-CHARGE 1"},
		{"etag-412-gateway-timeout", []string{"--strategy", "etag-412", "--work", "charge", "--faults", "gateway-timeout"}, "1 fault and 0 delays", "ORPHAN-CHARGE 1"},
		// The timed kinds replay from their anchored fault lines.
		{"local-cache-crash", []string{"--strategy", "local-cache", "--servers", "1", "--faults", "crash"}, "1 fault and 0 delays", "DUPLICATE 1"},
		{"redis-lock-store-restart", []string{"--strategy", "redis-lock", "--workers-per-op", "2", "--faults", "store-restart"}, "1 fault and 0 delays", "DUPLICATE 1"},
		// PCT's counterexamples too, with their reordered ties.
		{"pct-ties", []string{"--strategy", "txn-check-insert", "--workers-per-op", "2", "--think", "const:0", "--faults", "none", "--pct", "3", "--runs", "50"}, "0 faults and 0 delays", "DUPLICATE 1"},
		{"pct-pause", []string{"--strategy", "txn-check-insert", "--workers-per-op", "2", "--faults", "duplicate,pause", "--max-delays", "2", "--pct", "3", "--runs", "200"}, "1 fault and 0 delays", "DUPLICATE 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./cli") + "\n       or: idemsim explore " + strings.Join(tc.args, " ")
			out := filepath.Join(t.TempDir(), "cx.txt")
			var stdout, stderr bytes.Buffer
			require.Equal(t, 1, run(append([]string{"explore", "--out", out}, tc.args...), &stdout, &stderr), "%s\n%s\n%s", stdout.String(), stderr.String(), rerun)
			assert.Contains(t, stdout.String(), "COUNTEREXAMPLE with "+tc.faults, rerun)
			assert.Contains(t, stderr.String(), "a counterexample with "+tc.faults, rerun)
			m := regexp.MustCompile(`  trace  ([0-9a-f]{16})`).FindStringSubmatch(stdout.String())
			require.NotNil(t, m, "%s\n%s", stdout.String(), rerun)
			want := m[1]

			replays := map[string][]string{"scenario-file": {"run", "--scenario-file", out}}
			_, cmd, ok := strings.Cut(stdout.String(), "  replay idemsim run ")
			require.True(t, ok, rerun)
			cmd, _, _ = strings.Cut(cmd, "\n")
			args, err := splitShell(cmd)
			require.NoError(t, err, rerun)
			replays["printed command"] = append([]string{"run"}, args...)
			for how, args := range replays {
				var ro, re bytes.Buffer
				assert.Equal(t, 0, run(args, &ro, &re), "%s: %s\n%s", how, re.String(), rerun)
				assert.NotContains(t, re.String(), "warning", "%s; %s", how, rerun)
				got := traceRE.FindAllStringSubmatch(ro.String(), -1)
				require.NotEmpty(t, got, "%s: %s\n%s", how, ro.String(), rerun)
				assert.Equal(t, want, got[len(got)-1][1], "%s replays to another trace hash; %s", how, rerun)
				assert.Contains(t, ro.String(), tc.verdict, "%s; %s", how, rerun)
			}
		})
	}
	t.Run("correct", func(t *testing.T) {
		rerun := testcmd.Rerun(t, "./cli")
		var stdout, stderr bytes.Buffer
		require.Equal(t, 0, run([]string{"explore", "--strategy", "txn-check-insert", "--isolation", "serializable", "--workers-per-op", "2", "--max-delays", "1", "--ties", "dpor", "--faults", "drop-request,drop-response,duplicate,reset,db-drop,lost-commit-ack,crash-at"}, &stdout, &stderr), "%s\n%s\n%s", stdout.String(), stderr.String(), rerun)
		for _, want := range []string{"exhausted", "no violation within the bounds", "faults <= 1 over drop-request,", "delay on service 2", "past-timeout on gateway", "no past-timeout on network", "one order per equivalence class (--ties dpor)", "equivalence classes explored"} {
			assert.Contains(t, stdout.String(), want, rerun)
		}
	})
	t.Run("cut", func(t *testing.T) {
		rerun := testcmd.Rerun(t, "./cli")
		var stdout, stderr bytes.Buffer
		require.Equal(t, 0, run([]string{"explore", "--strategy", "select-for-update", "--max-faults", "2", "--max-runs", "20"}, &stdout, &stderr), "%s\n%s", stderr.String(), rerun)
		assert.Contains(t, stdout.String(), "CUT at --max-runs 20", rerun)
		assert.Contains(t, stdout.String(), "in 20 runs", rerun)
	})
}

// splitShell splits a printed command line as a shell would (the single
// quotes of shellQuote).
func splitShell(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	quoted, in := false, false
	for _, r := range s {
		switch {
		case r == '\'':
			quoted, in = !quoted, true
		case r == ' ' && !quoted:
			if in {
				args = append(args, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		args = append(args, cur.String())
	}
	return args, nil
}

// Goal: bad input to idemsim explore, and --choices where it does not
// belong, is one line naming what is wrong and what is accepted, exit
// status 2, never a panic.
// Method: a table of command lines and the words their message must hold.
func TestExploreUsageErrors(t *testing.T) {
	tc := func(args ...string) []string { return args }
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"unknown-timed-kind", tc("explore", "--faults", "drop-response,crash-step"), []string{`unknown fault kind "crash-step"`, "accepted:", "store-restart"}},
		{"unknown-kind", tc("explore", "--faults", "drop"), []string{`unknown fault kind "drop"`, "accepted:", "drop-request"}},
		{"twice", tc("explore", "--faults", "reset,reset"), []string{`"reset" named twice`}},
		{"faults-over", tc("explore", "--max-faults", "9"), []string{"--max-faults", "[0, 8]"}},
		{"runs-zero", tc("explore", "--max-runs", "0"), []string{"--max-runs", "[1, "}},
		{"ties", tc("explore", "--ties", "some"), []string{"--ties", `unknown tie mode "some"`, "accepted: dpor, all or none"}},
		{"run-flag", tc("explore", "--drop-response", "0.1"), []string{"unknown flag --drop-response", "idemsim explore --help"}},
		{"strategy", tc("explore", "--strategy", "nope"), []string{"--strategy", `"nope"`, "accepted:"}},
		{"stray", tc("explore", "naive"), []string{`unexpected argument "naive"`}},
		{"size", tc("explore", "--servers", "0"), []string{"--servers"}},
		{"pct-depth", tc("explore", "--pct", "0"), []string{"--pct", "[1, 16]"}},
		{"pct-runs", tc("explore", "--pct", "2", "--runs", "0"), []string{"--runs", "[1, "}},
		{"runs-without-pct", tc("explore", "--runs", "5"), []string{"--runs goes with --pct"}},
		{"max-runs-with-pct", tc("explore", "--pct", "2", "--max-runs", "5"), []string{"--max-runs bounds a search", "--runs N"}},
		{"choices-version", tc("run", "--choices", "choices/v0 1:network=0.5"), []string{"--choices", `unknown trail version "choices/v0"`, "accepted: choices/v2"}},
		{"choices-stream", tc("run", "--choices", "choices/v1 1:workload=0.5"), []string{`"workload" is not a latency stream`}},
		{"choices-quantile", tc("run", "--choices", "choices/v1 1:network=1"), []string{"quantile must be a number in (0, 1)"}},
		{"choices-order", tc("run", "--choices", "choices/v1 3:network=0.5 2:db=0.1"), []string{"indices must increase"}},
		{"choices-shrink", tc("shrink", "--strategy", "naive", "--choices", "choices/v1"), []string{"--choices", "idemsim run only"}},
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

// Goal: a --choices trail the run does not follow is warned about, so a
// replay that differs from the explored run does not pass in silence.
// Method: a trail whose draw is past the run's last latency draw.
func TestRunWarnsOffTrail(t *testing.T) {
	rerun := testcmd.Rerun(t, "./cli")
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run([]string{"run", "--strategy", "naive", "--servers", "1", "--clients", "1", "--ops", "1", "--choices", "choices/v1 100000:network=0.9"}, &stdout, &stderr), "%s\n%s", stderr.String(), rerun)
	assert.Contains(t, stderr.String(), "left the --choices trail", rerun)
	assert.Contains(t, stderr.String(), "never reached the trail's draw 100000", rerun)
}
