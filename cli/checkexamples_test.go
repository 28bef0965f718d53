package cli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/livetest"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/live/instance"
)

// Goal: idemsim live --target, run as a user would run it, passes both
// example services in their correct mode and catches each of their four
// mistakes with the kind of violation that mistake must show
// (exampleCatches says which and why). Method: the check-examples rig
// (a throwaway PostgreSQL, examples/payments-go built, the Node.js
// service run with node) and its workload (racing workers, lost responses,
// duplicated requests, reused keys, crashes through the restart script),
// a few seconds per run. correct must be clean on its run; a mistake must
// be caught within three seeds, since 409-in-progress shows only when a
// crash lands inside a payment's work, which a short run may not give.
// make check-examples runs many longer runs into results/check-examples.
func TestCheckExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("live: checks ten services for a few seconds each")
	}
	rerun := testcmd.Rerun(t, "./cli")
	for _, prog := range instance.PostgresPrograms {
		livetest.Need(t, "PostgreSQL 15", filepath.Join(instance.PostgresBin, prog))
	}
	langs := []string{"go"}
	// Without node and npm only the Go example is
	// checked, and the test says so; CI must check both.
	noNode := ""
	for _, prog := range []string{"node", "npm"} {
		if _, err := exec.LookPath(prog); err != nil {
			noNode = prog + " is not on PATH; run `make live-deps` (as root) to install it"
		}
	}
	if noNode == "" {
		langs = append(langs, "node")
	} else if os.Getenv("CI") == "true" {
		t.Fatal("LIVE TEST NOT RUN for examples/payments-node: " + noNode + " — CI=true requires it")
	} else {
		t.Log("LIVE TEST NOT RUN for examples/payments-node: " + noNode)
	}
	rig, err := newExampleRig(context.Background(), filepath.Join(".."), langs)
	require.NoError(t, err, rerun)
	t.Cleanup(rig.close)
	for _, lang := range langs {
		for _, mode := range exampleModes {
			t.Run(lang+"/"+mode, func(t *testing.T) {
				seeds := 3
				if mode == "correct" {
					seeds = 1
				}
				var seen []map[string]int
				for seed := int64(1); seed <= int64(seeds); seed++ {
					run, err := rig.checkExample(context.Background(), lang, mode, 4, seed)
					require.NoError(t, err, rerun)
					seen = append(seen, run.Kinds)
					if mode == "correct" {
						assert.Empty(t, run.Kinds, "the correct %s service showed a violation (seed %d):\n%s\n%s", lang, seed, run.Output, rerun)
						return
					}
					if caught(mode, run.Kinds) {
						return
					}
				}
				t.Errorf("%s %s: no run of %d showed %v; kinds seen per run: %v; %s", lang, mode, seeds, exampleCatches[mode].kinds, seen, rerun)
			})
		}
	}
}

// Goal: the violation kinds are read from a summary's verdict and
// porcupine lines as printed. Method: lines in the form printSummaryOf
// writes them, with and without findings.
func TestVerdictKinds(t *testing.T) {
	rerun := testcmd.Rerun(t, "./cli")
	for _, tc := range []struct {
		name, summary string
		want          map[string]int
	}{
		{"clean", "verdict    duplicate 0  lost 0  stuck 0  wrong-answer 0  unconfirmed 0  orphan-charge 0\nporcupine  37 partitions: ok 37, illegal 0, unknown 0 (timeout 1s)\n", nil},
		{"found", "verdict    DUPLICATE 3  lost 0  STUCK 1  wrong-answer 0  unconfirmed 0  ORPHAN-CHARGE 2 ($1.00)\nporcupine  37 partitions: ok 34, illegal 3 (3 names), unknown 0 (timeout 1s)\n",
			map[string]int{"duplicate": 3, "stuck": 1, "orphan-charge": 2, "porcupine": 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := verdictKinds(tc.summary)
			assert.Equal(t, tc.want, got, rerun)
		})
	}
}

// Goal: results/check-examples/table.md is what its runs.json draws.
// Method: redraw it and compare; the runs are make check-examples.
func TestCheckExamplesIsFresh(t *testing.T) {
	rerun := testcmd.Rerun(t, "./cli")
	dir := filepath.Join("..", "results", "check-examples")
	data, err := readCheckExamples(filepath.Join(dir, "runs.json"))
	require.NoError(t, err, "%s; regenerate with: make check-examples", rerun)
	table, err := os.ReadFile(filepath.Join(dir, "table.md"))
	require.NoError(t, err, rerun)
	assert.Equal(t, checkExamplesTable(data), string(table), "table.md is stale: idemsim check-examples --table-only; %s", rerun)
}

// Goal: check-examples refuses bad flags in one line naming the flag and
// what is accepted, with exit status 2, before it starts anything.
// Method: the usage table's check on each bad flag.
func TestCheckExamplesInvalidInput(t *testing.T) {
	checkUsageCases(t, []usageCase{
		{name: "runs", args: []string{"check-examples", "--runs", "0"}, code: 2, names: `--runs "0"`, accepted: "a whole number from 1 to 1000"},
		{name: "duration", args: []string{"check-examples", "--duration", "5"}, code: 2, names: `--duration "5"`, accepted: "a Go duration from 1s to 1h"},
		{name: "lang", args: []string{"check-examples", "--lang", "rust"}, code: 2, names: `--lang "rust"`, accepted: "go, node"},
		{name: "mode", args: []string{"check-examples", "--mode", "fast"}, code: 2, names: `--mode "fast"`, accepted: "correct, check-outside-txn"},
		{name: "flag", args: []string{"check-examples", "--seed", "1"}, code: 2, names: `unknown flag "--seed"`, accepted: "--runs, --duration"},
		{name: "missing", args: []string{"check-examples", "--runs"}, code: 2, names: "--runs needs a value", accepted: "needs a value"},
		{name: "table-only-value", args: []string{"check-examples", "--table-only=yes"}, code: 2, names: "--table-only takes no value", accepted: "the bare flag"},
	})
}
