package models

import (
	"time"

	"github.com/idemsim/idemsim/sim/api"
)

// StripeReplay claims the key with the payload's fingerprint before the
// work, then stores whatever the work answered, a server error included, and
// replays it to every later request with the key.
//
// Position: the replay contract of Stripe's API (v1 docs and client
// library). The key and a digest of the parameters are saved before the
// endpoint runs; the first status and body are saved whatever they are, a
// 500 too, so a retry never runs the work a second time and a client that
// wants another try after a replayed failure has to send a new key. A
// request arriving while the first is still running is told the key is in
// use (409) and nothing is saved for it; a key sent again with other
// parameters is an idempotency error (400); keys are pruned after at least
// a day, and a request with a pruned key is simply new. What this exposes:
// a retry later than the window charges again; the in-progress 409 read as
// done by a client loses the operation whenever the first request then fails
// with nothing done (its failure is stored and replayed, so no one runs it)
// or its server dies holding the key; without a lease such a key stays in
// use for good.
var StripeReplay = replayStrategy(replayCodes{
	name: "stripe-replay",
	rule: "save the key and the payload's fingerprint before the work, then save and replay its first response, a 5xx included; " +
		"a key in flight gets 409, other parameters 400",
	position: "Stripe's v1 contract: the first response under a key is saved whatever it was and replayed, " +
		"a concurrent request gets 409 key in use, a parameter mismatch 400, and keys are pruned after 24 h",
	mismatch: api.StatusBadRequest,
})

// IETFDraft is StripeReplay with the status codes of the IETF
// Idempotency-Key header draft: a request without the header 400, a key
// reused with another payload 422, a key whose first request is still being
// processed 409.
//
// Position: the draft (draft-ietf-httpapi-idempotency-key-header) writes the
// same contract down for any HTTP API: the server fingerprints the payload,
// replays the stored outcome whether it was a success or an error, and
// publishes how long it keeps keys — the draft sets no number and nothing
// about what happens after, so retention is a switch here, by default a day
// as at Stripe. It shares StripeReplay's code and so what it exposes.
var IETFDraft = replayStrategy(replayCodes{
	name: "ietf-draft",
	rule: "as stripe-replay with the Idempotency-Key header draft's codes: no key 400, the key reused with another payload 422, " +
		"the first request still in progress 409",
	position: "the IETF header draft's contract: a key is required (400), a fingerprint mismatch is 422, a request in " +
		"progress 409, the stored success or error is replayed, and the retention is the server's published policy",
	missingKey: api.StatusBadRequest,
	mismatch:   api.StatusUnprocessableEntity,
})

// replayCodes is what tells the replay strategies apart: their names and the
// statuses of their refusals (missingKey 0: a request without a key just
// runs, with no idempotency).
type replayCodes struct {
	name, rule, position string
	missingKey, mismatch int
}

// replayPointClaimed is the step after the key's claim has committed and
// before the work: a crash there leaves the key in flight with nothing done.
const replayPointClaimed = "after-claim"

func replayStrategy(c replayCodes) api.Strategy {
	return api.Strategy{
		Name:     c.name,
		Rule:     c.rule,
		Position: c.position,
		Contract: api.ContractReplay,
		Switches: api.AllSwitches(),
		Defaults: api.Switches{Retention: 24 * time.Hour, StoreFailures: true, Forward: true},
		// The work and the stored response commit in one transaction.
		Levels:      api.AllLevels(),
		Schema:      []string{paymentsDDL, keysDDL},
		Ledger:      []string{paymentsTable},
		CrashPoints: []string{replayPointClaimed, pointAfterCharge},
		Boot: func(st api.Settings) api.Server {
			return api.Server{
				Create: func(env api.Env, req api.Request) api.Response {
					if req.Key == "" {
						if c.missingKey != 0 {
							return api.Response{Status: c.missingKey, Body: "an Idempotency-Key header is required"}
						}
						resp, err := pay(env, env.DB(), req, st)
						if err != nil {
							return failed()
						}
						return resp
					}
					if refusal, ok := claimOrAnswer(env.DB(), req, st, c.mismatch); !ok {
						return refusal
					}
					env.Crash(replayPointClaimed)
					return workAndSave(env, req, st)
				},
				Workers: reaperWorkers(st),
			}
		},
	}
}

// claimOrAnswer claims req's key, or takes over a claim whose lease ran out;
// when it cannot (ok false) it returns the answer: the stored response, the
// mismatch refusal, in progress, or a failure.
func claimOrAnswer(db execer, req api.Request, st api.Settings, mismatch int) (api.Response, bool) {
	claimed, err := claimKey(db, req)
	if err != nil {
		return failed(), false // the claim may have committed all the same: the key is then in flight
	}
	if claimed {
		return api.Response{}, true
	}
	row, ok, err := lookupKey(db, req.Key, noLock)
	switch {
	case err != nil:
		return failed(), false
	case !ok:
		return unavailable("the key's row was removed"), false // pruned between the claim and the lookup
	case row.fingerprint != req.Fingerprint:
		return api.Response{Status: mismatch, Body: "this key was used with other parameters"}, false
	case row.state != stateStarted:
		return answerFor(row), false
	case st.Lease == 0:
		return inProgress(), false
	}
	if won, err := takeOver(db, req.Key, st.Lease); err != nil {
		return failed(), false
	} else if !won {
		return inProgress(), false
	}
	return api.Response{}, true
}

// workAndSave does the work and, in the same transaction, saves its response
// on the claimed key (or with failures=retry releases the key after a 5xx so
// that a retry runs again). A failure of the transaction itself is saved
// too; a failed COMMIT is not, since it may have been applied.
func workAndSave(env api.Env, req api.Request, st api.Settings) api.Response {
	db := env.DB()
	tx, err := db.Begin(api.DefaultLevel)
	if err != nil {
		return saveFailure(db, req, st)
	}
	resp, err := pay(env, tx, req, st)
	switch {
	case err != nil:
		_ = tx.Rollback()
		return saveFailure(db, req, st)
	case !keep(resp, st):
		_ = tx.Rollback()
		_ = releaseKey(db, req.Key)
		return resp
	}
	if err := finishKey(tx, req.Key, resp); err != nil {
		_ = tx.Rollback()
		return saveFailure(db, req, st)
	}
	if err := tx.Commit(); err != nil {
		return failed()
	}
	return resp
}

// saveFailure answers 500 and stores it (failures=store) or releases the key
// (failures=retry); if that write fails too, the key stays in flight.
func saveFailure(db execer, req api.Request, st api.Settings) api.Response {
	resp := failed()
	if keep(resp, st) {
		_ = finishKey(db, req.Key, resp)
	} else {
		_ = releaseKey(db, req.Key)
	}
	return resp
}
