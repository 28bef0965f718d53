package cli

// Issue 16's regression tables for the files idemsim reads and writes:
// paths that are not its own to replace, inputs without a size limit,
// shard counts and shard contents, and results whose values no plot can
// hold.

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixture builds test inputs under one directory.
type fixture struct {
	t   *testing.T
	dir string
}

func newFixture(t *testing.T) *fixture { return &fixture{t: t, dir: t.TempDir()} }

// path is name under the fixture's directory, its parent made.
func (f *fixture) path(name string) string {
	p := filepath.Join(f.dir, filepath.FromSlash(name))
	require.NoError(f.t, os.MkdirAll(filepath.Dir(p), 0o755), rerun(f.t, nil))
	return p
}

func (f *fixture) file(name, text string) string {
	p := f.path(name)
	require.NoError(f.t, os.WriteFile(p, []byte(text), 0o644), rerun(f.t, nil))
	return p
}

func (f *fixture) fifo(name string) string {
	p := f.path(name)
	require.NoError(f.t, syscall.Mkfifo(p, 0o644), rerun(f.t, nil))
	return p
}

func (f *fixture) dirAt(name string) string {
	p := f.path(name)
	require.NoError(f.t, os.MkdirAll(p, 0o755), rerun(f.t, nil))
	return p
}

func (f *fixture) symlink(name, to string) string {
	p := f.path(name)
	require.NoError(f.t, os.Symlink(to, p), rerun(f.t, nil))
	return p
}

// cells is a committed experiment's cells.json (results/NAME) copied to
// dir/NAME/cells.json, with edit applied to its decoded cells first.
func (f *fixture) cells(dir, name string, edit func(cells []map[string]any)) string {
	data, err := os.ReadFile(filepath.Join("..", "results", name, "cells.json"))
	require.NoError(f.t, err, rerun(f.t, nil))
	if edit != nil {
		var x map[string]any
		require.NoError(f.t, json.Unmarshal(data, &x), rerun(f.t, nil))
		var cells []map[string]any
		for _, c := range x["cells"].([]any) {
			cells = append(cells, c.(map[string]any))
		}
		edit(cells)
		data, err = json.Marshal(x)
		require.NoError(f.t, err, rerun(f.t, nil))
	}
	return f.file(dir+"/"+name+"/cells.json", string(data))
}

// shard is emptyShard(s) with the first occurrence of each old replaced by
// its new, written to name.
func (f *fixture) shard(name, s string, replace ...string) string {
	text := emptyShard(s)
	for i := 0; i+1 < len(replace); i += 2 {
		require.Contains(f.t, text, replace[i], rerun(f.t, nil))
		text = strings.Replace(text, replace[i], replace[i+1], 1)
	}
	return f.file(name, text)
}

// The accepted forms the refusals name.
const (
	wantFileName = "want a file name (a regular file, a new one, or a symbolic link to either)"
	wantRegular  = "not a regular file (accepted: a regular file, a new one, or a symbolic link to either)"
	wantShards   = "(accepted: shard files of one experiment and seeds, each shard once)"
)

