package sim_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/sim"
)

// distSeeds are distributions as the repository writes them — the flags'
// defaults, the README's and the tests' examples, the catalog's worlds —
// the extremes of issue 16, and malformed ones.
var distSeeds = []string{
	"const:0", "const:0s", "const:1ms", "const:5ms", "const:1500us", "5ms", "0",
	"uniform:1ms..10ms", "uniform:1000ms..2s", "uniform:0s..0s", "uniform:10ms..1ms", "uniform:5ms",
	"lognormal:5ms,0.5", "lognormal:2ms,0.5", "lognormal:1ms,0.2", "lognormal:250us,0.3", "lognormal:1s,4",
	"lognormal:5ms,5e-1", "lognormal:5ms,NaN", "lognormal:5ms,0", "lognormal:0s,0.5",
	"exp:200ms", "exp:500ms", "exp:1m", "exp:0s", "gamma:5ms", ":5ms", "",
	"const:2562047h47m16.854775807s", "exp:2562047h", "lognormal:2562047h,4", "lognormal:1000h,4",
	"uniform:0s..2562047h47m16.854775807s", "const:-1ns", "const:9223372036854775808ns",
}

// Goal: ParseDist never panics, refuses with one line that names the
// accepted syntax, and what it accepts prints in the form it reads back
// to the same distribution (so a run's summary and a shrunk scenario
// replay it); every quantile of an accepted distribution is a duration
// >= 0, rising with the quantile. Method: fuzzing, seeded with distSeeds
// and testdata/fuzz/FuzzParseDist.
func FuzzParseDist(f *testing.F) {
	for _, s := range distSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := sim.ParseDist(s)
		if err != nil {
			assert.NotContains(t, err.Error(), "\n", "ParseDist(%q): a one-line error\n%s", s, distRerun(t))
			assert.Contains(t, err.Error(), "(accepted: "+sim.DistSyntax+")", "ParseDist(%q)\n%s", s, distRerun(t))
			return
		}
		printed := d.String()
		back, err := sim.ParseDist(printed)
		require.NoError(t, err, "ParseDist(%q) printed %q, which does not parse\n%s", s, printed, distRerun(t))
		assert.Equal(t, d, back, "ParseDist(%q) printed %q, which reads back otherwise\n%s", s, printed, distRerun(t))
		assert.Equal(t, printed, back.String(), "the printed form is canonical\n%s", distRerun(t))
		assert.False(t, strings.ContainsAny(printed, " \n\t'"), "%q prints as one shell word\n%s", printed, distRerun(t))
		prev := sim.Duration(0)
		for _, q := range []float64{0, 1e-9, 0.25, 0.5, 0.9, 0.99, 0.999999, 1 - 1e-16} {
			v := d.Quantile(q)
			assert.GreaterOrEqual(t, v, prev, "%s: quantile %v below the one before\n%s", printed, q, distRerun(t))
			prev = v
		}
	})
}
