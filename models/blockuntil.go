package models

import "github.com/idemsim/idemsim/sim/api"

// BlockUntilDone inserts the key's row with a plain INSERT in the
// transaction that then does the work and finishes the key; a second
// request's INSERT waits on the first's uncommitted index entry, and when
// the first commits it fails with 23505 and replays the committed response
// (if the first rolled back, its INSERT goes through and it does the work).
//
// Position: the answer that a second request should neither be refused nor
// run but wait for the first and then return its outcome, with the unique
// index on the key doing the waiting: the database already blocks an
// insert behind an uncommitted one with the same key. The cost is a
// connection and a transaction held open across the work, foreign call
// included, for every waiting request. The waiter gets 23505 at every
// level, as in PostgreSQL when the inserting transaction has not read the
// key before (a serialization failure or a deadlock would be answered 503,
// and the client's retry, in a new transaction, would see the key); it
// looks the key up outside its transaction, whose snapshot at repeatable
// read and above predates the first one's commit.
var BlockUntilDone = api.Strategy{
	Name: "block-until-done",
	Rule: "in one transaction, INSERT the key (a concurrent insert of it waits for this one to end), do the work, finish the key and commit; on 23505 replay the committed response",
	Position: "the wait-then-replay answer, with the key's unique index as the wait: a second request blocks " +
		"until the first commits (it replays) or rolls back (it runs)",
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
				err = insertKey(tx, req)
				switch api.SQLState(err) {
				case "":
					return finishInTxn(env, tx, req, st)
				case api.CodeUniqueViolation:
					_ = tx.Rollback()
					// A new statement outside the transaction sees the row
					// the first request committed.
					row, ok, err := lookupKey(env.DB(), req.Key, noLock)
					switch {
					case err != nil:
						return failed()
					case !ok:
						return unavailable("the key's row was removed") // by the reaper, since the 23505
					}
					return answerFor(row)
				}
				return dbFailure(err)
			},
			Workers: reaperWorkers(st),
		}
	},
}

// insertKey inserts key's row as started with a plain INSERT: it waits for
// a concurrent uncommitted insert of the key and fails with 23505 if that
// one commits.
func insertKey(x execer, req api.Request) error {
	_, err := x.Exec("insert into idempotency_keys (key, fingerprint, state, locked_at) values ($1, $2, $3, now())",
		api.Text(req.Key), api.Text(req.Fingerprint), api.Text(stateStarted))
	return err
}
