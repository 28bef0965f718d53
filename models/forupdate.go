package models

import "github.com/idemsim/idemsim/sim/api"

// SelectForUpdate makes sure the key's row exists (INSERT ... ON CONFLICT DO
// NOTHING), then locks it with SELECT ... FOR UPDATE in the transaction
// that does the work and marks the key finished; a second request waits
// for the lock and then replays.
//
// Position: the pessimistic answer in the thread: serialize requests on a
// row lock instead of detecting the race afterwards. The row has to exist
// before it can be locked, hence the upsert first; a waiter then blocks
// until the first transaction ends, and finds the key finished (replay) or,
// if the first failed and rolled back, still started (it does the work).
// The objection: a lock held across a slow foreign call ties up a
// connection per waiting request.
var SelectForUpdate = selectForUpdate("select-for-update", forUpdate)

// SelectForUpdateNowait is SelectForUpdate where a request that finds the
// row locked does not wait: FOR UPDATE NOWAIT fails and it answers 409.
var SelectForUpdateNowait = selectForUpdate("select-for-update-nowait", forUpdateNowait)

func selectForUpdate(name string, l lock) api.Strategy {
	rule := "insert the key's row if absent, then lock it FOR UPDATE in the work's transaction: replay if finished, else do the work and finish it"
	position := "the thread's pessimistic camp: make the key's row exist, then serialize on its row lock, so a " +
		"second request waits for the first and replays it"
	if l == forUpdateNowait {
		rule = "insert the key's row if absent, then lock it FOR UPDATE NOWAIT: a locked row gets 409 in progress, a finished one a replay"
		position = "the same row lock taken with NOWAIT, answering 409 at once to a request whose first is still running; " +
			"right only if clients read that 409 as try again later, not as done"
	}
	return api.Strategy{
		Name:        name,
		Rule:        rule,
		Position:    position,
		Contract:    api.ContractReplay,
		Levels:      api.AllLevels(),
		Switches:    []api.Switch{api.SwitchRetention, api.SwitchFailures, api.SwitchDownstream},
		Defaults:    api.Switches{Forward: true},
		Schema:      []string{paymentsDDL, keysDDL},
		Ledger:      []string{paymentsTable},
		CrashPoints: []string{pointAfterCharge},
		Boot: func(st api.Settings) api.Server {
			return api.Server{
				Create: func(env api.Env, req api.Request) api.Response {
					if _, err := claimKey(env.DB(), req); err != nil {
						return failed()
					}
					tx, err := env.DB().Begin(api.DefaultLevel)
					if err != nil {
						return failed()
					}
					row, ok, err := lookupKey(tx, req.Key, l)
					switch {
					case api.SQLState(err) == api.CodeLockNotAvailable:
						return inProgress()
					case err != nil:
						return dbFailure(err)
					case !ok:
						return unavailable("the key's row was removed") // the reaper's, between the upsert and the lock
					case row.state != stateStarted:
						_ = tx.Commit()
						return answerFor(row)
					}
					return finishInTxn(env, tx, req, st)
				},
				Workers: reaperWorkers(st),
			}
		},
	}
}

// ForUpdateMissingRow locks the key's row FOR UPDATE before the work without
// making sure it exists, then records the key at the end.
//
// Position: the variant the thread points out as useless: when the key is
// new there is no row, so FOR UPDATE locks nothing and two requests both go
// on to the work; the unique index stops the second only when it records
// the key, which rolls back its payment row but not a charge already made.
var ForUpdateMissingRow = api.Strategy{
	Name: "for-update-missing-row",
	Rule: "SELECT the key FOR UPDATE in the work's transaction (a new key has no row to lock), do the work, then insert the key",
	Position: "the FOR UPDATE on a row that does not exist yet, which the thread shows locks nothing: the race " +
		"is caught only by the key's unique index at the end, after any foreign effect",
	Contract:    api.ContractReplay,
	Levels:      api.AllLevels(),
	Switches:    []api.Switch{api.SwitchRetention, api.SwitchFailures, api.SwitchDownstream},
	Defaults:    api.Switches{Forward: true},
	Schema:      []string{paymentsDDL, keysDDL},
	Ledger:      []string{paymentsTable},
	CrashPoints: []string{pointAfterCharge},
	Boot: func(st api.Settings) api.Server {
		return api.Server{
			Create: func(env api.Env, req api.Request) api.Response {
				tx, err := env.DB().Begin(api.DefaultLevel)
				if err != nil {
					return failed()
				}
				row, ok, err := lookupKey(tx, req.Key, forUpdate)
				if err != nil {
					return failed()
				}
				if ok {
					_ = tx.Commit()
					return answerFor(row)
				}
				resp, err := pay(env, tx, req, st)
				if err != nil {
					return failed()
				}
				if !keep(resp, st) {
					return resp
				}
				if err := recordKey(tx, req, resp); err != nil {
					return failed() // 23505: a racer recorded the key; this payment row rolls back
				}
				if err := tx.Commit(); err != nil {
					return failed()
				}
				return resp
			},
			Workers: reaperWorkers(st),
		}
	},
}
