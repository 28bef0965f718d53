package gen_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim/db/script"
	"github.com/idemsim/idemsim/sim/db/script/gen"
	"github.com/idemsim/idemsim/sim/db/sql"
)

const pkg = "./sim/db/script/gen"

// seeds is how many seeds the property tests draw: enough to reach every
// template many times, small enough for make test.
const seeds = 1500

// Goal: a seed names one script forever, whatever else the process did.
// Method: generate each seed twice, interleaved with other seeds and
// configs, and compare.
func TestSameSeedSameScript(t *testing.T) {
	for seed := uint64(1); seed <= 50; seed++ {
		a := gen.Generate(seed, gen.Config{})
		gen.Generate(seed+1000, gen.Config{Features: gen.AllFeatures})
		b := gen.Generate(seed, gen.Config{})
		assert.Equal(t, a, b, "seed %d; %s", seed, testcmd.Rerun(t, pkg))
	}
	assert.NotEqual(t, gen.Generate(1, gen.Config{}).Text, gen.Generate(2, gen.Config{}).Text, testcmd.Rerun(t, pkg))
}

// Goal: every generated script is well-formed for both runners: the levels
// header, 2 or 3 sessions, 6 to 20 session statements, every session
// beginning its transactions at {level}. Method: parse seeds with the
// script parser and check the shape.
func TestShape(t *testing.T) {
	for _, cfg := range []gen.Config{{}, {Features: gen.AllFeatures}} {
		for seed := uint64(1); seed <= seeds; seed++ {
			g := gen.Generate(seed, cfg)
			sc, err := script.Parse(g.Name, g.Text)
			require.NoError(t, err, "seed %d features %s; %s", seed, cfg.Features, testcmd.Rerun(t, pkg))
			assert.Equal(t, script.PGLevels, sc.Levels, "seed %d", seed)
			assert.True(t, strings.HasPrefix(g.Text, gen.Levels+"\n"), "seed %d", seed)
			assert.Len(t, sc.Steps, g.Steps, "seed %d", seed)
			assert.GreaterOrEqual(t, len(sc.Steps), gen.MinSteps, "seed %d", seed)
			assert.LessOrEqual(t, len(sc.Steps), gen.MaxSteps, "seed %d", seed)
			sessions := map[int]bool{}
			for _, l := range sc.Steps {
				sessions[l.Session] = true
				if strings.HasPrefix(l.Text, "begin") || strings.HasPrefix(l.Text, "start") {
					if l.Text != "begin" {
						assert.Contains(t, l.Text, "isolation level {level}", "seed %d line %d", seed, l.No)
					}
				}
			}
			assert.LessOrEqual(t, len(sessions), gen.MaxSessions, "seed %d", seed)
			assert.Equal(t, gen.Name(seed), g.Name)
		}
	}
}

// Goal: with no feature on, the generator writes only the dialect the
// simulator parses today, at every level. Method: parse every setup and
// session statement of many seeds with sim/db/sql.
func TestDefaultScriptsUseTodaysDialect(t *testing.T) {
	for seed := uint64(1); seed <= seeds; seed++ {
		g := gen.Generate(seed, gen.Config{})
		sc, err := script.Parse(g.Name, g.Text)
		require.NoError(t, err)
		for _, l := range append(sc.Setup, sc.Steps...) {
			for _, level := range script.PGLevels {
				text := script.Substitute(l.Text, level)
				_, err := sql.Parse(text)
				assert.NoError(t, err, "seed %d: %s; %s", seed, text, testcmd.Rerun(t, pkg))
			}
		}
	}
}

