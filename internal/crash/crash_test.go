package crash

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
)

//go:noinline
func panicsHere() { panic("boom") }

// Goal: Catch returns nil for work that returns, and for work that panics
// the value with the stack of the goroutine it panicked on, also when the
// panic happened on a worker goroutine and was raised again; a nil panic
// is caught too. Method: a table of functions; the stack must name the
// function that panicked, not only Catch.
func TestCatch(t *testing.T) {
	rerun := testcmd.Rerun(t, "./internal/crash")
	t.Run("returns", func(t *testing.T) {
		assert.Nil(t, Catch(func() {}), rerun)
	})
	t.Run("panics", func(t *testing.T) {
		p := Catch(panicsHere)
		require.NotNil(t, p, rerun)
		assert.Equal(t, "boom", p.Value, rerun)
		assert.Equal(t, "boom", p.String(), rerun)
		assert.Contains(t, string(p.Stack), "crash.panicsHere", rerun)
	})
	t.Run("runtime-error", func(t *testing.T) {
		var m map[string]int
		p := Catch(func() { m["x"] = 1 })
		require.NotNil(t, p, rerun)
		var re interface{ RuntimeError() }
		assert.True(t, errors.As(p.Value.(error), &re), "%v\n%s", p.Value, rerun)
	})
	t.Run("nil", func(t *testing.T) {
		assert.NotNil(t, Catch(func() { panic(nil) }), rerun)
	})
	t.Run("from-a-worker", func(t *testing.T) {
		got := make(chan *Panic)
		go func() { got <- Catch(panicsHere) }()
		inner := <-got
		p := Catch(func() { panic(inner) })
		assert.Same(t, inner, p, "the worker's panic and stack are kept\n%s", rerun)
		assert.Contains(t, string(p.Stack), "crash.panicsHere", rerun)
	})
}
