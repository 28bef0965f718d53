package experiments_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/internal/crash"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim/world"
)

// Goal: a panic in a sweep's worker goroutine reaches the goroutine that
// called the sweep, as a *crash.Panic with the worker's stack, so that
// idemsim's main recovers it and exits with the status of a crash (an
// unrecovered panic on a worker would exit 2, the status of a usage
// error); the first panic by seed wins, and what came before it was handed
// over. Method: SweepFunc over 20 seeds on 3 workers whose reduction
// panics at seeds 7 and 12; recover in the caller.
func TestSweepWorkerPanicReachesCaller(t *testing.T) {
	rerun := testcmd.Rerun(t, "./experiments")
	var handed []uint64
	var got any
	func() {
		defer func() { got = recover() }()
		_ = experiments.SweepFunc(func(seed uint64) world.Config {
			c := tiny()
			c.Seed = seed
			return c
		}, 0, 20, 3, func(seed uint64, _ *world.Result) uint64 {
			if seed == 7 || seed == 12 {
				panic(fmt.Sprintf("reduce failed at seed %d", seed))
			}
			return seed
		}, func(seed uint64) { handed = append(handed, seed) })
	}()
	p, ok := got.(*crash.Panic)
	require.True(t, ok, "want a *crash.Panic on the caller's goroutine, got %T %v\n%s", got, got, rerun)
	assert.Equal(t, "reduce failed at seed 7", p.Value, rerun)
	assert.Contains(t, string(p.Stack), "TestSweepWorkerPanicReachesCaller", "the worker's stack\n%s", rerun)
	assert.Equal(t, []uint64{0, 1, 2, 3, 4, 5, 6}, handed, "the seeds before the panic are handed over, in order\n%s", rerun)
}
