package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim/db/script"
	"github.com/idemsim/idemsim/sim/db/script/gen"
)

// rerun is the command that reruns t: this module is tested from its own
// directory.
func rerun(t *testing.T) string {
	return "reproduce: cd tools/pgscript && " + strings.TrimPrefix(testcmd.Rerun(t, "."), "reproduce: ")
}

func TestParseSeeds(t *testing.T) {
	for _, tc := range []struct {
		in          string
		first, last uint64
		err         bool
	}{
		{"1-600", 1, 600, false},
		{"42", 42, 42, false},
		{" 3 - 5 ", 3, 5, false},
		{"5-3", 0, 0, true},
		{"", 0, 0, true},
		{"a-b", 0, 0, true},
	} {
		first, last, err := parseSeeds(tc.in)
		if tc.err {
			assert.Error(t, err, "%q; %s", tc.in, rerun(t))
			continue
		}
		require.NoError(t, err, "%q", tc.in)
		assert.Equal(t, [2]uint64{tc.first, tc.last}, [2]uint64{first, last}, "%q; %s", tc.in, rerun(t))
	}
}

func TestWithDatabase(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"host=h port=1 user=u dbname=postgres", "host=h port=1 user=u dbname=postgres dbname=w1"},
		{"postgres://u@h:1/postgres?sslmode=disable", "postgres://u@h:1/w1?sslmode=disable"},
	} {
		got, err := withDatabase(tc.in, "w1")
		require.NoError(t, err)
		assert.Equal(t, tc.want, got, "%s", rerun(t))
	}
}

func TestRefusedSQL(t *testing.T) {
	for line, want := range map[string]bool{
		"t1: selec 1 => error 42601":               true,
		"t1: select * from nope => error 42P01":    true,
		"t1: select ... for update => error 0A000": true,
		"t1: insert ... => error 23505":            false,
		"t1: commit => rolled back":                false,
		"t2: resumed => error 40001":               false,
	} {
		assert.Equal(t, want, refusedSQL(line), "%q; %s", line, rerun(t))
	}
}

func TestLineDiff(t *testing.T) {
	got := lineDiff([]string{"a", "b", "c", "d"}, []string{"a", "x", "c", "d", "e"})
	assert.Equal(t, []string{"  a", "- b", "+ x", "  c", "  d", "+ e"}, got, rerun(t))
	assert.Empty(t, lineDiff(nil, nil), rerun(t))
}

// Goal: the generated scripts' timing keeps the margins the recording
// relies on (gen/timing.go): the window and the settle wait exceed the
// deadlock timeout by at least 100 ms. Method: compare the constants.
func TestRandomTimingMargins(t *testing.T) {
	assert.GreaterOrEqual(t, RandomTiming.Window, gen.DeadlockTimeout+100*time.Millisecond, rerun(t))
	assert.GreaterOrEqual(t, RandomTiming.Settle, gen.DeadlockTimeout+100*time.Millisecond, rerun(t))
	assert.GreaterOrEqual(t, RandomTiming.Final, RandomTiming.Settle, rerun(t))
}