// Goal: no idemsim command replaces what is not a regular file of its own
// — a device, a named pipe, a directory, a link to one of them — nor reads
// an input without a limit, nor accepts a shard count merge cannot handle,
// nor adds up shard sums no run can make, nor draws values no axis can
// hold: each is exit status 2 and one line naming the path (and the cell)
// and what is accepted, before anything is written or run. Method: the
// commands of issue 16 and their neighbours, each on inputs the test makes
// (FIFOs, links to /dev/null and /dev/zero, a loop of links, edited shard
// files, copies of committed results with an x moved), run in-process.
func TestFilesThatAreNotOurs(t *testing.T) {
	f := newFixture(t)
	fifo := f.fifo("fifo")
	linkNull := f.symlink("link-null", os.DevNull)
	f.symlink("loop-a", "loop-b")
	loop := f.symlink("loop-b", "loop-a")
	linkDir := f.symlink("link-dir", f.dirAt("a-dir"))
	outFIFO := f.dirAt("out-fifo")
	f.fifo("out-fifo/faults.txt")
	res := func(name string) string { return f.dirAt(name) }
	resCells, resShard, resFile := res("res-cells"), res("res-shard"), res("res-file")
	f.fifo("res-cells/baseline/cells.json")
	f.dirAt("res-shard/baseline/shard-0-of-2.json")
	f.file("res-file/baseline", "a file where the experiment's directory goes\n")
	shard := f.shard("shard.json", "0/1")
	mergeFIFO := res("merge-fifo")
	f.fifo("merge-fifo/swarm/cells.csv")
	repIndex := res("rep-index")
	f.cells("rep-index", "baseline", nil)
	f.fifo("rep-index/index.html")
	repStrategies := res("rep-strategies")
	f.cells("rep-strategies", "baseline", nil)
	f.file("rep-strategies/strategies", "not a directory\n")

	cases := []usageCase{
		{name: "faults-out-dev-null", args: []string{"run", "--faults-out", os.DevNull}, code: 2, names: "--faults-out /dev/null: is a character device", accepted: wantFileName},
		{name: "faults-out-fifo", args: []string{"run", "--faults-out", fifo}, code: 2, names: "--faults-out " + fifo + ": is a named pipe (FIFO)", accepted: wantFileName},
		{name: "faults-out-link-to-device", args: []string{"run", "--faults-out", linkNull}, code: 2, names: "--faults-out " + linkNull + ": is a symbolic link to /dev/null, a character device", accepted: wantFileName},
		{name: "faults-out-link-loop", args: []string{"run", "--faults-out", loop}, code: 2, names: "--faults-out " + loop + ": is a loop of symbolic links", accepted: wantFileName},
		{name: "faults-out-link-to-directory", args: []string{"run", "--faults-out", linkDir}, code: 2, names: "--faults-out " + linkDir + ": is a symbolic link to " + filepath.Join(f.dir, "a-dir") + ", a directory", accepted: wantFileName},
		{name: "run-out-holds-a-fifo", args: []string{"run", "--out", outFIFO}, code: 2, names: "--out " + outFIFO + ": " + filepath.Join(outFIFO, "faults.txt") + " is a named pipe (FIFO)", accepted: wantRegular},
		{name: "shrink-out-fifo", args: []string{"shrink", "--out", fifo, "--drop-response", "0.2"}, code: 2, names: "idemsim shrink: --out " + fifo + ": is a named pipe (FIFO)", accepted: wantFileName},
		{name: "shrink-out-dev-null", args: []string{"shrink", "--out", os.DevNull}, code: 2, names: "idemsim shrink: --out /dev/null: is a character device", accepted: wantFileName},
		{name: "experiment-results-fifo", args: []string{"experiment", "baseline", "--out", resCells}, code: 2, names: "idemsim experiment: --out " + resCells + ": " + filepath.Join(resCells, "baseline", "cells.json") + " is a named pipe (FIFO)", accepted: wantRegular},
		{name: "experiment-shard-file-directory", args: []string{"experiment", "baseline", "--shard", "0/2", "--out", resShard}, code: 2, names: filepath.Join(resShard, "baseline", "shard-0-of-2.json") + " is a directory", accepted: wantRegular},
		{name: "experiment-directory-is-a-file", args: []string{"experiment", "baseline", "--out", resFile}, code: 2, names: filepath.Join(resFile, "baseline") + " is not a directory", accepted: "(accepted: a directory, or none: it is made)"},
		{name: "merge-results-fifo", args: []string{"merge", "--out", mergeFIFO, shard}, code: 2, names: filepath.Join(mergeFIFO, "swarm", "cells.csv") + " is a named pipe (FIFO)", accepted: wantRegular},
		{name: "report-index-fifo", args: []string{"report", "--results", repIndex}, code: 2, names: filepath.Join(repIndex, "index.html") + " is a named pipe (FIFO)", accepted: wantRegular},
		{name: "report-strategies-a-file", args: []string{"report", "--results", repStrategies}, code: 2, names: filepath.Join(repStrategies, "strategies") + " is not a directory", accepted: "(accepted: a directory, or none: it is made)"},
	}
	if _, err := os.Stat("/dev/full"); err == nil {
		cases = append(cases, usageCase{name: "faults-out-dev-full", args: []string{"run", "--faults-out", "/dev/full"}, code: 2, names: "--faults-out /dev/full: is a character device", accepted: wantFileName})
	}
	checkUsageCases(t, cases)

	// Nothing was replaced, and the refused runs made nothing.
	for _, p := range []string{fifo, filepath.Join(outFIFO, "faults.txt"), filepath.Join(resCells, "baseline", "cells.json"), filepath.Join(mergeFIFO, "swarm", "cells.csv"), filepath.Join(repIndex, "index.html")} {
		st, err := os.Lstat(p)
		require.NoError(t, err, rerun(t, nil))
		assert.NotZero(t, st.Mode()&os.ModeNamedPipe, "%s is still a FIFO; %s", p, rerun(t, nil))
	}
	for _, p := range []string{os.DevNull, "/dev/full"} {
		if st, err := os.Lstat(p); err == nil {
			assert.NotZero(t, st.Mode()&os.ModeCharDevice, "%s is still a device; %s", p, rerun(t, nil))
		}
	}
	pages, err := filepath.Glob(filepath.Join(repIndex, "strategies", "*.html"))
	require.NoError(t, err, rerun(t, nil))
	assert.Empty(t, pages, "a refused report writes no page; %s", rerun(t, nil))
}

