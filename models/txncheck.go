package models

import "github.com/idemsim/idemsim/sim/api"

// TxnCheckInsert looks the key up and records it in the same transaction as
// the work, at the run's isolation level, with no unique constraint on the
// key; at serializable a serialization failure runs the transaction again.
//
// Position: moving the check inside the transaction, and the thread's
// argument over what that buys at each level. Under read committed two
// transactions both see the key absent and both commit, as nothing makes
// the second wait; repeatable read's snapshots do not help either, since
// the two transactions write different rows. Only serializable detects
// the read-write dependency and aborts one, and its retry then sees the
// first one's key — provided the server retries (TxnCheckInsertNoRetry
// turns that off and answers 503).
var TxnCheckInsert = txnCheckInsert("txn-check-insert", true)

// TxnCheckInsertNoRetry is TxnCheckInsert without the server's retry of a
// serialization failure: the client sees 503 and retries the request.
var TxnCheckInsertNoRetry = txnCheckInsert("txn-check-insert-no-retry", false)

func txnCheckInsert(name string, retry bool) api.Strategy {
	rule := "in one transaction at the run's level, look the key up, do the work and record the key (no unique constraint); retry on a serialization failure"
	position := "the check inside the transaction, correct only where the isolation level detects the race " +
		"(serializable), and then only with the 40001 retry the thread's optimistic camp relies on"
	if !retry {
		rule = "in one transaction at the run's level, look the key up, do the work and record the key (no unique constraint); a serialization failure answers 503"
		position = "the same check inside the transaction without the server-side retry: a serialization failure goes back to the client"
	}
	return api.Strategy{
		Name:        name,
		Rule:        rule,
		Position:    position,
		Contract:    api.ContractReplay,
		Levels:      api.AllLevels(),
		Switches:    []api.Switch{api.SwitchRetention, api.SwitchFailures, api.SwitchDownstream},
		Defaults:    api.Switches{Forward: true},
		Schema:      []string{paymentsDDL, keysNoUniqueDDL},
		Ledger:      []string{paymentsTable},
		CrashPoints: []string{pointAfterCharge},
		Boot: func(st api.Settings) api.Server {
			return api.Server{
				Create: func(env api.Env, req api.Request) api.Response {
					for attempt := 1; ; attempt++ {
						resp, err := checkInsideTxn(env, req, st)
						if api.SQLState(err) == api.CodeSerializationFailure {
							if retry && attempt < maxTxnRetries {
								continue
							}
							return unavailable("serialization failure")
						}
						if err != nil {
							return failed()
						}
						return resp
					}
				},
				Workers: reaperWorkers(st),
			}
		},
	}
}

// checkInsideTxn is one try of the transaction: the stored response if the
// key is there, else the work and the key's record.
func checkInsideTxn(env api.Env, req api.Request, st api.Settings) (api.Response, error) {
	tx, err := env.DB().Begin(api.DefaultLevel)
	if err != nil {
		return api.Response{}, err
	}
	row, ok, err := lookupKey(tx, req.Key, noLock)
	if err != nil {
		return api.Response{}, err
	}
	if ok {
		return answerFor(row), tx.Commit()
	}
	resp, err := pay(env, tx, req, st)
	if err != nil || resp.Status != api.StatusCreated && !keep(resp, st) {
		return resp, err
	}
	if err := recordKey(tx, req, resp); err != nil {
		return api.Response{}, err
	}
	return resp, tx.Commit()
}
