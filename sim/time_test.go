package sim_test

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/sim"
)

// Goal: arithmetic on virtual time stops at its ends instead of wrapping
// around, so that no duration, however large, can put an event before the
// present. Method: a table of sums and differences at and across the ends
// of int64, each with the exact result it must give.
func TestTimeArithmeticSaturates(t *testing.T) {
	const maxD = sim.Duration(math.MaxInt64)
	const minD = sim.Duration(math.MinInt64)
	adds := []struct {
		name string
		t    sim.Time
		d    sim.Duration
		want sim.Time
	}{
		{"plain", sim.Time(time.Second), time.Second, sim.Time(2 * time.Second)},
		{"negative", sim.Time(time.Second), -2 * time.Second, sim.Time(-time.Second)},
		{"largest-duration-after-now", sim.Time(50 * time.Millisecond), maxD, sim.MaxTime},
		{"to-the-end-exactly", sim.MaxTime - 1, 1, sim.MaxTime},
		{"past-the-end", sim.MaxTime, 1, sim.MaxTime},
		{"smallest-duration", sim.Time(-1), minD, sim.MinTime},
		{"below-the-start-of-int64", sim.MinTime, -1, sim.MinTime},
		{"zero", sim.MaxTime, 0, sim.MaxTime},
	}
	for _, c := range adds {
		t.Run("add/"+c.name, func(t *testing.T) {
			assert.Equal(t, c.want, c.t.Add(c.d), "%d.Add(%d)\n%s", int64(c.t), int64(c.d), distRerun(t))
		})
	}
	subs := []struct {
		name string
		t, u sim.Time
		want sim.Duration
	}{
		{"plain", sim.Time(3 * time.Second), sim.Time(time.Second), 2 * time.Second},
		{"end-minus-start", sim.MaxTime, sim.MinTime, maxD},
		{"start-minus-end", sim.MinTime, sim.MaxTime, minD},
		{"end-minus-minus-one", sim.MaxTime, -1, maxD},
		{"now-minus-end", 0, sim.MaxTime, -maxD},
	}
	for _, c := range subs {
		t.Run("sub/"+c.name, func(t *testing.T) {
			assert.Equal(t, c.want, c.t.Sub(c.u), "%d.Sub(%d)\n%s", int64(c.t), int64(c.u), distRerun(t))
		})
	}
	t.Run("time-of", func(t *testing.T) {
		assert.Equal(t, sim.MaxTime, sim.TimeOf(1e30), distRerun(t))
		assert.Equal(t, sim.MinTime, sim.TimeOf(-1e30), distRerun(t))
		assert.Equal(t, sim.MaxTime, sim.TimeOf(math.Inf(1)), distRerun(t))
		assert.Equal(t, sim.Time(0), sim.TimeOf(math.NaN()), distRerun(t))
		assert.Equal(t, sim.Time(1500), sim.TimeOf(1500.7), distRerun(t))
	})
	t.Run("print-the-ends", func(t *testing.T) {
		assert.Equal(t, "9223372036.854775s", sim.MaxTime.String(), distRerun(t))
		assert.Equal(t, "-9223372036.854775s", sim.MinTime.String(), distRerun(t))
	})
}

// Goal: the kernel takes the largest durations Go has without panicking
// ("event scheduled in the past") and without running anything early: a
// wait of the largest Duration ends at MaxTime, after any deadline.
// Method: an actor that sleeps, a WaitFor and an After, each of the
// largest Duration, started after time has moved; the run stops at its
// deadline with none of them fired, then a run to MaxTime fires them all
// there.
func TestKernelTakesTheLargestDurations(t *testing.T) {
	k := newKernel()
	defer k.Close()
	const forever = sim.Duration(math.MaxInt64)
	var woke []sim.Time
	k.Spawn("sleeper", func(p *sim.Proc) {
		p.Sleep(50 * time.Millisecond)
		p.Sleep(forever)
		woke = append(woke, k.Now())
	})
	k.Spawn("waiter", func(p *sim.Proc) {
		p.Sleep(time.Second)
		p.WaitFor(forever)
		woke = append(woke, k.Now())
	})
	k.At(sim.Time(time.Minute), sim.Func(func() {
		k.After(forever, sim.Func(func() { woke = append(woke, k.Now()) }))
	}))
	require.NotPanics(t, func() {
		assert.Equal(t, sim.Deadline, k.Run(sim.Time(24*time.Hour)), distRerun(t))
	}, distRerun(t))
	assert.Empty(t, woke, "nothing may fire before MaxTime\n%s", distRerun(t))
	require.NotPanics(t, func() {
		assert.Equal(t, sim.Quiescent, k.Run(sim.MaxTime), distRerun(t))
	}, distRerun(t))
	assert.Equal(t, []sim.Time{sim.MaxTime, sim.MaxTime, sim.MaxTime}, woke, distRerun(t))
}

// Goal: CheckSpan accepts exactly [0, MaxSpan] and says why it refuses.
// Method: the values at and just past each end.
func TestCheckSpan(t *testing.T) {
	for _, d := range []sim.Duration{0, 1, sim.MaxSpan} {
		assert.NoError(t, sim.CheckSpan(d), "%d\n%s", int64(d), distRerun(t))
	}
	assert.EqualError(t, sim.CheckSpan(-1), "negative", distRerun(t))
	assert.EqualError(t, sim.CheckSpan(sim.MaxSpan+1), "over the limit of "+sim.MaxSpanText, distRerun(t))
	assert.Equal(t, sim.MaxSpan, 100000*time.Hour, "MaxSpanText must print MaxSpan\n%s", distRerun(t))
	assert.Equal(t, "100000h", sim.MaxSpanText, distRerun(t))
}