// Goal: every input file is read with a limit, so that /dev/zero, a file
// past the limit or a named pipe nobody writes to is one line and exit 2,
// at once and in bounded memory. Method: links to /dev/zero put where
// each command reads (a shard, a partial state file, cells.json,
// claims.txt, edge-cases.md, a fault list, a scenario file), a sparse file
// one byte past 16 MiB, and FIFOs.
func TestInputsHaveALimit(t *testing.T) {
	f := newFixture(t)
	over := f.path("over.json")
	require.NoError(t, os.WriteFile(over, nil, 0o644), rerun(t, nil))
	require.NoError(t, os.Truncate(over, maxStateFile+1), rerun(t, nil))
	fifo := f.fifo("fifo.json")
	resume := f.dirAt("resume")
	partial := f.symlink("resume/baseline/partial.json", "/dev/zero")
	repCells := f.dirAt("rep-cells")
	f.symlink("rep-cells/baseline/cells.json", "/dev/zero")
	repClaims := f.dirAt("rep-claims")
	f.symlink("rep-claims/claims.txt", "/dev/zero")
	repEdge := f.dirAt("rep-edge")
	f.symlink("rep-edge/edge-cases.md", "/dev/zero")
	repFIFO := f.dirAt("rep-fifo")
	f.fifo("rep-fifo/baseline/cells.json")
	const limit = "larger than the limit of 16 MiB"

	checkUsageCases(t, []usageCase{
		{name: "merge-dev-zero", args: []string{"merge", "/dev/zero"}, code: 2, names: "idemsim merge: /dev/zero", accepted: limit},
		{name: "merge-one-byte-over", args: []string{"merge", over}, code: 2, names: "idemsim merge: " + over, accepted: limit},
		{name: "merge-fifo-without-writer", args: []string{"merge", fifo}, code: 2, names: "idemsim merge: " + fifo, accepted: "not a shard or state file of idemsim experiment"},
		{name: "resume-dev-zero", args: []string{"experiment", "baseline", "--resume", "--out", resume}, code: 2, names: "idemsim experiment: --resume: " + partial, accepted: limit},
		{name: "report-cells-dev-zero", args: []string{"report", "--results", repCells}, code: 2, names: "idemsim report: " + filepath.Join(repCells, "baseline", "cells.json"), accepted: limit},
		{name: "scorecard-cells-dev-zero", args: []string{"scorecard", "--results", repCells}, code: 2, names: "idemsim scorecard: " + filepath.Join(repCells, "baseline", "cells.json"), accepted: limit},
		{name: "report-claims-dev-zero", args: []string{"report", "--results", repClaims}, code: 2, names: "idemsim report: " + filepath.Join(repClaims, "claims.txt"), accepted: limit},
		{name: "report-edge-cases-dev-zero", args: []string{"report", "--results", repEdge}, code: 2, names: "idemsim report: " + filepath.Join(repEdge, "edge-cases.md"), accepted: limit},
		{name: "report-cells-fifo", args: []string{"report", "--results", repFIFO}, code: 2, names: "idemsim report: " + filepath.Join(repFIFO, "baseline", "cells.json"), accepted: "not the cells.json format"},
		{name: "replay-dev-zero", args: []string{"run", "--replay", "/dev/zero"}, code: 2, names: "--replay /dev/zero", accepted: limit},
		{name: "scenario-file-dev-zero", args: []string{"run", "--scenario-file", "/dev/zero"}, code: 2, names: "--scenario-file /dev/zero", accepted: limit},
	})
}

