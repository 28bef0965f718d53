package proxy

import (
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim"
)

// TestUniformDecisions checks the hash behind every rate decision: over
// 20,000 references a rate r fires on close to r of them, the decisions of
// two kinds on one reference are independent, and a constant is what it
// was (a changed hash would silently change every live run's schedule).
// Method: counts over generated references, with bounds of about five
// standard deviations; the hash is deterministic, so they never flake.
func TestUniformDecisions(t *testing.T) {
	rerun := testcmd.Rerun(t, "./live/proxy")
	const n = 20000
	for _, rate := range []float64{0.01, 0.1, 0.5, 0.9} {
		t.Run(strconv.FormatFloat(rate, 'g', -1, 64), func(t *testing.T) {
			a, both := 0, 0
			for i := range n {
				ref := "c" + strconv.Itoa(i%16+1) + "/o1." + strconv.Itoa(i) + "/a1"
				x := hit(uniform(3, ref, "drop-request"), rate)
				y := hit(uniform(3, ref, "reset"), rate)
				if x {
					a++
				}
				if x && y {
					both++
				}
			}
			assert.InDelta(t, rate*n, float64(a), 5*sd(n, rate)+1, "fired; %s", rerun)
			assert.InDelta(t, rate*rate*n, float64(both), 5*sd(n, rate*rate)+1, "both kinds fired; %s", rerun)
		})
	}
	assert.Equal(t, 0.991559752513824, uniform(1, "c3/o3.7/a2", "drop-request"), rerun)
	assert.True(t, hit(0.999, 1), rerun)
	assert.False(t, hit(0, 0), rerun)
}

// sd is the standard deviation of a binomial count.
func sd(n int, p float64) float64 { return math.Sqrt(float64(n) * p * (1 - p)) }

// TestSpanIsBounded checks that a latency draw never exceeds the plan's
// bound, however heavy the law's tail. Method: a lognormal with sigma 4 at
// its top quantiles.
func TestSpanIsBounded(t *testing.T) {
	rerun := testcmd.Rerun(t, "./live/proxy")
	d := sim.LogNormal(time.Second, 4)
	for _, u := range []float64{0, 0.5, 0.999999, 1} {
		assert.LessOrEqual(t, span(d, u, time.Minute), time.Minute, "u=%v; %s", u, rerun)
	}
	assert.Equal(t, time.Duration(0), span(sim.Dist{}, 0.5, time.Minute), rerun)
}

// Goal: an upstream off loopback is refused unless the plan allows remote
// upstreams (a user's --allow-remote), and a loopback one is accepted
// either way. Method: parseUpstream on both kinds of address, with and
// without AllowRemote; nothing is dialed.
func TestRemoteUpstreams(t *testing.T) {
	rerun := testcmd.Rerun(t, "./live/proxy")
	for _, tc := range []struct {
		addr   string
		remote bool
		ok     bool
	}{
		{"http://127.0.0.1:8080", false, true},
		{"http://127.0.0.1:8080", true, true},
		{"http://10.1.2.3:8080", false, false},
		{"http://10.1.2.3:8080", true, true},
	} {
		t.Run(tc.addr+"/"+strconv.FormatBool(tc.remote), func(t *testing.T) {
			_, err := parseUpstream(tc.addr, tc.remote)
			assert.Equal(t, tc.ok, err == nil, "%v; %s", err, rerun)
		})
	}
}
