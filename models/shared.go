package models

import (
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
