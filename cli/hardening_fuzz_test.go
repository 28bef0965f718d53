package cli

// Issue 16's regressions for SQL nesting depth, for the exit status of a
// crash, and for what the fuzz targets found. None of them is a usage error (a script's statement that nests too
// deep fails with its SQLSTATE, as on PostgreSQL, and the script goes on),
// so they are checked here rather than with checkUsageCases.

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/crash"
	"github.com/idemsim/idemsim/sim/db/sql"
)

//go:noinline
func commandThatPanics() error { panic("boom") }

// Goal: the exit status tells a script what happened — 0 done, 1 a
// failure idemsim reports, 2 bad input, 3 a crash — and a crash, on the
// command's goroutine or handed over from a worker's, prints what a bug
// report needs: that it is a bug, how to report it, the command line and
// the stack of the goroutine that panicked. Method: guard with commands
// that return, fail, refuse their input and panic, and with a panic raised
// on a worker goroutine as the sweeps and the report hand it over.
func TestExitStatus(t *testing.T) {
	args := []string{"run", "--seed", "7", "--fault", "drop-response c1/o1.1/a1"}
	worker := func() error {
		got := make(chan *crash.Panic)
		go func() { got <- crash.Catch(func() { _ = commandThatPanics() }) }()
		panic(<-got)
	}
	for _, c := range []struct {
		name   string
		cmd    func() error
		code   int
		stderr []string
	}{
		{"done", func() error { return nil }, exitOK, nil},
		{"failure", func() error { return errors.New("writing x: disk full") }, exitFailure, []string{"writing x: disk full\n"}},
		{"usage", func() error { return usagef("idemsim run: --seed: bad") }, exitUsage, []string{"idemsim run: --seed: bad\n"}},
		{"panic", commandThatPanics, exitCrash, []string{
			"idemsim: internal error (a bug in idemsim, not in what it was given): boom\n",
			"Please report it as an issue of the idemsim repository, with this whole message",
			"command: idemsim run --seed 7 --fault 'drop-response c1/o1.1/a1'\n",
			"cli.commandThatPanics", "goroutine ",
		}},
		{"panic-on-a-worker", worker, exitCrash, []string{
			"internal error (a bug in idemsim, not in what it was given): boom\n",
			"cli.commandThatPanics", "created by github.com/idemsim/idemsim/cli.TestExitStatus",
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := guard(args, &stderr, c.cmd)
			assert.Equal(t, c.code, code, "stderr: %s\n%s", stderr.String(), rerun(t, nil))
			if c.stderr == nil {
				assert.Empty(t, stderr.String(), rerun(t, nil))
			}
			for _, want := range c.stderr {
				assert.Contains(t, stderr.String(), want, rerun(t, nil))
			}
		})
	}
	t.Run("help", func(t *testing.T) {
		r := runCLI(t, "help")
		assert.Contains(t, r.stdout, "3 a crash, which is a bug", "idemsim help documents the exit statuses\n%s", rerun(t, []string{"help"}))
	})
}

// deepScripts are expressions nested past sql.MaxExprDepth: the inputs
// that once overflowed the goroutine stack (100,000 parentheses, 1,000,000
// minus signs) or took 0.9 GB of it (50,000 parentheses), and the other
// ways an expression nests.
var deepScripts = []struct{ name, expr string }{
	{"parentheses-50000", strings.Repeat("(", 50_000) + "id = 1" + strings.Repeat(")", 50_000)},
	{"parentheses-100000", strings.Repeat("(", 100_000) + "id = 1" + strings.Repeat(")", 100_000)},
	{"minus-1000000", "id = " + strings.Repeat("- ", 1_000_000) + "id"},
	{"not-500000", strings.Repeat("not ", 500_000) + "true"}, // 2 MB, the most idemsim sql reads
	{"or-chain-100000", "id = 1" + strings.Repeat(" or id = 1", 100_000)},
	{"plus-chain-1000000", "id" + strings.Repeat("+1", 1_000_000) + " = 1"},
	{"nested-in-100000", strings.Repeat("id in (", 100_000) + "1" + strings.Repeat(")", 100_000)},
}

// deepScript is a script whose second statement is a select with where
// expr; the third shows that the session goes on.
func deepScript(expr string) string {
	return "create table t (id int primary key)\ninsert into t values (1), (2)\n" +
		"t1: select id from t where id = 1\n" +
		"t1: select id from t where " + expr + "\n" +
		"t1: select id from t where id = 2\n"
}

// checkDeepOutput checks idemsim sql's output for deepScript: the deep
// statement fails with 54001, and the statements around it run.
func checkDeepOutput(t *testing.T, stdout string, args []string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	require.Len(t, lines, 3, "one line per statement of t1\n%s", rerun(t, args))
	assert.True(t, strings.HasSuffix(lines[0], "=> rows (1)"), "%.200s\n%s", lines[0], rerun(t, args))
	want := "=> error 54001: stack depth limit exceeded: an expression may nest at most " + strconv.Itoa(sql.MaxExprDepth) + " levels deep (idemsim's limit)"
	assert.True(t, strings.HasSuffix(lines[1], want),
		"%.100s ... %s\n%s", lines[1], lines[1][max(0, len(lines[1])-150):], rerun(t, args))
	assert.True(t, strings.HasSuffix(lines[2], "=> rows (2)"), "%.200s\n%s", lines[2], rerun(t, args))
}

