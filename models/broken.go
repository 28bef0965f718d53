package models

import (
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// The checker's sensitivity: each correct strategy broken on purpose, the
// way such code goes wrong in practice, one mistake each, built from the
// same helpers as the real ones so that each differs from its correct
// original by the mistake alone. They are not registered (All does not
// list them): TestBrokenVariantsAreCaught soaks them and idemsim explore
// --matrix searches them, and both read this one list.

// BrokenVariant is a correct strategy with one mistake, and the world it
// is soaked in.
type BrokenVariant struct {
	Name     string
	Mistake  string
	Strategy api.Strategy
	World    func(cfg *world.Config) // what the chaos world needs to show it, or nil
}

// BrokenVariants are the broken variants, in a fixed order.
func BrokenVariants() []BrokenVariant {
	variant := func(s api.Strategy, name string) api.Strategy {
		s.Name = s.Name + "/" + name
		return s
	}
	noUnique := variant(Unique409, "no-unique-constraint")
	noUnique.Schema = []string{paymentsDDL} // the key column without its unique index

	commitFirst := variant(SelectForUpdate, "commit-before-key")
	commitFirst.CrashPoints = []string{pointAfterCharge, brokenPointCommitted}
	commitFirst.Boot = func(st api.Settings) api.Server {
		return api.Server{Create: func(env api.Env, req api.Request) api.Response {
			tx, resp, ok := startedKey(env, req, forUpdate)
			if !ok {
				return resp
			}
			if resp, err := pay(env, tx, req, st); err != nil || tx.Commit() != nil {
				return failed()
			} else {
				// The payment is committed; the key is recorded after it,
				// in its own statement: a crash between leaves a payment
				// and a started key, and the retry pays again.
				env.Crash(brokenPointCommitted)
				if err := finishKey(env.DB(), req.Key, resp); err != nil {
					return failed()
				}
				return resp
			}
		}}
	}

	early409 := variant(SelectForUpdateNowait, "409-before-commit")
	early409.Boot = func(st api.Settings) api.Server {
		return api.Server{Create: func(env api.Env, req api.Request) api.Response {
			tx, resp, ok := startedKey(env, req, forUpdateNowait)
			if !ok {
				if resp.RetryAfter > 0 {
					// The row is locked by a request still running: the
					// mistake answers 409 as if it were done.
					return conflict("", "a payment with this key exists")
				}
				return resp
			}
			return finishInTxn(env, tx, req, st)
		}}
	}

	earlyUnlock := variant(SelectForUpdate, "lock-released-early")
	earlyUnlock.Boot = func(st api.Settings) api.Server {
		return api.Server{Create: func(env api.Env, req api.Request) api.Response {
			tx, resp, ok := startedKey(env, req, forUpdate)
			if !ok {
				return resp
			}
			// The mistake: the check's transaction ends before the work
			// starts, so the row lock no longer keeps a second request out.
			if err := tx.Commit(); err != nil {
				return failed()
			}
			work, err := env.DB().Begin(api.DefaultLevel)
			if err != nil {
				return failed()
			}
			return finishInTxn(env, work, req, st)
		}}
	}

	noFingerprint := variant(StripeReplay, "no-payload-check")
	stripeBoot := StripeReplay.Boot
	noFingerprint.Boot = func(st api.Settings) api.Server {
		srv := stripeBoot(st)
		create := srv.Create
		srv.Create = func(env api.Env, req api.Request) api.Response {
			req.Fingerprint = "" // the mistake: the parameters are never compared
			return create(env, req)
		}
		return srv
	}

	wrongKey := variant(StripeReplay, "replay-wrong-key")
	wrongKey.Boot = func(st api.Settings) api.Server {
		srv := stripeBoot(st)
		create := srv.Create
		cache := map[string]api.Response{} // process memory, lost on a restart
		srv.Create = func(env api.Env, req api.Request) api.Response {
			// The mistake: a response cache in front of the table, keyed
			// by a prefix of the key that other keys share.
			short := req.Key[:min(len(req.Key), 3)]
			if resp, ok := cache[short]; ok {
				return resp
			}
			resp := create(env, req)
			if resp.Status == api.StatusCreated {
				cache[short] = resp
			}
			return resp
		}
		return srv
	}

	ignore40001 := variant(TxnCheckInsert, "commit-error-ignored")
	ignore40001.Levels = []api.Level{api.Serializable}
	ignore40001.Boot = func(st api.Settings) api.Server {
		return api.Server{Create: func(env api.Env, req api.Request) api.Response {
			tx, err := env.DB().Begin(api.DefaultLevel)
			if err != nil {
				return failed()
			}
			row, ok, err := lookupKey(tx, req.Key, noLock)
			if err != nil {
				return dbFailure(err)
			}
			if ok {
				_ = tx.Commit()
				return answerFor(row)
			}
			resp, err := pay(env, tx, req, st)
			if err != nil {
				return dbFailure(err)
			}
			if err := recordKey(tx, req, resp); err != nil {
				return dbFailure(err)
			}
			// The mistake: the commit's serialization failure is neither
			// retried nor reported; the client hears 201 for a payment
			// that rolled back.
			_ = tx.Commit()
			return resp
		}}
	}

	return []BrokenVariant{
		{"unique-409/no-unique-constraint", "the unique index on the key is forgotten", noUnique, nil},
		{"select-for-update/commit-before-key", "the payment commits before the key is recorded", commitFirst, nil},
		{"select-for-update-nowait/409-before-commit", "a key whose first request is still running gets 409 as if done", early409, nil},
		{"select-for-update/lock-released-early", "the row lock is released before the work", earlyUnlock, nil},
		{"stripe-replay/no-payload-check", "the payload's fingerprint is never compared", noFingerprint, func(cfg *world.Config) { cfg.Client.ReuseKeyRate = 0.3 }},
		{"stripe-replay/replay-wrong-key", "a response is replayed for another key", wrongKey, nil},
		{"txn-check-insert/commit-error-ignored", "a serialization failure at commit is neither retried nor reported", ignore40001, func(cfg *world.Config) { cfg.DB.Isolation = api.Serializable }},
	}
}

// brokenPointCommitted is the step between the broken variant's commit of
// the payment and its record of the key.
const brokenPointCommitted = "after-commit"

// startedKey upserts the key's row and locks it in a new transaction, as
// select-for-update does; ok is false with the answer when the key is not
// this request's to work on (locked, finished, or a failure).
func startedKey(env api.Env, req api.Request, l lock) (api.Tx, api.Response, bool) {
	if _, err := claimKey(env.DB(), req); err != nil {
		return nil, failed(), false
	}
	tx, err := env.DB().Begin(api.DefaultLevel)
	if err != nil {
		return nil, failed(), false
	}
	row, ok, err := lookupKey(tx, req.Key, l)
	switch {
	case api.SQLState(err) == api.CodeLockNotAvailable:
		return nil, inProgress(), false
	case err != nil:
		return nil, dbFailure(err), false
	case !ok:
		return nil, unavailable("the key's row was removed"), false
	case row.state != stateStarted:
		_ = tx.Commit()
		return nil, answerFor(row), false
	}
	return tx, api.Response{}, true
}
