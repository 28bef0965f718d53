package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/cli"
	"github.com/idemsim/idemsim/live/instance"
	"github.com/idemsim/idemsim/models"

	"example.com/strategy-template/onetxn"
)

// TestMain adds the strategy as main does, so that cli.Run finds it.
func TestMain(m *testing.M) {
	if err := models.Register(onetxn.Strategy); err != nil {
		fmt.Fprintln(os.Stderr, err) // the declaration is incomplete: the line says what lacks
		os.Exit(2)
	}
	os.Exit(m.Run())
}

// rerun is the command that reruns exactly the calling test, from the root
// of the repository that holds this template.
func rerun(t *testing.T, args ...string) string {
	parts := strings.Split(t.Name(), "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	s := "reproduce: (cd examples/strategy-template && go test . -run '" + strings.Join(parts, "/") + "')"
	if len(args) > 0 {
		s += "\n       or: (cd examples/strategy-template && go run . " + strings.Join(args, " ") + ")"
	}
	return s
}

// idemsim runs the command in this process, as main would.
func idemsim(t *testing.T, args ...string) string {
	var stdout, stderr bytes.Buffer
	code := cli.Run(args, &stdout, &stderr)
	require.Equal(t, 0, code, "exit status; stderr: %s\nstdout: %s\n%s", stderr.String(), stdout.String(), rerun(t, args...))
	return stdout.String()
}

// clean is the verdict line of a run with nothing wrong.
const clean = "verdict    duplicate 0  lost 0  stuck 0  wrong-answer 0  unconfirmed 0  orphan-charge 0"

// Goal: the strategy is one idemsim knows by name, and keeps to exactly
// once in simulated worlds with the faults it exists for. Method: list the
// strategies, then run it through cli.Run under lost responses, duplicated
// messages, a server crash and two clients racing on each key, and read
// the verdict and porcupine's lines.
func TestRun(t *testing.T) {
	assert.Contains(t, idemsim(t, "list"), "\n"+onetxn.Strategy.Name+"\n", rerun(t, "list"))
	for _, c := range []struct {
		name string
		args []string
	}{
		{"responses-lost", []string{"--drop-response", "0.2"}},
		{"duplicates", []string{"--duplicate", "0.2", "--seed", "2"}},
		{"crash", []string{"--drop-response", "0.1", "--crash", "s1@2s+500ms"}},
		{"racing-workers", []string{"--workers-per-op", "2", "--isolation", "serializable"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"run", "--strategy", onetxn.Strategy.Name, "--clients", "8", "--ops", "20"}, c.args...)
			out := idemsim(t, args...)
			assert.Contains(t, out, clean, rerun(t, args...))
			assert.Regexp(t, `porcupine  \d+ partitions: ok \d+, illegal 0, unknown 0`, out, rerun(t, args...))
		})
	}
}

// Goal: the strategy passes the soak the catalogue's correct strategies
// pass, at every isolation level it accepts: no duplicate, lost operation
// or orphan charge, and no history porcupine finds illegal under its
// contract, over random fault mixes. Method: cli.Soak over 2000 chaos
// worlds per level (30 with -short); a failure names the command that
// shows its first world.
func TestSoak(t *testing.T) {
	n := uint64(2000)
	if testing.Short() {
		n = 30
	}
	for _, level := range onetxn.Strategy.Levels {
		t.Run(level.Slug(), func(t *testing.T) {
			rep, err := cli.Soak(onetxn.Strategy, level, n)
			require.NoError(t, err, rerun(t))
			t.Log(rep)
			assert.False(t, rep.Failed(), "%s\n%s", rep, rerun(t))
			assert.LessOrEqual(t, float64(rep.Unknown), 0.001*float64(rep.Partitions), "porcupine gave up on too many partitions: %s\n%s", rep, rerun(t))
		})
	}
}

// Goal: a named experiment sweeps the strategy with the catalogue's, and
// its row shows no duplicate or lost operation. Method: the baseline
// experiment at one seed per cell into a temporary directory, then its
// cells.csv read back.
func TestExperiment(t *testing.T) {
	dir := t.TempDir()
	args := []string{"experiment", "baseline", "--seeds", "1", "--out", dir}
	idemsim(t, args...)
	f, err := os.Open(filepath.Join(dir, "baseline", "cells.csv"))
	require.NoError(t, err, rerun(t, args...))
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err, rerun(t, args...))
	require.NotEmpty(t, rows, rerun(t, args...))
	col := func(name string) int {
		i := slices.Index(rows[0], name)
		require.GreaterOrEqual(t, i, 0, "cells.csv has no column %s; %s", name, rerun(t, args...))
		return i
	}
	strategy, dup, lost := col("strategy"), col("duplicate_count"), col("lost_count")
	found := false
	for _, r := range rows[1:] {
		if r[strategy] == onetxn.Strategy.Name {
			found = true
			assert.Equal(t, "0", r[dup], "duplicates; %s", rerun(t, args...))
			assert.Equal(t, "0", r[lost], "lost operations; %s", rerun(t, args...))
		}
	}
	assert.True(t, found, "no row for %s in cells.csv; %s", onetxn.Strategy.Name, rerun(t, args...))
}

// need skips the test, loudly, unless the server binary is installed; it
// fails instead under CI=true, where the live run is required.
func need(t *testing.T, what, path string) {
	if _, err := os.Stat(path); err == nil {
		return
	}
	msg := "LIVE TEST NOT RUN: " + what + " is not installed (" + path + " is missing); run `make live-deps` (as root) in the idemsim repository"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " — CI=true requires the live tests to run")
	}
	t.Skip(msg)
}

// Goal: the strategy runs live — real HTTP servers on a throwaway
// PostgreSQL and Redis, behind the fault proxy — and keeps to exactly once
// there too. Method: a short live run (4 clients x 5 operations, a fifth
// of responses lost) through cli.Run, its verdict read as for a simulated
// run.
func TestLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and Redis; skipped with -short")
	}
	for _, prog := range instance.PostgresPrograms {
		need(t, "PostgreSQL 15", filepath.Join(instance.PostgresBin, prog))
	}
	need(t, "Redis", instance.RedisServer)
	args := []string{"live", "--strategy", onetxn.Strategy.Name, "--clients", "4", "--ops", "5", "--drop-response", "0.2", "--settle", "1s", "--limit", "2m"}
	out := idemsim(t, args...)
	assert.Contains(t, out, clean, rerun(t, args...))
	assert.Contains(t, out, "illegal 0", rerun(t, args...))
}