// Goal: the shard count is bounded, merge names missing shards as runs
// of indices however many there are, and a shard or state file whose sums
// no run can make (a negative count, a count above its operations, sums
// that overflow when added) is refused naming the file and the cell, with
// no results directory left behind. Method: --shard past the limit, and
// shard and partial files of the swarm edited by hand.
func TestShardFilesAreChecked(t *testing.T) {
	f := newFixture(t)
	huge := f.shard("huge.json", "0/1", `"shard": "0/1"`, `"shard": "0/1000000000"`)
	lone := f.shard("lone.json", "0/10000")
	negative := f.shard("negative.json", "0/1", `"counts":[0,`, `"counts":[-1,`)
	above := f.shard("above.json", "0/1", `"ops":0,"counts":[0,`, `"ops":3,"counts":[4,`)
	const maxOps = `"ops":9223372036854775807`
	half0 := f.shard("half-0.json", "0/2", `"ops":0`, maxOps)
	half1 := f.shard("half-1.json", "1/2", `"ops":0`, maxOps)
	resume := f.dirAt("resume")
	partial := f.shard("resume/swarm/partial.json", "0/1", `"partial": false`, `"partial": true`, `"counts":[0,`, `"counts":[-2,`)
	out := f.dirAt("out")
	const cell = "cell naive/read-committed/chaos: "

	checkUsageCases(t, []usageCase{
		{name: "shard-count-huge", args: []string{"experiment", "baseline", "--shard", "0/1000000000"}, code: 2, names: `--shard: "0/1000000000"`, accepted: "a shard I/N with 0 <= I < N <= 10000"},
		{name: "shard-count-past-limit", args: []string{"experiment", "baseline", "--shard", "3/10001"}, code: 2, names: `--shard: "3/10001"`, accepted: "a shard I/N with 0 <= I < N <= 10000"},
		{name: "merge-shard-count-huge", args: []string{"merge", "--out", out, huge}, code: 2, names: "idemsim merge: " + huge + `: shard: "0/1000000000"`, accepted: "0 <= I < N <= 10000"},
		{name: "merge-missing-many", args: []string{"merge", "--out", out, lone}, code: 2, names: "missing 9999 of 10000 shards: 1..9999", accepted: wantShards},
		{name: "merge-negative-count", args: []string{"merge", "--out", out, negative}, code: 2, names: "idemsim merge: " + negative + ": " + cell + "counts[0] (duplicate) is -1", accepted: "want a count >= 0"},
		{name: "merge-count-above-ops", args: []string{"merge", "--out", out, above}, code: 2, names: "idemsim merge: " + above + ": " + cell + "counts[0] (duplicate) is 4, more than its 3 ops", accepted: wantShards},
		{name: "merge-sums-overflow", args: []string{"merge", "--out", out, half0, half1}, code: 2, names: "idemsim merge: " + half1 + ": " + cell + "ops overflows when added up", accepted: wantShards},
		{name: "resume-negative-count", args: []string{"experiment", "swarm", "--seeds", "1", "--resume", "--out", resume}, code: 2, names: "idemsim experiment: --resume: " + partial + ": " + cell + "counts[0] (duplicate) is -2", accepted: "want a count >= 0"},
	})
	entries, err := os.ReadDir(out)
	require.NoError(t, err, rerun(t, nil))
	assert.Empty(t, entries, "a refused merge leaves no directory behind; %s", rerun(t, nil))
}

