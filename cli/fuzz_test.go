package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/claims"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// fuzzFile is the name, in the fuzz input's own directory, of the file its
// second part is written to: --replay f and --scenario-file f read it.
const fuzzFile = "f"

// runArgSeeds are command lines of idemsim run, one argument a line: every
// claim's scenario, every run directive of the scenario files, the
// README's examples, issue 16's extremes, and the forms the flag parser
// must refuse; each with a file for --replay or --scenario-file.
func runArgSeeds(t testing.TB) [][2]string {
	var seeds [][2]string
	add := func(args []string, file string) { seeds = append(seeds, [2]string{strings.Join(args, "\n"), file}) }
	all, err := claims.All()
	require.NoError(t, err)
	for _, c := range all {
		for _, s := range c.Scenarios {
			if s.Args != nil {
				add(s.Args, "")
			} else {
				add([]string{"--scenario", s.Name}, "")
			}
		}
	}
	files, err := filepath.Glob(filepath.Join("testdata", "scenarios", "*.txt"))
	require.NoError(t, err)
	for _, name := range files {
		text, err := os.ReadFile(name)
		require.NoError(t, err)
		for _, block := range strings.Split(string(text), "\nrun\n")[1:] {
			flags, _, _ := strings.Cut(block, "\n----")
			add(claims.SplitArgs(flags), "")
		}
	}
	faultList := "# command: idemsim run --strategy stripe-replay --chaos 1\n" +
		"duplicate-request c2/o2.1/a1 at=0.002034417s extra=5.117159ms\ncrash s1@157.899116ms+100ms\n" +
		"crash-at s2:after-claim#5+100ms at=0.382695557s\nkv-failover kv@353.789387ms\n"
	scenario := "# a shrunk run\nrun\n--strategy naive --servers 1 --clients 1 --ops 1\n--fault 'drop-response c1/o1.1/a1'\n----\n----\n"
	for _, s := range []struct {
		args []string
		file string
	}{
		{[]string{"--strategy", "naive", "--drop-response", "0.2"}, ""},
		{[]string{"--strategy", "local-cache", "--servers", "1", "--drop-response", "0.2", "--crash", "s1@10s+2s"}, ""},
		{[]string{"--strategy", "stripe-replay", "--replay", fuzzFile}, faultList},
		{[]string{"--chaos", "7", "--strategy", "etag-412", "--isolation", "dirty-reads", "--replay=" + fuzzFile}, faultList},
		{[]string{"--scenario-file", fuzzFile, "--seed", "3"}, scenario},
		{[]string{"--scenario-file", fuzzFile}, "run\n--clients\n----\n"},
		{[]string{"--link", "clients-s2:drop-response=0.5;delay=const:20ms", "--partition", "clients|s1,s2@2s..5s"}, ""},
		{[]string{"--pause", "s2@3s+95s", "--crash-at", "s1:after-charge#3+2s", "--strategy", "stripe-replay", "--work", "charge"}, ""},
		{[]string{"--switch", "retention=forever", "--switch", "retention=24h", "--strategy", "select-for-update"}, ""},
		{[]string{"--delay", "const:2562047h47m16.854775807s"}, ""},
		{[]string{"--delay", "lognormal:2562047h,4", "--service-time", "exp:2562047h", "--gateway-time", "const:1ns"}, ""},
		{[]string{"--duplicate", "1", "--delay", "lognormal:1000h,4"}, ""},
		{[]string{"--crash", "s1@1s+2562047h", "--client-crash", "c1@1s+2562047h", "--downtime", "2562047h"}, ""},
		{[]string{"--queue-visibility", "2562047h", "--strategy", "async-202"}, ""},
		{[]string{"--clients", "1000", "--ops", "1000", "--drop-request", "1"}, ""},
		{[]string{"--fault", "'drop-response c1/o1.1/a1", "--fault", "none"}, ""},
		{[]string{"--trace-op", "o3.7", "--violations", "0", "--out", "out", "--faults-out", "faults.txt"}, ""},
		{[]string{"--seed", "-1"}, ""}, {[]string{"--bogus"}, ""}, {[]string{"--trace=1"}, ""}, {[]string{"extra"}, ""},
		{[]string{"--help"}, ""}, {[]string{"--scenario", "read-only-transaction-aborted", "--trace"}, ""},
	} {
		add(s.args, s.file)
	}
	return seeds
}

// safeArgs says whether args only name files in the input's own
// directory: no absolute path and no way up out of it, so that a fuzz
// input never reads /dev/stdin or a FIFO elsewhere (a bounded file is
// another engineer's concern and tested there).
func safeArgs(args []string) bool {
	for _, a := range args {
		if strings.HasPrefix(a, "/") || strings.Contains(a, "=/") || strings.Contains(a, "..") && strings.Contains(a, "/") || strings.HasPrefix(a, "~") {
			return false
		}
	}
	return true
}

// worldOf is cfg with its strategy reduced to its name (a strategy
// holds functions) and without what only decides output.
func worldOf(cfg world.Config) world.Config {
	cfg.Strategy = api.Strategy{Name: cfg.Strategy.Name}
	cfg.KeepTrace = false
	return cfg
}

// Goal: `idemsim run`'s flags, read end to end by configure, never panic;
// every refusal is a usage error (exit status 2) of one line; and a
// command line it accepts prints, as its reproduce command, one that
// configures the same world — the promise behind every command idemsim
// prints. Method: fuzzing over a command line (one argument a line) and
// the contents of a file it may name as f (--replay, --scenario-file),
// in a fresh directory; seeded with runArgSeeds and
// testdata/fuzz/FuzzConfigure. Inputs naming files outside that directory
// are skipped.
func FuzzConfigure(f *testing.F) {
	for _, s := range runArgSeeds(f) {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, line, file string) {
		args := strings.Split(line, "\n")
		if line == "" {
			args = nil
		}
		if !safeArgs(args) {
			t.Skip("names a file outside the input's directory")
		}
		t.Chdir(t.TempDir())
		require.NoError(t, os.WriteFile(fuzzFile, []byte(file), 0o644))
		full := append([]string{"run"}, args...)
		var st *runSetup
		var err error
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("configure panicked: %v\n%s", r, rerun(t, full))
				}
			}()
			st, err = configure(args)
		}()
		if err != nil {
			var ue *usageError
			assert.True(t, errors.As(err, &ue), "%T %v: want a usage error (exit 2)\n%s", err, err, rerun(t, full))
			assert.NotContains(t, err.Error(), "\n", "a one-line error\n%s", rerun(t, full))
			assert.NotEmpty(t, err.Error(), rerun(t, full))
			return
		}
		if st.help != "" || st.script != "" {
			return
		}
		words, err := claims.ParseArgs(st.command)
		require.True(t, err == nil && len(words) >= 2 && words[0] == "idemsim" && words[1] == "run",
			"the reproduce command %q is not a command line\n%s", st.command, rerun(t, full))
		again, err := configure(words[2:])
		require.NoError(t, err, "the reproduce command %q is refused\n%s", st.command, rerun(t, full))
		assert.Equal(t, worldOf(st.cfg), worldOf(again.cfg), "the reproduce command %q configures another world\n%s", st.command, rerun(t, full))
		assert.Equal(t, st.command, again.command, "the reproduce command reproduces itself\n%s", rerun(t, full))
	})
}
