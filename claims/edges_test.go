package claims_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/claims"
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim"
)

// Goal: every edge case is well formed — a unique name, a sentence, and
// timed faults whose flag values parse back with the moment they were
// given, so a schedule's command line holds exactly the moment drawn.
// Method: for each case, print each timed fault at its example moment and
// at an odd moment to the nanosecond, and parse it as idemsim run would.
func TestEdgeCasesAreWellFormed(t *testing.T) {
	rerun := testcmd.Rerun(t, "./claims")
	seen := map[string]bool{}
	for _, c := range claims.EdgeCases() {
		assert.False(t, seen[c.Name], "case %q named twice; %s", c.Name, rerun)
		seen[c.Name] = true
		assert.NotEmpty(t, c.About, rerun)
		for _, f := range c.Timed {
			for _, at := range []sim.Time{f.Example, sim.Time(6*time.Millisecond + 123456789)} {
				v := f.Value(at)
				var got sim.Time
				var err error
				switch f.Flag {
				case "pause":
					var p faults.Crash
					p, err = faults.ParsePause(v)
					got = p.At
				case "crash":
					var cr faults.Crash
					cr, err = faults.ParseCrash(v)
					got = cr.At
				case "partition":
					var p faults.Partition
					p, err = faults.ParsePartition(v)
					got = p.From
				default:
					t.Fatalf("case %q: timed flag --%s is not one the test knows; %s", c.Name, f.Flag, rerun)
				}
				require.NoError(t, err, "case %q: --%s %s; %s", c.Name, f.Flag, v, rerun)
				assert.Equal(t, at, got, "case %q: --%s %s keeps its moment; %s", c.Name, f.Flag, v, rerun)
			}
		}
		ex := c.Example()
		assert.Len(t, ex, len(c.Args)+2*len(c.Timed), "the example is the flags and one flag per timed fault; %s", rerun)
	}
}