// Goal: with every feature on, the generator writes only SQL the
// simulator's parser accepts, and each feature alone still yields
// well-formed scripts. Method: parse every statement of 300 seeds.
func TestFeaturesSwitchTemplatesOn(t *testing.T) {
	refused := 0
	for seed := uint64(1); seed <= 300; seed++ {
		g := gen.Generate(seed, gen.Config{Features: gen.AllFeatures})
		sc, err := script.Parse(g.Name, g.Text)
		require.NoError(t, err)
		for _, l := range append(sc.Setup, sc.Steps...) {
			if _, err := sql.Parse(script.Substitute(l.Text, "serializable")); err != nil {
				refused++
			}
		}
	}
	assert.Zero(t, refused, "the simulator parses every template, features included; %s", testcmd.Rerun(t, pkg))
	for _, name := range gen.FeatureNames() {
		f, err := gen.ParseFeatures(name)
		require.NoError(t, err)
		for seed := uint64(1); seed <= 100; seed++ {
			g := gen.Generate(seed, gen.Config{Features: f})
			_, err := script.Parse(g.Name, g.Text)
			assert.NoError(t, err, "feature %s seed %d; %s", name, seed, testcmd.Rerun(t, pkg))
		}
	}
}

// Goal: the lock model is sound on the simulation: no generated statement
// goes to a session whose previous statement is still blocked, and nothing
// is left blocked at the end (every transaction the model could end, it
// ended). Method: run many seeds at every level on the simulated database,
// which matches PostgreSQL on the hand-written scripts, and look for the
// runner's `session busy` and `still blocked` lines; with no feature on and
// with every feature on (failing statements and job-queue flows included).
func TestModelKeepsScriptsWellFormedOnTheSimulation(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cfg      gen.Config
		n, short int // seeds; under -short (enough for a deadlock: they are rarer with every feature on)
	}{
		{"none", gen.Config{}, seeds, 200},
		{"all", gen.Config{Features: gen.AllFeatures}, 500, 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.n
			if testing.Short() {
				n = tc.short
			}
			wellFormedOnTheSimulation(t, tc.cfg, n)
		})
	}
}

// wellFormedOnTheSimulation runs seeds 1..n of cfg at every level.
func wellFormedOnTheSimulation(t *testing.T, cfg gen.Config, n int) {
	blocked, deadlocks := 0, 0
	for seed := uint64(1); seed <= uint64(n); seed++ {
		g := gen.Generate(seed, cfg)
		sc, err := script.Parse(g.Name, g.Text)
		require.NoError(t, err)
		for _, level := range script.PGLevels {
			out := script.Run(sc, level, script.DefaultOptions())
			repro := fmt.Sprintf("reproduce: (cd tools/pgscript && go run . -gen %d -features %s) >/tmp/%s.sql && go run ./cmd/idemsim sql --level '%s' /tmp/%s.sql",
				seed, cfg.Features, g.Name, level, g.Name)
			for _, l := range out {
				assert.NotContains(t, l, "session busy", "seed %d at %s; %s", seed, level, repro)
				assert.NotContains(t, l, "still blocked", "seed %d at %s; %s", seed, level, repro)
				if strings.HasSuffix(l, "=> blocked") {
					blocked++
				}
				if strings.HasSuffix(l, "error 40P01") {
					deadlocks++
				}
			}
		}
	}
	// The scripts must contend: blocks and deadlocks are what they test.
	assert.Greater(t, blocked, n/2, testcmd.Rerun(t, pkg))
	assert.Greater(t, deadlocks, 0, testcmd.Rerun(t, pkg))
	t.Logf("%d seeds x 4 levels: %d blocked statements, %d deadlocks", n, blocked, deadlocks)
}