// Goal: a cells.json whose values pass the format's checks but no plot's
// axis can hold — an x off its value's place (below zero on a log axis),
// x at ±1e308 — is refused naming the file and the cell, instead of a
// panic inside the plotting library or minutes in its rasterizer. Method:
// copies of the committed budget-lease results (a log axis) with one x
// moved, given to report and to scorecard.
func TestReportChecksValuesAgainstAxes(t *testing.T) {
	f := newFixture(t)
	const file = "budget-lease/cells.json"
	zero := f.dirAt("zero")
	f.cells("zero", "budget-lease", func(cells []map[string]any) { cells[8]["x"] = 0 })
	two := f.dirAt("two")
	f.cells("two", "budget-lease", func(cells []map[string]any) { cells[8]["x"] = 2 })
	far := f.dirAt("far")
	f.cells("far", "budget-lease", func(cells []map[string]any) { cells[0]["x"], cells[1]["x"] = -1e308, 1e308 })
	const axes = "is beyond the plots' axes (accepted: a number from -1e+15 to 1e+15)"
	const cell8 = ": cell 8 (stripe-replay lease=10s, read-committed, client_budget_s=5): x "
	checkUsageCases(t, []usageCase{
		{name: "x-zero-on-log-axis", args: []string{"report", "--results", zero}, code: 2, names: filepath.Join(zero, file) + cell8 + "0, but cell 1 puts client_budget_s=5 at x 5", accepted: "(accepted: one x per value)"},
		{name: "x-two-off-its-value", args: []string{"report", "--results", two}, code: 2, names: filepath.Join(two, file) + cell8 + "2, but cell 1", accepted: "(accepted: one x per value)"},
		{name: "x-plus-minus-1e308", args: []string{"report", "--results", far}, code: 2, names: filepath.Join(far, file) + ": cell 0 (stripe-replay, read-committed, client_budget_s=2): x -1e+308", accepted: axes},
		{name: "scorecard-x-1e308", args: []string{"scorecard", "--results", far}, code: 2, names: "idemsim scorecard: " + filepath.Join(far, file) + ": cell 0", accepted: axes},
	})
}

// Goal: what may be written is written as a file of ours would be: through
// a symbolic link to its target (the link stays), keeping an existing
// file's mode, and a merge writes through a linked cells.json. Method: run
// --faults-out and merge --out at such paths; exit 0, and the paths are
// as they were, with the new bytes.
func TestWritesGoThroughLinksAndKeepModes(t *testing.T) {
	f := newFixture(t)
	target := f.file("real/faults.txt", "old\n")
	link := f.symlink("faults-link.txt", target)
	private := f.file("private.txt", "old\n")
	require.NoError(t, os.Chmod(private, 0o600), rerun(t, nil))
	out := f.dirAt("merged")
	linkedJSON := f.file("elsewhere/cells.json", "old\n")
	f.symlink("merged/swarm/cells.json", linkedJSON)
	shard := f.shard("shard.json", "0/1")

	for _, c := range []struct {
		name  string
		args  []string
		check func(t *testing.T, args []string)
	}{
		{"faults-out-through-link", []string{"run", "--clients", "2", "--ops", "3", "--faults-out", link}, func(t *testing.T, args []string) {
			st, err := os.Lstat(link)
			require.NoError(t, err, rerun(t, args))
			assert.NotZero(t, st.Mode()&os.ModeSymlink, "the link stays a link; %s", rerun(t, args))
			got, err := os.ReadFile(target)
			require.NoError(t, err, rerun(t, args))
			assert.True(t, strings.HasPrefix(string(got), "# command: idemsim run"), "the target holds the fault list; %s", rerun(t, args))
		}},
		{"faults-out-keeps-mode", []string{"run", "--clients", "2", "--ops", "3", "--faults-out", private}, func(t *testing.T, args []string) {
			st, err := os.Stat(private)
			require.NoError(t, err, rerun(t, args))
			assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), rerun(t, args))
		}},
		{"merge-through-link", []string{"merge", "--out", out, shard}, func(t *testing.T, args []string) {
			st, err := os.Lstat(filepath.Join(out, "swarm", "cells.json"))
			require.NoError(t, err, rerun(t, args))
			assert.NotZero(t, st.Mode()&os.ModeSymlink, "the link stays a link; %s", rerun(t, args))
			got, err := os.ReadFile(linkedJSON)
			require.NoError(t, err, rerun(t, args))
			assert.Contains(t, string(got), `"experiment": "swarm"`, rerun(t, args))
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runCLI(t, c.args...)
			require.Equal(t, 0, r.code, "stderr: %q; %s", r.stderr, rerun(t, c.args))
			c.check(t, c.args)
		})
	}
}

