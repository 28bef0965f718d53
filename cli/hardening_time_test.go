package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
)

// maxGo is the largest Go duration, as issue 16's commands give it.
const maxGo = "2562047h47m16.854775807s"

// Goal: every command of issue 16's "durations near the largest Go
// duration" bullet, which once panicked with "event scheduled in the past",
// and of its "wrong answers about itself" bullets on flags, fault lines and
// scenario files, is refused the one way: exit status 2, one line naming
// the value at fault and the largest value (or the form) accepted.
// Method: checkUsageCases over the commands, with the largest Go
// duration and with the limit plus a nanosecond where the limit is new.
func TestHardeningTimeRefusals(t *testing.T) {
	const (
		limit   = "over the limit of 100000h"
		distAcc = "(accepted: " + sim.DistSyntax + ")"
		durAcc  = "up to 100000h, like 250ms, 2s or 1h)"
	)
	dist := func(flag, value, culprit string, more ...string) usageCase {
		return usageCase{name: strings.TrimPrefix(flag, "--") + "-" + value, args: append([]string{"run", flag, value}, more...), code: 2,
			names: fmt.Sprintf(`%s: "%s": duration "%s" %s`, flag, value, culprit, limit), accepted: distAcc}
	}
	cases := []usageCase{
		dist("--delay", "const:"+maxGo, maxGo),
		dist("--delay", "exp:2562047h", "2562047h"),
		dist("--delay", "lognormal:2562047h,4", "2562047h"),
		dist("--delay", "uniform:0s..100000h0m0.000000001s", "100000h0m0.000000001s"),
		dist("--service-delay", "const:"+maxGo, maxGo),
		dist("--service-delay", "exp:2562047h", "2562047h"),
		dist("--service-delay", "lognormal:2562047h,4", "2562047h"),
		dist("--gateway-time", "const:"+maxGo, maxGo, "--work", "charge"),
		dist("--gateway-time", "exp:2562047h", "2562047h", "--work", "charge"),
		dist("--gateway-time", "lognormal:2562047h,4", "2562047h", "--work", "charge"),
		dist("--think", "exp:2562047h", "2562047h"),
		dist("--service-time", "lognormal:2562047h,4", "2562047h"),
		dist("--db-latency", "const:"+maxGo, maxGo),
		{name: "link-delay-const", args: []string{"run", "--link", "clients-s2:delay=const:" + maxGo}, code: 2,
			names: `--link: "clients-s2:delay=const:` + maxGo + `"`, accepted: `duration "` + maxGo + `" ` + limit},
		{name: "link-delay-lognormal", args: []string{"run", "--link", "servers-db:delay=lognormal:2562047h,4"}, code: 2,
			names: `--link: "servers-db:delay=lognormal:2562047h,4"`, accepted: `duration "2562047h" ` + limit},
		{name: "crash-downtime", args: []string{"run", "--crash", "s1@1s+" + maxGo}, code: 2,
			names: `--crash: "s1@1s+` + maxGo + `": downtime "` + maxGo + `" ` + limit, accepted: "(accepted: " + faults.CrashSyntax + ")"},
		{name: "crash-time", args: []string{"run", "--crash", "s1@" + maxGo}, code: 2,
			names: `--crash: "s1@` + maxGo + `": time "` + maxGo + `" past the limit of 100000h`, accepted: "(accepted: " + faults.CrashSyntax + ")"},
		{name: "pause-length", args: []string{"run", "--pause", "s1@1s+" + maxGo}, code: 2,
			names: `--pause: "s1@1s+` + maxGo + `": downtime "` + maxGo + `" ` + limit, accepted: "(accepted: " + faults.PauseSyntax + ")"},
		{name: "client-crash-downtime", args: []string{"run", "--client-crash", "c1@1s+" + maxGo}, code: 2,
			names: `--client-crash: "c1@1s+` + maxGo + `": downtime "` + maxGo + `" ` + limit, accepted: "(accepted: NODE@TIME[+DOWNTIME]"},
		{name: "downtime", args: []string{"run", "--crash-every", "1s", "--downtime", maxGo}, code: 2,
			names: `--downtime: "` + maxGo + `" is ` + limit, accepted: "(accepted: a Go duration > 0 " + durAcc},
		{name: "client-crash-every-downtime", args: []string{"run", "--client-crash-every", "1s", "--downtime", "100001h"}, code: 2,
			names: `--downtime: "100001h" is ` + limit, accepted: "(accepted: a Go duration > 0 " + durAcc},
		{name: "fault-extra", args: []string{"run", "--fault", "duplicate-request c1/o1.1/a1 extra=" + maxGo}, code: 2,
			names: `--fault: fault "duplicate-request c1/o1.1/a1 extra=` + maxGo + `": field "extra=` + maxGo + `" ` + limit, accepted: "(accepted: a duration up to 100000h)"},
		{name: "fault-at", args: []string{"run", "--fault", "drop-request c1/o1.1/a1 at=" + maxGo}, code: 2,
			names: `field "at=` + maxGo + `" ` + limit, accepted: "(accepted: a duration up to 100000h)"},
		{name: "fault-crash-downtime", args: []string{"run", "--fault", "crash s1@1s+" + maxGo}, code: 2,
			names: `--fault: fault "crash s1@1s+` + maxGo + `"`, accepted: `downtime "` + maxGo + `" ` + limit},
		{name: "replay-pause-length", args: []string{"run", "--replay", "$DIR/f.faults"}, file: "# recorded\npause s1@1s+" + maxGo + "\n", code: 2,
			names: "--replay $DIR/f.faults: line 2", accepted: `downtime "` + maxGo + `" ` + limit},
		{name: "crash-at-downtime", args: []string{"run", "--work", "charge", "--crash-at", "s1:after-charge+" + maxGo}, code: 2,
			names: `--crash-at: "s1:after-charge+` + maxGo + `": downtime "` + maxGo + `" ` + limit, accepted: "(accepted: " + faults.CrashPointSyntax + ")"},
		{name: "settle-async-202", args: []string{"run", "--strategy", "async-202", "--settle", maxGo}, code: 2,
			names: `--settle: "` + maxGo + `" is ` + limit, accepted: "(accepted: a Go duration >= 0 " + durAcc},
		{name: "deadline", args: []string{"run", "--deadline", maxGo}, code: 2,
			names: `--deadline: "` + maxGo + `" is ` + limit, accepted: "(accepted: a Go duration > 0 " + durAcc},
		{name: "timeout", args: []string{"run", "--timeout", "100000h0m0.000000001s"}, code: 2,
			names: `--timeout: "100000h0m0.000000001s" is ` + limit, accepted: "(accepted: a Go duration > 0 " + durAcc},
		{name: "partition-end", args: []string{"run", "--partition", "clients|s1@1s.." + maxGo}, code: 2,
			names: `--partition: "clients|s1@1s..` + maxGo + `": time "` + maxGo + `" past the limit of 100000h`, accepted: "(accepted: " + faults.PartitionSyntax + ")"},
		{name: "kv-failover", args: []string{"run", "--kv-failover", maxGo}, code: 2,
			names: `--kv-failover: "` + maxGo + `"`, accepted: "(accepted: a Go duration from the start like 5s, at most 100000h)"},
		{name: "clock-skew", args: []string{"run", "--clock-skew", "s2:-" + maxGo}, code: 2,
			names: `--clock-skew: "s2:-` + maxGo + `": bad offset`, accepted: "at most 100000h either way)"},
		{name: "gateway-window", args: []string{"run", "--work", "charge", "--gateway", "window:" + maxGo}, code: 2,
			names: `--gateway: "window:` + maxGo + `": window ` + limit, accepted: "(accepted: idempotent, window:DURATION up to 100000h, or none)"},
		{name: "switch-lease", args: []string{"run", "--strategy", "stripe-replay", "--switch", "lease=" + maxGo}, code: 2,
			names: "--switch: strategy stripe-replay: lease 2562047h47m16.854775807s is " + limit, accepted: "(accepted: lease=none|DURATION)"},
		{name: "switch-retention", args: []string{"run", "--strategy", "stripe-replay", "--switch", "retention=100001h:reject"}, code: 2,
			names: "--switch: strategy stripe-replay: retention 100001h0m0s is " + limit, accepted: "(accepted: retention=forever|DURATION[:accept|:reject])"},

		// A switch, like any other flag, is given once.
		{name: "switch-twice", args: []string{"run", "--strategy", "stripe-replay", "--switch", "retention=forever", "--switch", "retention=24h"}, code: 2,
			names: `--switch retention given twice ("retention=forever", then "retention=24h"`, accepted: "accepted: each switch once)"},
		{name: "switch-twice-same-value", args: []string{"run", "--strategy", "stripe-replay", "--switch=lease=10s", "--switch", "lease=10s"}, code: 2,
			names: "--switch lease given twice", accepted: "accepted: each switch once)"},
		{name: "clock-skew-twice", args: []string{"run", "--clock-skew", "s1:+1s", "--clock-skew", "s1:-1s"}, code: 2,
			names: `--clock-skew s1 given twice ("s1:+1s", then "s1:-1s"`, accepted: "accepted: each node once)"},
		{name: "clock-drift-twice", args: []string{"run", "--clock-drift", "db:1.1", "--clock-drift", "db:1.2"}, code: 2,
			names: "--clock-drift db given twice", accepted: "accepted: each node once)"},

		// The queue's visibility timeout: its own limit, in the flag's words.
		{name: "queue-visibility-huge", args: []string{"run", "--queue-visibility", "2562047h"}, code: 2,
			names: `--queue-visibility: "2562047h" is over the limit of 12h`, accepted: "(accepted: a Go duration > 0 up to 12h, like 250ms, 2s or 1h)"},
		{name: "queue-visibility-just-over", args: []string{"run", "--queue-visibility", "12h0m0.001s"}, code: 2,
			names: `--queue-visibility: "12h0m0.001s" is over the limit of 12h`, accepted: "up to 12h"},
		{name: "queue-visibility-zero", args: []string{"run", "--queue-visibility", "0"}, code: 2,
			names: `--queue-visibility: "0" is not a duration > 0`, accepted: "(accepted: a Go duration like 250ms, 2s or 1h)"},

		// Fault lists and scenario files.
		{name: "replay-long-comment-then-bad-line", args: []string{"run", "--replay", "$DIR/f.faults"}, file: "# " + strings.Repeat("x", 70<<10) + "\ncrash s1\n", code: 2,
			names: "--replay $DIR/f.faults: line 2", accepted: "(accepted: " + faults.CrashSyntax + ")"},
		{name: "scenario-file-flag-without-value", args: []string{"run", "--scenario-file", "$DIR/f.faults"}, file: "run\n--ops 1 --clients\n----\n", code: 2,
			names: "--scenario-file $DIR/f.faults: --clients needs a value", accepted: ": N"},
		{name: "scenario-file-flag-without-value-then-user-flags", args: []string{"run", "--scenario-file", "$DIR/f.faults", "--seed", "3"}, file: "run\n--ops 1 --clients\n----\n", code: 2,
			names: "--scenario-file $DIR/f.faults: --clients needs a value", accepted: ": N"},
		{name: "scenario-file-bad-value", args: []string{"run", "--scenario-file", "$DIR/f.faults"}, file: "run\n--clients 0\n----\n", code: 2,
			names: `--scenario-file $DIR/f.faults: --clients: "0"`, accepted: "not an integer in [1, 10000]"},
		{name: "scenario-file-unterminated-quote", args: []string{"run", "--scenario-file", "$DIR/f.faults"}, file: "run\n--clients 1 --ops 1 --fault 'drop-response c1/o1.1/a1\n----\n", code: 2,
			names: "--scenario-file: $DIR/f.faults:3: the run directive's flags: unterminated quote", accepted: "(accepted: flags as a shell splits them, each ' closed by another)"},
		{name: "scenario-file-long-line-then-two-runs", args: []string{"run", "--scenario-file", "$DIR/f.faults"}, file: "# " + strings.Repeat("x", 70<<10) + "\nrun\n--ops 1\n----\nx\n\nrun\n--ops 1\n----\n", code: 2,
			names: "$DIR/f.faults:7: a second run directive", accepted: "the file must hold one"},
	}
	checkUsageCases(t, cases)
}

