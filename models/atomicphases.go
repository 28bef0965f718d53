package models

import (
	"errors"
	"time"

	"github.com/idemsim/idemsim/sim/api"
)

// AtomicPhases locks the key's row for 90 s and runs the request as a chain
// of serializable transactions, each advancing the key's recovery point, so
// that a retry, a request taking over a stale lock, or a background
// completer resumes the work where the last run stopped.
//
// Position: the reference design for idempotency keys on PostgreSQL (Brandur
// Leach's rocket-rides-atomic, the "Stripe-like keys" write-up). The request
// is cut at its foreign calls into atomic phases: a first phase inserts the
// key with its parameters and a lock stamp; the charge, with the key
// forwarded, is followed by a phase that records the payment and moves the
// recovery point to charged; a last phase stores the response and unlocks.
// Each phase is its own SERIALIZABLE transaction (retried here on a
// serialization failure), so a crash loses at most the phase in progress and
// the next run redoes only that. An exception unlocks the key so the retry
// resumes at once; a definitive refusal (declined) is stored and replayed; a
// request meeting a lock younger than the lease gets 409, an older lock is
// taken over; a completer finishes keys left alone for 5 minutes and a reaper
// drops keys after 72 h. Here an unknown gateway outcome (timeout, 5xx) is
// treated as an exception, not stored: with the key forwarded, charging again
// is safe, while a stored 503 would replay a failure for money that may have
// moved. Each phase also checks the lock stamp it took, so a run whose lock
// was taken over cannot advance the key. What it exposes: its 409 for a
// locked key, read as done, loses the operation when the lock's owner died
// before charging and nothing resumes the key before the run ends (the
// lease and the completer act after 90 s and 5 min); a retry after the
// reaper executes again. It fixes its own level, so it runs at any.
var AtomicPhases = api.Strategy{
	Name: "atomic-phases",
	Rule: "claim the key with a 90 s lock in a serializable transaction, then run each step between foreign calls in its own " +
		"serializable transaction that advances the key's recovery point, so a retry, a take-over or the completer resumes there",
	Position: "the reference design with atomic phases and recovery points (rocket-rides-atomic): each phase commits " +
		"on its own, a crash costs one phase, a lock older than 90 s may be taken over, a completer finishes abandoned keys " +
		"and a reaper drops them after 72 h",
	Contract:    api.ContractReplay,
	Switches:    []api.Switch{api.SwitchRetention, api.SwitchLease, api.SwitchDownstream},
	Defaults:    api.Switches{Retention: 72 * time.Hour, Lease: 90 * time.Second, Forward: true},
	Schema:      []string{paymentsDDL, phaseKeysDDL},
	Ledger:      []string{paymentsTable},
	CrashPoints: []string{phasePointClaimed, pointAfterCharge, phasePointCharged},
	Boot: func(st api.Settings) api.Server {
		return api.Server{
			Create: func(env api.Env, req api.Request) api.Response {
				if req.Key == "" {
					return api.Response{Status: api.StatusBadRequest, Body: "an Idempotency-Key header is required"}
				}
				return runPhases(env, req, st)
			},
			Workers: append(reaperWorkers(st), completer(st)),
		}
	},
}

// phaseKeysDDL is the key table with what resuming needs: the request's
// parameters, the last run's start and the payment the charge phase made.
// state is the recovery point: started, charged, finished (or expired).
const phaseKeysDDL = "create table idempotency_keys (key text primary key, fingerprint text not null, state text not null, " +
	"response text, locked_at timestamptz, created_at timestamptz not null default now(), " +
	"last_run_at timestamptz not null default now(), amount bigint not null, currency text not null, " +
	"description text not null, customer text not null, payment text)"

// stateCharged is the recovery point after the charge phase.
const stateCharged = "charged"

// The steps where a crash leaves the key locked: after the claim phase
// (nothing done), and after the charge phase (the payment is recorded, the
// response not yet stored).
const (
	phasePointClaimed = "after-claim"
	phasePointCharged = "before-finish"
)

