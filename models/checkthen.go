package models

import "github.com/idemsim/idemsim/sim/api"

// CheckThenInsert looks the key up outside any transaction, does the work
// if it is absent, and records the key afterwards.
//
// Position: the check-then-act pattern the thread warns about. Two
// requests with one key can both find it absent before either records it;
// both then do the work, and the unique index on the key table catches the
// second only when it records the key, after its payment is made. A crash
// between the work and the record leaves no key at all, so the retry pays
// again.
var CheckThenInsert = checkThenInsert(api.Strategy{
	Name: "check-then-insert",
	Rule: "look the key up, outside any transaction; if absent, do the work, then record the key",
	Position: "the check-outside-the-transaction anti-pattern the thread warns about: two requests can both " +
		"see the key absent, and the unique index stops the second only at the end, after its payment",
}, false)

// checkThenInsert is the check-then-act strategy named and described by s,
// looking the key up on the primary or on the read replica.
func checkThenInsert(s api.Strategy, onReplica bool) api.Strategy {
	s.Contract = api.ContractReplay
	s.Switches = []api.Switch{api.SwitchRetention, api.SwitchFailures, api.SwitchDownstream}
	s.Defaults = api.Switches{Forward: true}
	s.Schema = []string{paymentsDDL, keysDDL}
	s.Ledger = []string{paymentsTable}
	s.CrashPoints = []string{pointAfterCharge, pointBeforeRecord}
	s.Boot = func(st api.Settings) api.Server {
		return api.Server{
			Create: func(env api.Env, req api.Request) api.Response {
				db, lookup := env.DB(), env.DB()
				if onReplica {
					lookup = env.Replica()
				}
				if row, ok, err := lookupKey(lookup, req.Key, noLock); err != nil {
					return failed()
				} else if ok {
					return answerFor(row)
				}
				resp, err := pay(env, db, req, st)
				if err != nil {
					return failed()
				}
				if keep(resp, st) {
					env.Crash(pointBeforeRecord)
					// A racer that recorded the key first makes this fail
					// (23505): the payment stands, the key row is theirs.
					_ = recordKey(db, req, resp)
				}
				return resp
			},
			Workers: reaperWorkers(st),
		}
	}
	return s
}

// pointBeforeRecord is the step between the work and recording the key.
const pointBeforeRecord = "before-record"
