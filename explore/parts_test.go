package explore

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim"
)

// TestTrailRoundTrip checks that a trail prints as it parses back, to the
// bit, and that a bad one is refused naming what is accepted. Method:
// print and parse trails with awkward quantiles; then a table of bad ones.
func TestTrailRoundTrip(t *testing.T) {
	for _, tr := range []Trail{
		{},
		{Delays: []Delay{{N: 0, Stream: sim.StreamNetwork, Q: earlyQ}, {N: 7, Stream: sim.StreamGateway, Q: math.Nextafter(1, 0)}}},
		{Delays: []Delay{{N: 3, Stream: sim.StreamService, Q: 0.1 + 0.2}, {N: 4, Stream: sim.StreamDB, Q: 5e-324}}},
		{Ties: []TieChoice{{N: 0, K: 2}, {N: 5, K: 1}}},
		{Delays: []Delay{{N: 1, Stream: sim.StreamKV, Q: lateQ}}, Ties: []TieChoice{{N: 3, K: 4}}},
	} {
		t.Run(tr.String(), func(t *testing.T) {
			got, err := ParseTrail(tr.String())
			require.NoError(t, err, testcmd.Rerun(t, "./explore"))
			require.Len(t, got.Delays, len(tr.Delays), testcmd.Rerun(t, "./explore"))
			for i, d := range tr.Delays {
				assert.Equal(t, d.N, got.Delays[i].N, testcmd.Rerun(t, "./explore"))
				assert.Equal(t, d.Stream, got.Delays[i].Stream, testcmd.Rerun(t, "./explore"))
				assert.Equal(t, math.Float64bits(d.Q), math.Float64bits(got.Delays[i].Q), testcmd.Rerun(t, "./explore"))
			}
			assert.Equal(t, tr.Ties, got.Ties, testcmd.Rerun(t, "./explore"))
		})
	}
	for _, bad := range []struct{ in, want string }{
		{"", "empty trail"},
		{"choices/v3", `unknown trail version "choices/v3"`},
		{"choices/v1 t1=0", "malformed entry"},
		{"choices/v2 t1", "malformed entry"},
		{"choices/v2 t1=-1", "must be integers >= 0"},
		{"choices/v2 t3=0 t3=1", "tie indices must increase"},
		{"choices/v1 1network=0.5", "malformed entry"},
		{"choices/v1 -1:network=0.5", "index must be an integer >= 0"},
		{"choices/v1 1:jitter=0.5", "not a latency stream"},
		{"choices/v1 1:network=NaN", "quantile must be a number in (0, 1)"},
		{"choices/v1 1:network=0", "quantile must be a number in (0, 1)"},
		{"choices/v1 2:network=0.5 2:db=0.5", "indices must increase"},
	} {
		t.Run("bad/"+bad.in, func(t *testing.T) {
			_, err := ParseTrail(bad.in)
			require.Error(t, err, testcmd.Rerun(t, "./explore"))
			assert.Contains(t, err.Error(), bad.want, testcmd.Rerun(t, "./explore"))
			assert.Contains(t, err.Error(), "(accepted: choices/v2", testcmd.Rerun(t, "./explore"))
		})
	}
}

// TestPastTimeout checks the past-timeout class: where a distribution can
// exceed the timeout, the quantile is the smallest that does (the float64
// just below draws no more than the timeout); where it cannot, the class
// is absent (0). Method: a table of distributions and timeouts.
func TestPastTimeout(t *testing.T) {
	for _, tc := range []struct {
		name    string
		d       sim.Dist
		timeout sim.Duration
		exists  bool
	}{
		{"gateway", sim.LogNormal(200*time.Millisecond, 0.5), 10 * time.Second, true},
		{"link-cannot", sim.LogNormal(5*time.Millisecond, 0.5), time.Second, false},
		{"wide-link", sim.LogNormal(5*time.Millisecond, 2), time.Second, true},
		{"uniform", sim.Uniform(0, 2*time.Second), time.Second, true},
		{"uniform-below", sim.Uniform(0, time.Second), time.Second, false},
		{"exp", sim.Exp(500 * time.Millisecond), time.Second, true},
		{"const", sim.Const(2 * time.Second), time.Second, false},
		{"no-timeout", sim.LogNormal(5*time.Millisecond, 0.5), 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := pastTimeout(tc.d, tc.timeout)
			if !tc.exists {
				assert.Zero(t, q, testcmd.Rerun(t, "./explore"))
				return
			}
			require.True(t, q > 0 && q < 1, "q = %v; %s", q, testcmd.Rerun(t, "./explore"))
			assert.Greater(t, tc.d.Quantile(q), tc.timeout, testcmd.Rerun(t, "./explore"))
			if below := math.Nextafter(q, 0); below > medianQ {
				assert.LessOrEqual(t, tc.d.Quantile(below), tc.timeout, testcmd.Rerun(t, "./explore"))
			}
		})
	}
}

// TestParseMenu checks the fault menu: every kind parses and prints back,
// the timed ones included; anything else is refused with the accepted
// list. Method: a table.
func TestParseMenu(t *testing.T) {
	all, err := ParseMenu(AllFaults().String())
	require.NoError(t, err, testcmd.Rerun(t, "./explore"))
	assert.Equal(t, AllFaults(), all, testcmd.Rerun(t, "./explore"))
	none, err := ParseMenu("none")
	require.NoError(t, err, testcmd.Rerun(t, "./explore"))
	assert.Equal(t, "none", none.String(), testcmd.Rerun(t, "./explore"))
	timed, err := ParseMenu("store-restart,crash,pause")
	require.NoError(t, err, testcmd.Rerun(t, "./explore"))
	assert.Equal(t, "crash,pause,store-restart", timed.String(), testcmd.Rerun(t, "./explore"))
	for _, bad := range []struct{ in, want string }{
		{"crash,bogus", `unknown fault kind "bogus"`},
		{"drop-response,bogus", `unknown fault kind "bogus"`},
		{"", `unknown fault kind ""`},
		{"duplicate,duplicate", "named twice"},
	} {
		t.Run(bad.in, func(t *testing.T) {
			_, err := ParseMenu(bad.in)
			require.Error(t, err, testcmd.Rerun(t, "./explore"))
			assert.Contains(t, err.Error(), bad.want, testcmd.Rerun(t, "./explore"))
			assert.Contains(t, err.Error(), "drop-request, drop-response", testcmd.Rerun(t, "./explore"))
		})
	}
}