// completerEvery is how often the completer looks for abandoned keys, and
// completerAfter how long a key must have been left alone.
const (
	completerEvery = time.Minute
	completerAfter = 5 * time.Minute
)

// errLockLost is a phase that found the key no longer locked by this run.
var errLockLost = errors.New("the key's lock was taken over")

// heldKey is a key this run has locked: the stamp that proves it, and where
// the work stands.
type heldKey struct {
	stamp   api.Value
	point   string
	payment string
}

// runPhases serves one request (or one completion) with req's key.
func runPhases(env api.Env, req api.Request, st api.Settings) api.Response {
	k, refusal := claimPhase(env, req, st)
	if k == nil {
		return refusal
	}
	env.Crash(phasePointClaimed)
	resp, err := k.resume(env, req, st)
	if err == nil {
		return resp
	}
	// An exception: unlock, so the next request resumes from the recovery
	// point (a no-op if the failed phase had committed the finish after
	// all, or if the lock was taken over).
	_, _ = env.DB().Exec("update idempotency_keys set locked_at = null where key = $1 and locked_at = $2", api.Text(req.Key), k.stamp)
	switch {
	case errors.Is(err, errLockLost):
		return inProgress()
	case resp.Status != 0:
		return resp
	}
	return unavailable("try again: the request will resume where it stopped")
}

// claimPhase inserts the key locked, or locks an existing unfinished key
// whose lock is free or older than the lease; otherwise it returns the
// answer (k nil): the stored response, a mismatch, or in progress.
func claimPhase(env api.Env, req api.Request, st api.Settings) (k *heldKey, refusal api.Response) {
	steal := "update idempotency_keys set locked_at = now(), last_run_at = now() where key = $1 and locked_at is null returning locked_at"
	args := []api.Value{api.Text(req.Key)}
	if st.Lease > 0 {
		steal = "update idempotency_keys set locked_at = now(), last_run_at = now() where key = $1 " +
			"and (locked_at is null or now() - locked_at > $2) returning locked_at"
		args = append(args, api.Interval(st.Lease))
	}
	err := inPhase(env, func(tx api.Tx) error {
		k, refusal = nil, api.Response{}
		res, err := tx.Exec("select fingerprint, state, response, payment from idempotency_keys where key = $1", api.Text(req.Key))
		if err != nil {
			return err
		}
		if len(res.Rows) == 0 {
			res, err = tx.Exec("insert into idempotency_keys (key, fingerprint, state, locked_at, amount, currency, description, customer) "+
				"values ($1, $2, $3, now(), $4, $5, $6, $7) returning locked_at", api.Text(req.Key), api.Text(req.Fingerprint),
				api.Text(stateStarted), api.Int(req.Payload.Amount), api.Text(req.Payload.Currency), api.Text(req.Payload.Description),
				api.Text(req.Client))
			if err == nil {
				k = &heldKey{stamp: res.Rows[0][0], point: stateStarted}
			}
			return err
		}
		row := res.Rows[0]
		switch state := row[1].Text; {
		case row[0].Text != req.Fingerprint:
			refusal = conflict("", "this key was used with other parameters")
		case state == stateFinished:
			refusal, err = api.ParseResponse(row[2].Text)
		case state == stateExpired:
			refusal = expired()
		default:
			if res, err = tx.Exec(steal, args...); err == nil {
				if len(res.Rows) == 0 {
					refusal = inProgress()
				} else {
					k = &heldKey{stamp: res.Rows[0][0], point: state, payment: row[3].Text}
				}
			}
		}
		return err
	})
	if err != nil {
		if k != nil {
			// The COMMIT failed: it may have been applied all the same.
			_, _ = env.DB().Exec("update idempotency_keys set locked_at = null where key = $1 and locked_at = $2", api.Text(req.Key), k.stamp)
		}
		return nil, unavailable("the key could not be claimed")
	}
	return k, refusal
}

