// Package ordered runs numbered jobs on a few goroutines and hands their
// results on in the jobs' order, so that what a caller makes of them does
// not depend on which goroutine finished first. It holds the explorer's
// concurrency, so that explore/ itself keeps to the rules TestWorldIsPure
// checks (no go statement, select or sync there).
package ordered

import "sync"

// Run runs work(0), work(1), ... work(n-1) on up to workers goroutines,
// starting them in that order, and calls merge with each result in that
// order, on the caller's goroutine. work(i) is given done, a copy of what
// the jobs before i had returned by the time it started (nil where one
// had not). When merge returns false no further job starts; the jobs
// already started finish, and their results, in order, are returned as
// spilled.
func Run[R any](n, workers int, work func(i int, done []*R) R, merge func(i int, r R) bool) (spilled []R) {
	workers = max(min(workers, n), 1)
	var (
		mu      sync.Mutex
		next    int
		stopped bool
		results = make([]*R, n)
		ready   = make([]chan R, n)
		wg      sync.WaitGroup
	)
	for i := range ready {
		ready[i] = make(chan R, 1)
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if stopped || next == n {
					mu.Unlock()
					return
				}
				i := next
				next++
				done := make([]*R, i)
				copy(done, results[:i])
				mu.Unlock()
				r := work(i, done)
				mu.Lock()
				results[i] = &r
				mu.Unlock()
				ready[i] <- r
			}
		}()
	}
	i := 0
	for ; i < n; i++ {
		if !merge(i, <-ready[i]) {
			break
		}
	}
	mu.Lock()
	stopped = true
	started := next
	mu.Unlock()
	wg.Wait()
	for j := i + 1; j < started; j++ {
		spilled = append(spilled, <-ready[j])
	}
	return spilled
}