// Goal: `idemsim sql` answers a statement nested too deep with
// PostgreSQL's 54001 on its line and runs the rest of the script, exit 0,
// however deep the statement goes. Method: each of deepScripts through run,
// in this process (a stack overflow would crash the test binary).
func TestSQLNestingDepth(t *testing.T) {
	for _, c := range deepScripts {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), c.name+".sql")
			require.NoError(t, os.WriteFile(path, []byte(deepScript(c.expr)), 0o644), rerun(t, nil))
			args := []string{"sql", path}
			r := runCLI(t, args...)
			require.Equal(t, 0, r.code, "stderr: %q\n%s", r.stderr, rerun(t, args))
			assert.Empty(t, r.stderr, rerun(t, args))
			checkDeepOutput(t, r.stdout, args)
		})
	}
}

// ownPeakMB is this process's peak resident memory in MB, from
// /proc/self/status (0 where there is none).
func ownPeakMB() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb / 1024
		}
	}
	return 0
}

// Goal: the inputs that crashed the real command (fatal error: stack
// overflow, past 1 GB of stack), run as the real command: exit 0, the
// 54001 line, and a small footprint (the 50,000 parentheses that did not
// crash took 0.9 GB). Method: build idemsim once, run it on three of
// deepScripts with a generous timeout (a guard against a hang, not a
// measurement), and read its peak resident memory: at most 150 MB (-v
// prints it: about 30 MB), from GNU time where there is one, else from the
// kernel's accounting of the process, which on Linux includes this
// process's own peak (then the bound is a little more than that).
func TestSQLNestingDepthProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command; skipped with -short")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "idemsim")
	build := exec.Command("go", "build", "-o", bin, "../cmd/idemsim")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s\n%s", out, rerun(t, nil))
	for _, c := range deepScripts[:3] {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.name+".sql")
			require.NoError(t, os.WriteFile(path, []byte(deepScript(c.expr)), 0o644), rerun(t, nil))
			args := []string{"sql", path}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			// GNU time, where there is one, reports the command's own peak:
			// it forks the command, where the kernel's accounting of a
			// command started by exec from this process includes this
			// process's peak.
			gnuTime := "/usr/bin/time"
			_, noTime := os.Stat(gnuTime)
			cmd := exec.CommandContext(ctx, bin, args...)
			if noTime == nil {
				cmd = exec.CommandContext(ctx, gnuTime, append([]string{"-f", "peak-kb %M", bin}, args...)...)
			}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			require.NoError(t, ctx.Err(), "still running after a minute\n%s", rerun(t, args))
			require.NoError(t, err, "stderr: %.2000s\n%s", stderr.String(), rerun(t, args))
			checkDeepOutput(t, stdout.String(), args)
			peakMB, bound := int64(0), int64(150)
			if noTime == nil {
				rest, kb, ok := strings.Cut(stderr.String(), "peak-kb ")
				require.True(t, ok, "GNU time's line in %q\n%s", stderr.String(), rerun(t, args))
				assert.Empty(t, rest, "idemsim's stderr\n%s", rerun(t, args))
				n, err := strconv.ParseInt(strings.TrimSpace(kb), 10, 64)
				require.NoError(t, err, rerun(t, args))
				peakMB = n / 1024
			} else {
				assert.Empty(t, stderr.String(), rerun(t, args))
				ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
				if !ok {
					return
				}
				peakMB = ru.Maxrss / 1024 // kilobytes on Linux
				bound = max(bound, ownPeakMB()+20)
			}
			t.Logf("%s: peak resident memory %d MB", c.name, peakMB)
			assert.LessOrEqual(t, peakMB, bound, "peak resident memory in MB\n%s", rerun(t, args))
		})
	}
}

// traceLine is the hash a run's summary prints.
var traceLine = regexp.MustCompile(`trace ([0-9a-f]{16})`)

// Goal: a fault list that --faults-out wrote replays to the run it was
// written from (the same trace hash), crash points included: its reader
// once took the '#' of crash-at s2:after-claim#5 for a comment, so the
// replay crashed at the first occurrence, at time 0 (FuzzReadFaults found
// it). Method: chaos world 1 of stripe-replay, whose faults include two
// crash points, run with --faults-out, then with --replay of that file.
func TestFaultsOutReplaysCrashPoints(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "c1.faults")
	base := []string{"run", "--strategy", "stripe-replay", "--work", "charge", "--chaos", "1"}
	first := append(slices.Clone(base), "--faults-out", list)
	r := runCLI(t, first...)
	require.Equal(t, 0, r.code, "stderr: %s\n%s", r.stderr, rerun(t, first))
	data, err := os.ReadFile(list)
	require.NoError(t, err, rerun(t, first))
	require.Contains(t, string(data), "\ncrash-at s", "the world's faults include a crash point\n%s", rerun(t, first))
	want := traceLine.FindStringSubmatch(r.stdout)
	require.NotNil(t, want, "a trace hash in:\n%s\n%s", r.stdout, rerun(t, first))

	again := append(slices.Clone(base), "--replay", list)
	r = runCLI(t, again...)
	require.Equal(t, 0, r.code, "stderr: %s\n%s", r.stderr, rerun(t, again))
	got := traceLine.FindStringSubmatch(r.stdout)
	require.NotNil(t, got, rerun(t, again))
	assert.Equal(t, want[1], got[1], "the replay's trace hash\n%s", rerun(t, again))
	assert.NotContains(t, r.stderr, "never fired", rerun(t, again))
}