// resume runs the phases from the key's recovery point to the end. An error
// is an exception (the caller unlocks); a response with it is what to
// answer, if not the generic one.
func (k *heldKey) resume(env api.Env, req api.Request, st api.Settings) (api.Response, error) {
	if k.point == stateStarted {
		charge := ""
		if st.Charge {
			var resp api.Response
			if charge, resp = chargeCard(env, req, st.Forward); charge == "" {
				if resp.Status >= 500 {
					return resp, errors.New("the charge's outcome is unknown")
				}
				return k.finish(env, req, resp) // declined, or refused as a duplicate: definitive
			}
			env.Crash(pointAfterCharge)
		}
		var payment string
		err := inPhase(env, func(tx api.Tx) error {
			var err error
			if payment, err = insertPayment(tx, req, charge); err != nil {
				return err
			}
			return k.advance(tx, req.Key, "state = $3, payment = $4", api.Text(stateCharged), api.Text(payment))
		})
		if err != nil {
			return api.Response{}, err
		}
		k.point, k.payment = stateCharged, payment
		env.Crash(phasePointCharged)
	}
	return k.finish(env, req, created(k.payment))
}

// finish is the last phase: store resp as the key's response and unlock it.
func (k *heldKey) finish(env api.Env, req api.Request, resp api.Response) (api.Response, error) {
	err := inPhase(env, func(tx api.Tx) error {
		return k.advance(tx, req.Key, "state = $3, response = $4, locked_at = null", api.Text(stateFinished), api.Text(resp.Text()))
	})
	return resp, err
}

// advance updates the key with set (its parameters from $3) if this run
// still holds its lock.
func (k *heldKey) advance(tx api.Tx, key, set string, args ...api.Value) error {
	res, err := tx.Exec("update idempotency_keys set "+set+" where key = $1 and locked_at = $2 returning key",
		append([]api.Value{api.Text(key), k.stamp}, args...)...)
	if err == nil && len(res.Rows) == 0 {
		err = errLockLost
	}
	return err
}

// inPhase runs fn in its own serializable transaction and commits it, again
// from the start on a serialization failure (or the unique violation of a
// racing claim), up to maxTxnRetries times.
func inPhase(env api.Env, fn func(api.Tx) error) error {
	for attempt := 1; ; attempt++ {
		tx, err := env.DB().Begin(api.Serializable)
		if err == nil {
			if err = fn(tx); err == nil {
				err = tx.Commit()
			} else {
				_ = tx.Rollback()
			}
		}
		switch api.SQLState(err) {
		case api.CodeSerializationFailure, api.CodeUniqueViolation:
			if attempt < maxTxnRetries {
				continue
			}
		}
		return err
	}
}

// completer finishes keys whose last run began more than completerAfter ago
// and whose lock is free or stale, as a request with the stored parameters
// would.
func completer(st api.Settings) api.Worker {
	query := "select key, fingerprint, amount, currency, description, customer from idempotency_keys " +
		"where (state = $1 or state = $2) and now() - last_run_at > $3 and locked_at is null order by key limit 1"
	args := []api.Value{api.Text(stateStarted), api.Text(stateCharged), api.Interval(completerAfter)}
	if st.Lease > 0 {
		query = "select key, fingerprint, amount, currency, description, customer from idempotency_keys " +
			"where (state = $1 or state = $2) and now() - last_run_at > $3 and (locked_at is null or now() - locked_at > $4) order by key limit 1"
		args = append(args, api.Interval(st.Lease))
	}
	return api.Worker{Name: "completer", Run: func(env api.Env) {
		for {
			env.Sleep(completerEvery)
			// A key it resumes is stamped anew (last_run_at), so the next
			// look finds the next one; a bounded sweep all the same.
			for range 10 {
				res, err := env.DB().Exec(query, args...)
				if err != nil || len(res.Rows) == 0 {
					break
				}
				r := res.Rows[0]
				runPhases(env, api.Request{Kind: api.Create, Key: r[0].Text, Fingerprint: r[1].Text, Client: r[5].Text,
					Payload: api.Payload{Amount: r[2].Int, Currency: r[3].Text, Description: r[4].Text}}, st)
			}
		}
	}}
}