// Goal: each of issue 17's features writes its shape of idempotency code
// in many scripts when on, and never when off (so that it draws nothing
// then, and old seeds keep their scripts). Method: generate 300 seeds with
// every feature on, and with every feature but that one, and count the
// scripts with a line only that feature's templates write.
func TestIdemFeaturesWriteTheirShapes(t *testing.T) {
	for _, tc := range []struct {
		feature gen.Feature
		shape   string // a line only the feature's templates write
		min     int    // scripts of 300 with it on
	}{
		{gen.Alias, `(?m)^t\d: insert into \w+ as \w `, 40},
		{gen.UpsertWhere, `(?m)^t\d: insert .* do update set .* where (excluded\.\w+ [=>]|\w+\.status <> 'done'|\w+\.state|payments\.status)`, 40},
		{gen.InsertReturning, `(?m)^t\d: insert .* returning (\*, |key, version \+ 1|idempotency_key, amount \+ 1)|^t\d: insert into \w+ \([^)]*\) values \([^)]*\) returning \*$`, 30},
		{gen.Queue, `(?m)^t\d: update jobs set state = 'running', attempts = attempts \+ 1 where id = \d( returning id, state, attempts)?$`, 20},
		{gen.MixedInserts, `(?m)^t\d: insert into idempotency_keys \(key, status, version\) values \('k\d', 'started', 2\)( on conflict do nothing| on conflict \(key\) do nothing returning key, status| on conflict \(key\) do update set version = idempotency_keys\.version \+ 1 returning key, version)?$`, 40},
		{gen.TxnErrors, `(?m)'abc'\)$|1 % 0\)$|attempts % 0 = 1$`, 20},
	} {
		t.Run(tc.feature.String(), func(t *testing.T) {
			re := regexp.MustCompile(tc.shape)
			on, off := 0, 0
			for seed := uint64(1); seed <= 300; seed++ {
				if re.MatchString(gen.Generate(seed, gen.Config{Features: gen.AllFeatures}).Text) {
					on++
				}
				if re.MatchString(gen.Generate(seed, gen.Config{Features: gen.AllFeatures &^ tc.feature}).Text) {
					off++
				}
			}
			assert.GreaterOrEqual(t, on, tc.min, "scripts with %s on; %s", tc.feature, testcmd.Rerun(t, pkg))
			assert.Zero(t, off, "scripts with %s off; %s", tc.feature, testcmd.Rerun(t, pkg))
		})
	}
}

func TestParseFeatures(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want gen.Feature
		err  bool
	}{
		{"", 0, false},
		{"none", 0, false},
		{"all", gen.AllFeatures, false},
		{"returning", gen.Returning, false},
		{"skip-locked, order-limit", gen.SkipLocked | gen.OrderLimit, false},
		{"bogus", 0, true},
	} {
		got, err := gen.ParseFeatures(tc.in)
		if tc.err {
			assert.Error(t, err, "%q; %s", tc.in, testcmd.Rerun(t, pkg))
			continue
		}
		require.NoError(t, err, "%q", tc.in)
		assert.Equal(t, tc.want, got, "%q; %s", tc.in, testcmd.Rerun(t, pkg))
		back, err := gen.ParseFeatures(got.String())
		require.NoError(t, err)
		assert.Equal(t, got, back, "round trip of %q", tc.in)
	}
}

func TestConfigOf(t *testing.T) {
	for _, cfg := range []gen.Config{{}, {Features: gen.AllFeatures}, {Features: gen.Returning | gen.Upsert}} {
		got, ok := gen.ConfigOf(gen.Generate(7, cfg).Text)
		assert.True(t, ok, "%s; %s", cfg.Features, testcmd.Rerun(t, pkg))
		assert.Equal(t, cfg, got, testcmd.Rerun(t, pkg))
	}
	_, ok := gen.ConfigOf("t1: begin")
	assert.False(t, ok, testcmd.Rerun(t, pkg))
}

func TestSeedOf(t *testing.T) {
	for _, seed := range []uint64{0, 1, 42, 99999, 123456} {
		got, ok := gen.SeedOf(gen.Name(seed))
		assert.True(t, ok, "%d; %s", seed, testcmd.Rerun(t, pkg))
		assert.Equal(t, seed, got)
	}
	for _, bad := range []string{"", "s", "s001", "x00001", "s0000a", "s000001"} {
		_, ok := gen.SeedOf(bad)
		assert.False(t, ok, "%q; %s", bad, testcmd.Rerun(t, pkg))
	}
}