// Goal: what issue 16 found accepted wrongly or refused wrongly now runs,
// to the end and without a panic: the largest values accepted (each at
// sim.MaxSpan, from a moment after the start), a latency whose tail is cut
// at MaxSpan on duplicated messages, a fault list and a scenario file
// with lines over 64 KB, and a scenario's switch changed by the user's.
// Method: each command in-process; it must exit 0, print its summary and
// nothing on stderr.
func TestHardeningTimeRuns(t *testing.T) {
	small := []string{"--clients", "2", "--ops", "2"}
	cases := []struct {
		name string
		args []string
		file string // written to $DIR/f
	}{
		{name: "duplicated-lognormal-1000h", args: []string{"--duplicate", "1", "--delay", "lognormal:1000h,4"}},
		{name: "crash-down-for-the-limit", args: []string{"--crash", "s1@1s+100000h"}},
		{name: "pause-for-the-limit", args: []string{"--pause", "s1@10ms+100000h"}},
		{name: "client-crash-for-the-limit", args: []string{"--client-crash", "c1@10ms+100000h"}},
		{name: "random-crashes-down-for-the-limit", args: []string{"--crash-every", "10ms", "--downtime", "100000h"}},
		{name: "crash-at-down-for-the-limit", args: []string{"--work", "charge", "--crash-at", "s1:after-charge+100000h"}},
		{name: "duplicate-extra-of-the-limit", args: []string{"--fault", "duplicate-request c1/o1.1/a1 extra=100000h"}},
		{name: "settle-async-202", args: []string{"--strategy", "async-202", "--settle", "100000h"}},
		{name: "latencies-of-the-limit", args: []string{"--delay", "exp:100000h", "--service-delay", "lognormal:100000h,4", "--work", "charge", "--gateway-time", "const:100000h"}},
		{name: "deadline-of-the-limit", args: []string{"--deadline", "100000h", "--timeout", "100000h", "--crash", "s1@99999h+100000h"}},
		{name: "queue-visibility-12h", args: []string{"--strategy", "async-202-dual-write", "--queue-visibility", "12h"}},
		{name: "replay-long-comment", args: []string{"--replay", "$DIR/f"}, file: "# " + strings.Repeat("x", 70<<10) + "\ndrop-response c1/o1.1/a1\n"},
		{name: "scenario-file-long-comment", args: []string{"--scenario-file", "$DIR/f"}, file: "# " + strings.Repeat("x", 70<<10) + "\nrun\n--clients 1 --ops 1\n----\n"},
		{name: "scenario-switch-replaced", args: []string{"--scenario-file", "$DIR/f", "--switch", "lease=20s"}, file: "run\n--strategy stripe-replay --switch lease=10s --clients 1 --ops 1\n----\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string{"run"}, small...)
			for _, a := range c.args {
				args = append(args, strings.ReplaceAll(a, "$DIR", dir))
			}
			if c.file != "" {
				require.NoError(t, os.WriteFile(filepath.Join(dir, "f"), []byte(c.file), 0o644), rerun(t, args))
			}
			r := runCLI(t, args...)
			assert.Equal(t, 0, r.code, "stderr: %q\n%s", r.stderr, rerun(t, args))
			assert.Empty(t, r.stderr, rerun(t, args))
			assert.NotEmpty(t, lineWith(r.stdout, "verdict "), rerun(t, args))
		})
	}
	t.Run("scenario-switch-replaced-in-the-command", func(t *testing.T) {
		dir := t.TempDir()
		file := filepath.Join(dir, "f")
		require.NoError(t, os.WriteFile(file, []byte("run\n--strategy stripe-replay --switch lease=10s --clients 1 --ops 1\n----\n"), 0o644), rerun(t, nil))
		args := []string{"--scenario-file", file, "--switch", "lease=20s"}
		st, err := configure(args)
		require.NoError(t, err, rerun(t, append([]string{"run"}, args...)))
		assert.Equal(t, []string{"lease=20s"}, st.cfg.Switches, rerun(t, append([]string{"run"}, args...)))
		assert.Contains(t, st.command, "--switch lease=20s", rerun(t, append([]string{"run"}, args...)))
		assert.NotContains(t, st.command, "lease=10s", rerun(t, append([]string{"run"}, args...)))
	})
}