// idemsimBinary builds the command into a directory any user can read
// (the read-only case runs it as another user), removed after the test.
func idemsimBinary(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "idemsim-files-")
	require.NoError(t, err, rerun(t, nil))
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755), rerun(t, nil))
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(dir, "idemsim")
	out, err := exec.Command(gobin, "build", "-o", bin, "../cmd/idemsim").CombinedOutput()
	require.NoError(t, err, "go build: %s; %s", out, rerun(t, nil))
	return bin
}

// Goal: a write that fails — here because the directory is read-only —
// is exit status 1 with one line saying so, never a silent success, for
// every command that writes. Method: the built command, run in a separate
// process (as the user nobody when the test runs as root, who would write
// anyway) against a directory of mode 0555; the results to read are
// readable.
func TestWriteFailuresExitOne(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command; run without -short")
	}
	bin := idemsimBinary(t)
	base, err := os.MkdirTemp("", "idemsim-ro-")
	require.NoError(t, err, rerun(t, nil))
	t.Cleanup(func() { _ = os.Chmod(filepath.Join(base, "ro"), 0o755); _ = os.RemoveAll(base) })
	require.NoError(t, os.Chmod(base, 0o755), rerun(t, nil))
	f := &fixture{t: t, dir: base}
	shard := f.shard("shard.json", "0/1")
	results := f.dirAt("ro")
	f.cells("ro", "baseline", nil)
	require.NoError(t, filepath.Walk(results, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if info.IsDir() {
			return os.Chmod(p, 0o555)
		}
		return os.Chmod(p, 0o444)
	}), rerun(t, nil))

	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"faults-out", []string{"run", "--clients", "2", "--ops", "3", "--faults-out", filepath.Join(results, "f.txt")}, "idemsim run: --faults-out " + filepath.Join(results, "f.txt") + ": writing"},
		{"run-out", []string{"run", "--clients", "2", "--ops", "3", "--out", results}, "idemsim run: --out " + results + ": writing"},
		{"shrink-out", []string{"shrink", "--out", filepath.Join(results, "s.txt"), "--drop-response", "0.3", "--clients", "2", "--ops", "5"}, "idemsim shrink: --out " + filepath.Join(results, "s.txt") + ": writing"},
		{"experiment", []string{"experiment", "baseline", "--seeds", "1", "--workers", "1", "--out", results}, "idemsim experiment baseline: writing " + filepath.Join(results, "baseline", "cells.csv")},
		{"merge", []string{"merge", "--out", results, shard}, "idemsim merge: mkdir " + filepath.Join(results, "swarm")},
		{"report", []string{"report", "--results", results}, "idemsim report: writing " + filepath.Join(results, "baseline")},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, c.args...)
			cmd.Dir = base
			if os.Geteuid() == 0 {
				cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "stderr: %q; %s", stderr.String(), rerun(t, c.args))
			assert.Equal(t, 1, exit.ExitCode(), "stderr: %q; %s", stderr.String(), rerun(t, c.args))
			lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
			last := lines[len(lines)-1]
			assert.Contains(t, last, c.want, rerun(t, c.args))
			assert.Contains(t, last, "permission denied", rerun(t, c.args))
			entries, err := os.ReadDir(results)
			require.NoError(t, err, rerun(t, c.args))
			assert.Len(t, entries, 1, "nothing written, no temporary file left; %s", rerun(t, c.args))
		})
	}
}
