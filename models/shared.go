package models

import (
	"sync"
	"time"

	"github.com/idemsim/idemsim/sim/api"
)

// Helpers more than one strategy uses, kept out of any one strategy's file
// so that each of those holds only its own rule. The key table's
// statements are in keys.go, the store's in kvkeys.go, the business
// operation in work.go.

// answerFor is the answer to a request whose key has a row: the stored
// response once finished, a tombstone's refusal, or in progress.
func answerFor(row keyRow) api.Response {
	switch row.state {
	case stateFinished:
		return row.response
	case stateExpired:
		return expired()
	}
	return inProgress()
}

// finishInTxn does the work in tx, marks the key finished with the response
// (when the failure switch keeps it) and commits.
func finishInTxn(env api.Env, tx api.Tx, req api.Request, st api.Settings) api.Response {
	resp, err := pay(env, tx, req, st)
	if err != nil {
		return failed()
	}
	if !keep(resp, st) {
		return resp // the transaction rolls back: the key stays started, a retry runs again
	}
	if err := finishKey(tx, req.Key, resp); err != nil {
		return failed()
	}
	if err := tx.Commit(); err != nil {
		return failed()
	}
	return resp
}

// maxTxnRetries bounds a server's retries of a serialization failure.
const maxTxnRetries = 10

// pollRunning is how often a request waits to see whether the first request
// with its key, running on the same server, has finished (process memory:
// local-cache, block-until-done-local).
const pollRunning = time.Millisecond

// uniquePaymentsDDL is the payments table with a unique key column, for
// the strategies whose payment row carries the key itself.
const uniquePaymentsDDL = "create table payments (id bigserial primary key, idempotency_key text unique, amount bigint not null, currency text not null, charge_id text)"

// runningKeys is a server process's memory of the keys whose request is
// executing on it. The simulator runs one process's handlers one at a time
// between service calls, so a check of the map and the claim after it
// cannot be split; a live server (live/server) runs them on goroutines of
// their own, and the mutex keeps each check-and-claim as whole there (and
// the map safe). It is never held across a service call, so in the
// simulator it never waits.
type runningKeys struct {
	mu sync.Mutex
	m  map[string]bool
}

func newRunningKeys() *runningKeys { return &runningKeys{m: make(map[string]bool)} }

// claim waits, polling every pollRunning, until no request with key is
// executing on this process, and marks key executing; then, still in the
// same step, it calls then (nil: nothing), which may read the process's
// other memory under the same lock.
func (r *runningKeys) claim(env api.Env, key string, then func()) {
	for {
		r.mu.Lock()
		if !r.m[key] {
			r.m[key] = true
			if then != nil {
				then()
			}
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		env.Sleep(pollRunning)
	}
}

// release marks key no longer executing, and calls then (nil: nothing)
// under the same lock.
func (r *runningKeys) release(key string, then func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.m, key)
	if then != nil {
		then()
	}
}

// locked calls f under the lock, for other process memory kept beside the
// keys.
func (r *runningKeys) locked(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f()
}