// Goal: a replayed list whose faults never fire (issue 16: 409,000 of them
// printed 68 MB of warnings) names the first few and counts the rest in
// one line. Method: 20,000 drop-request faults on attempts that never
// happen; stderr must hold maxUnfiredWarnings named lines and one count.
func TestUnfiredFaultsAreSummarized(t *testing.T) {
	const n = 20000
	dir := t.TempDir()
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "drop-request c1/o1.1/a%d at=1s\n", i+2)
	}
	path := filepath.Join(dir, "never.faults")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644), rerun(t, nil))
	args := []string{"run", "--clients", "1", "--ops", "1", "--replay", path}
	r := runCLI(t, args...)
	require.Equal(t, 0, r.code, "stderr: %.300q\n%s", r.stderr, rerun(t, args))
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	require.Len(t, lines, maxUnfiredWarnings+1, "%.2000s\n%s", r.stderr, rerun(t, args))
	assert.Equal(t, `idemsim run: warning: replayed fault "drop-request c1/o1.1/a2 at=1s" never fired (no such message, or its node was down): the run differs from the recorded one`, lines[0], rerun(t, args))
	assert.Equal(t, fmt.Sprintf("idemsim run: warning: and %d more replayed faults never fired (%d in all)", n-maxUnfiredWarnings, n), lines[maxUnfiredWarnings], rerun(t, args))
}