// Goal: writeRandom puts a script whose outputs agree in the test data
// directory and one that differs, with a diff naming the command that
// reproduces the simulation's side, in the mismatch directory, and moves a
// script from one to the other when a re-recording changes its verdict.
// Method: feed it two results by hand, twice, with the verdicts swapped.
func TestWriteRandom(t *testing.T) {
	dir, mis := filepath.Join(t.TempDir(), "random"), filepath.Join(t.TempDir(), "random-mismatch")
	c := randomConfig{dir: dir, mismatchDir: mis, first: 1, last: 2, repeat: 1}
	result := func(seed uint64, agree bool) *scriptResult {
		g := gen.Generate(seed, gen.Config{})
		r := &scriptResult{g: g, pg: map[string][]string{}, sim: map[string][]string{}}
		for _, l := range script.PGLevels {
			r.pg[l] = []string{"t1: begin => ok", "t1: commit => ok"}
			r.sim[l] = r.pg[l]
		}
		if !agree {
			r.sim["serializable"] = []string{"t1: begin => ok", "t1: commit => rolled back"}
		}
		return r
	}
	require.NoError(t, writeRandom([]*scriptResult{result(1, true), result(2, false)}, c, "15.20", time.Now(), &strings.Builder{}))
	for _, f := range []string{filepath.Join(dir, "s00001.sql"), filepath.Join(dir, "s00001.serializable.pg15"),
		filepath.Join(mis, "s00002.sql"), filepath.Join(mis, "s00002.read-committed.pg15"), filepath.Join(mis, "s00002.diff"), filepath.Join(mis, "INDEX")} {
		assert.FileExists(t, f, rerun(t))
	}
	assert.NoFileExists(t, filepath.Join(dir, "s00001.diff"), rerun(t))
	diff, err := os.ReadFile(filepath.Join(mis, "s00002.diff"))
	require.NoError(t, err)
	assert.Contains(t, string(diff), "s00002: the simulation differs at serializable", rerun(t))
	assert.Contains(t, string(diff), "- t1: commit => ok\n+ t1: commit => rolled back\n", rerun(t))
	assert.Contains(t, string(diff), "go run ./cmd/idemsim sql --level 'serializable' s00002.sql", rerun(t))
	pg, err := os.ReadFile(filepath.Join(dir, "s00001.read-committed.pg15"))
	require.NoError(t, err)
	assert.Equal(t, "# postgres 15.20\nt1: begin => ok\nt1: commit => ok\n", string(pg), rerun(t))

	require.NoError(t, writeRandom([]*scriptResult{result(1, false), result(2, true)}, c, "15.20", time.Now(), &strings.Builder{}))
	assert.FileExists(t, filepath.Join(mis, "s00001.diff"), rerun(t))
	assert.NoFileExists(t, filepath.Join(dir, "s00001.sql"), rerun(t))
	assert.FileExists(t, filepath.Join(dir, "s00002.sql"), rerun(t))
	assert.NoFileExists(t, filepath.Join(mis, "s00002.sql"), rerun(t))
	index, err := os.ReadFile(filepath.Join(mis, "INDEX"))
	require.NoError(t, err)
	assert.Contains(t, string(index), "s00001: the simulation differs", rerun(t))
	assert.NotContains(t, string(index), "s00002", rerun(t))
}

// Goal: -gen prints exactly what the generator writes for a seed, with no
// server, so a generated script can be looked at and run on the
// simulation. Method: compare with gen.Generate.
func TestGenPrintsTheScript(t *testing.T) {
	var out strings.Builder
	require.NoError(t, run(t.Context(), []string{"-gen", "42"}, &out, nil), rerun(t))
	assert.Equal(t, gen.Generate(42, gen.Config{}).Text, out.String(), rerun(t))
	out.Reset()
	require.NoError(t, run(t.Context(), []string{"-gen", "42", "-features", "all"}, &out, nil), rerun(t))
	assert.Equal(t, gen.Generate(42, gen.Config{Features: gen.AllFeatures}).Text, out.String(), rerun(t))
}

func TestRandomUsage(t *testing.T) {
	for _, args := range [][]string{
		{"-dsn", "x", "-random", "d"},                           // no -seeds
		{"-dsn", "x", "-random", "d", "-seeds", "5-1"},          // empty range
		{"-dsn", "x", "-random", "d", "-seeds", "1-2", "f.sql"}, // a FILE too
		{"-dsn", "x", "-random", "d", "-seeds", "1-2", "-level", "serializable"},
		{"-dsn", "x", "-random", "d", "-seeds", "1-2", "-features", "bogus"},
		{"-dsn", "x", "-random", "d", "-seeds", "1-2", "-parallel", "0"},
		{"-gen", "x"},
		{"-gen", "1", "f.sql"},
		{"-gen", "1", "-features", "bogus"},
	} {
		err := run(t.Context(), args, nil, nil)
		_, ok := err.(usageError)
		assert.True(t, ok, "run(%q) = %v, want a usage error; %s", args, err, rerun(t))
	}
}
