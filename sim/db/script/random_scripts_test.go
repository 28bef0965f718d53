package script_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim/db/script"
	"github.com/idemsim/idemsim/sim/db/script/gen"
)

// random holds the generated scripts on which the simulation and
// PostgreSQL 15 agreed when they were recorded (scripts/pg15-random.sh);
// random-features the same for scripts generated with the first nine
// generator features on, random-idem with every feature (issue 17's
// shapes of idempotency code too); random-mismatch holds those of any on
// which they did not, which no test runs.
const (
	random         = "../testdata/random"
	randomFeatures = "../testdata/random-features"
	randomIdem     = "../testdata/random-idem"
)

// randomDirs is every directory of recorded random scripts.
var randomDirs = []string{random, randomFeatures, randomIdem}

// shortSample is how -short thins the recordings: one script in this
// many, chosen by seed so that every run takes the same ones.
const shortSample = 20

// Goal: the simulated database prints what PostgreSQL 15 printed for every
// recorded random script (interleavings of two or three sessions over
// idempotency keys, payments and jobs) at each of the four levels. Method:
// run each script at each level with the options `idemsim sql` uses and
// compare with NAME.LEVEL.pg15, line by line; also check that the timing
// the recording used gives the same lines (the outputs do not depend on
// the window lengths). Under -short, one script in shortSample of each
// directory.
func TestRandomScriptsMatchPostgres(t *testing.T) {
	for _, dir := range randomDirs {
		t.Run(filepath.Base(dir), func(t *testing.T) { matchPostgres(t, dir) })
	}
}

// matchPostgres runs every recorded script of dir at its levels.
func matchPostgres(t *testing.T, random string) {
	files, err := filepath.Glob(filepath.Join(random, "*.sql"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 500, "recorded random scripts in %s; re-record with scripts/pg15-random.sh", random)
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".sql")
		if seed, ok := gen.SeedOf(name); testing.Short() && (!ok || seed%shortSample != 0) {
			continue
		}
		text, err := os.ReadFile(f)
		require.NoError(t, err)
		sc, err := script.Parse(f, string(text))
		require.NoError(t, err)
		require.Equal(t, script.PGLevels, sc.Levels, "%s: generated scripts run at the four levels", f)
		for _, level := range sc.Levels {
			t.Run(name+"/"+script.LevelSlug(level), func(t *testing.T) {
				path := filepath.Join(random, name+"."+script.LevelSlug(level)+".pg15")
				want := expectedLines(t, path)
				got := script.Run(sc, level, script.DefaultOptions())
				file := "sim/db/testdata/" + filepath.Base(random) + "/" + name + ".sql"
				repro := "reproduce: go run ./cmd/idemsim sql --level '" + level + "' " + file
				assert.Equal(t, strings.Join(want, "\n"), strings.Join(got, "\n"),
					"%s at %s differs from PostgreSQL (%s); %s (the test: %s)", file, level, filepath.Base(path), repro,
					strings.TrimPrefix(testcmd.Rerun(t, "./sim/db/script"), "reproduce: "))
				assert.True(t, slices.Equal(got, script.Run(sc, level, gen.SimOptions())),
					"%s at %s: the simulation prints other lines under the recording's timing (gen.SimOptions); %s", f, level, testcmd.Rerun(t, "./sim/db/script"))
			})
		}
	}
}

// Goal: every recorded script is what its seed generates, so the seed
// range in testdata/random/README.md is the whole provenance and a change
// to the generator that alters old seeds is noticed (then re-record).
// Method: regenerate each file's seed with the features its provenance line
// records and compare.
func TestRandomScriptsAreGenerated(t *testing.T) {
	for _, dir := range append(randomDirs, random+"-mismatch") {
		files, err := filepath.Glob(filepath.Join(dir, "*.sql"))
		require.NoError(t, err)
		for _, f := range files {
			name := strings.TrimSuffix(filepath.Base(f), ".sql")
			seed, ok := gen.SeedOf(name)
			require.True(t, ok, "%s: not named after a seed", f)
			text, err := os.ReadFile(f)
			require.NoError(t, err)
			cfg, ok := gen.ConfigOf(string(text))
			require.True(t, ok, "%s: no provenance line", f)
			assert.Equal(t, gen.Generate(seed, cfg).Text, string(text),
				"%s is not what seed %d generates: the generator changed; re-record with scripts/pg15-random.sh (%s)", f, seed, testcmd.Rerun(t, "./sim/db/script"))
			for _, level := range script.PGLevels {
				_, err := os.Stat(filepath.Join(dir, name+"."+script.LevelSlug(level)+".pg15"))
				assert.NoError(t, err, "%s: PostgreSQL's output at %s", f, level)
			}
		}
	}
}
