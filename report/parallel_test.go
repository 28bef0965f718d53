package report

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/crash"
	"github.com/idemsim/idemsim/internal/testcmd"
)

// Goal: parallel's workers hand a panic to the caller's goroutine — the
// first by index, whatever order they ran in — as a *crash.Panic with the
// worker's stack, so that idemsim's main recovers it (a panic left on a
// worker goroutine would end the process with exit status 2, the status of
// a usage error); without a panic, the errors come back joined. Method:
// 50 tasks, of which 17 and 31 panic; then 50 of which 3 fail.
func TestParallelPanicReachesCaller(t *testing.T) {
	rerun := testcmd.Rerun(t, "./report")
	var got any
	func() {
		defer func() { got = recover() }()
		_ = parallel(50, func(i int) error {
			if i == 17 || i == 31 {
				panic(fmt.Sprintf("task %d", i))
			}
			return nil
		})
	}()
	p, ok := got.(*crash.Panic)
	require.True(t, ok, "want a *crash.Panic on the caller's goroutine, got %T %v\n%s", got, got, rerun)
	assert.Equal(t, "task 17", p.Value, rerun)
	assert.Contains(t, string(p.Stack), "TestParallelPanicReachesCaller", rerun)

	err := parallel(50, func(i int) error {
		if i%20 == 3 {
			return fmt.Errorf("task %d", i)
		}
		return nil
	})
	assert.EqualError(t, err, errors.Join(errors.New("task 3"), errors.New("task 23"), errors.New("task 43")).Error(), rerun)
}
