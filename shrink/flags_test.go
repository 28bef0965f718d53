package shrink_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/shrink"
)

// Goal: Quote leaves a plain word alone and single-quotes anything a shell
// would read differently, so a printed command runs as pasted.
// Method: a table of words and their quoted forms.
func TestQuote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"naive", "naive"},
		{"s1@10s+2s", "s1@10s+2s"},
		{"", "''"},
		{"drop-response c1/o1.1/a1", "'drop-response c1/o1.1/a1'"},
		{"clients|s1", "'clients|s1'"},
		{"it's", `'it'\''s'`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			assert.Equal(t, tc.want, shrink.Quote(tc.in), testcmd.Rerun(t, "./shrink"))
		})
	}
}

// Goal: Flags names the shrunk run's sizes and each fault it keeps, so
// that the run's own flags followed by them give the shrunk run.
// Method: shrink early-409's chaos world 1 and read its flags back.
func TestFlags(t *testing.T) {
	rerun := testcmd.Rerun(t, "./shrink")
	cfg := experiments.Chaos(withStrategy(t, "early-409").Strategy, 1)
	res, err := shrink.Minimize(cfg, check.Lost, 2000)
	require.NoError(t, err, rerun)
	flags := strings.Join(res.Flags(cfg), " ")
	for _, want := range []string{"--clients 1", "--servers ", "--ops ", "--deadline "} {
		assert.Contains(t, flags, want, rerun)
	}
	assert.Equal(t, len(res.Config.Faults.Replay), strings.Count(flags, "--fault "), "one --fault per kept fault: %s\n%s", flags, rerun)
	for _, name := range res.Changed(cfg) {
		assert.Contains(t, flags, "--"+name+" ", rerun)
	}
}
