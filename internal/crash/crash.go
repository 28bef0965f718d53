// Package crash carries a panic from the goroutine it happened on to the
// goroutine waiting for that one's work. A panic that no goroutine
// recovers ends a Go program with exit status 2, the status idemsim gives
// a usage error; idemsim's main recovers every panic of a command instead,
// and exits with a status of its own, which it can do only for a panic
// that reaches the main goroutine. A worker goroutine therefore runs its
// work under Catch and hands the *Panic to the goroutine that collects its
// results, which panics with it again.
package crash

import (
	"fmt"
	"runtime/debug"
)

// Panic is a recovered panic with the stack of the goroutine it happened
// on.
type Panic struct {
	Value any    // what was passed to panic
	Stack []byte // the panicking goroutine's stack, as debug.Stack prints it
}

// String is the panic's value, as the runtime would print it.
func (p *Panic) String() string { return fmt.Sprint(p.Value) }

// Catch runs f and returns the panic it raised, nil if it returned. A
// *Panic raised again by f (from a worker of its own) is returned as it
// is, keeping the stack of the goroutine where it started.
func Catch(f func()) (p *Panic) {
	defer func() {
		if r := recover(); r != nil {
			if inner, ok := r.(*Panic); ok {
				p = inner
				return
			}
			// Called while panicking, debug.Stack still holds the frames
			// that panicked.
			p = &Panic{Value: r, Stack: debug.Stack()}
		}
	}()
	f()
	return nil
}
