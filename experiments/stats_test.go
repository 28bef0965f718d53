package experiments_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/internal/testcmd"
)

// Goal: the Wilson interval gives the published figures, including the
// edges (no event, every trial an event, no trial). Method: a table of
// counts with intervals worked out by hand from the score formula (and
// found in the usual tables for 10/100 and 50/100).
func TestWilson(t *testing.T) {
	rerun := testcmd.Rerun(t, "./experiments")
	for _, c := range []struct {
		name      string
		k, n      int64
		low, high float64
	}{
		{"none-of-4000", 0, 4000, 0, 3.8415 / (4000 + 3.8415)}, // z²/(n+z²): 0.0959%
		{"10-of-100", 10, 100, 0.0552, 0.1744},
		{"50-of-100", 50, 100, 0.4038, 0.5962},
		{"1-of-10", 1, 10, 0.0179, 0.4042},
		{"5-of-5", 5, 5, 5 / (5 + 3.8415), 1}, // n/(n+z²)
		{"no-trial", 0, 0, 0, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			low, high := experiments.Wilson(c.k, c.n)
			assert.InDelta(t, c.low, low, 1e-4, "low; %s", rerun)
			assert.InDelta(t, c.high, high, 1e-4, "high; %s", rerun)
			assert.LessOrEqual(t, low, high, rerun)
		})
	}
	_, high := experiments.Wilson(0, 4000)
	assert.Less(t, high, 0.001, "4,000 operations without an event bound the rate under 0.1%%; %s", rerun)
}

// Goal: the latency buckets are the fixed R10 series from 10µs to 800s
// and a last unbounded one, and a quantile is the bound of the bucket
// holding it by nearest rank. Method: the bounds' ends and order, and the
// quantiles of a hand-made cell.
func TestLatencyBuckets(t *testing.T) {
	rerun := testcmd.Rerun(t, "./experiments")
	assert.Equal(t, 0.01, experiments.BucketBound(0), rerun)
	assert.Equal(t, 1.0, experiments.BucketBound(20), rerun)
	assert.Equal(t, 800000.0, experiments.BucketBound(experiments.NumBuckets-2), rerun)
	assert.Equal(t, experiments.InfBound, experiments.BucketBound(experiments.NumBuckets-1), rerun)
	for i := 1; i < experiments.NumBuckets; i++ {
		assert.Less(t, experiments.BucketBound(i-1), experiments.BucketBound(i), "bucket %d; %s", i, rerun)
	}
	var h experiments.Hist
	h[20], h[30], h[40] = 98, 1, 1 // 1ms, 10ms, 100ms
	assert.Equal(t, 1.0, h.Quantile(0.5), rerun)
	assert.Equal(t, 1.0, h.Quantile(0.98), rerun)
	assert.Equal(t, 10.0, h.Quantile(0.99), rerun)
	assert.Equal(t, 100.0, h.Quantile(1), rerun)
	assert.Equal(t, 0.0, (&experiments.Hist{}).Quantile(0.5), rerun)
}