// Goal: `idemsim help run` states the ranges: the largest duration, the
// queue's 12h, a range for each duration, integer and probability flag,
// and that a switch is given once. Method: look for them in the help.
func TestHelpShowsRanges(t *testing.T) {
	args := []string{"help", "run"}
	r := runCLI(t, args...)
	require.Equal(t, 0, r.code, rerun(t, args))
	for _, want := range []string{
		"at most 100000h (about 11 years)",
		"cut at 100000h",
		"--switch, --clock-skew and --clock-drift once per switch or node",
		"--timeout DURATION",
		"(default 1s) [> 0, at most 100000h]",
		"(default 0: none) [>= 0, at most 100000h]",
		"(default 30s; as in SQS, at most 12h) [> 0, at most 12h]",
		"(default 3) [1 to 1000]",
		"(default 0) [0 to 1]",
	} {
		assert.Contains(t, r.stdout, want, rerun(t, args))
	}
	for _, line := range strings.Split(r.stdout, "\n") {
		flag, _, _ := strings.Cut(strings.TrimSpace(line), "  ")
		if strings.HasPrefix(flag, "--") && (strings.HasSuffix(flag, " DURATION") || strings.HasSuffix(flag, " N") || strings.HasSuffix(flag, " P")) {
			assert.Contains(t, line, "]", "a flag of a standard kind shows its range: %q\n%s", line, rerun(t, args))
		}
	}
}
