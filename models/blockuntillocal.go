package models

import "github.com/idemsim/idemsim/sim/api"

// BlockUntilDoneLocal makes a second request with a key wait on a lock held
// in the server's memory, then looks the key up in the shared database:
// replay if recorded, else do the work and record the key in one
// transaction, on a key table without a unique constraint.
//
// Position: waiting for the first request as some middlewares do it, with
// an in-process lock in front of a shared store. On one server the lock
// serializes the two requests and the second replays; on several, two
// requests with one key land on different servers, each takes its own
// server's lock, both find the key absent and both do the work, since
// nothing in the database makes the second wait. The waiting has to happen
// where the key lives.
var BlockUntilDoneLocal = api.Strategy{
	Name: "block-until-done-local",
	Rule: "wait on an in-process lock for the key, then look it up in the database: replay if recorded, else do the work and record the key in one transaction",
	Position: "waiting for the first request behind a per-process lock, as some middlewares do: it serializes " +
		"requests on one server only, and two servers both run the work",
	Contract:    api.ContractReplay,
	Levels:      api.AllLevels(),
	Switches:    []api.Switch{api.SwitchRetention, api.SwitchFailures, api.SwitchDownstream},
	Defaults:    api.Switches{Forward: true},
	Schema:      []string{paymentsDDL, keysNoUniqueDDL},
	Ledger:      []string{paymentsTable},
	CrashPoints: []string{pointAfterCharge},
	Boot: func(st api.Settings) api.Server {
		// Process memory: the keys whose request runs on this server.
		running := make(map[string]bool)
		return api.Server{
			Create: func(env api.Env, req api.Request) api.Response {
				for running[req.Key] {
					env.Sleep(pollRunning)
				}
				running[req.Key] = true
				defer delete(running, req.Key)
				row, ok, err := lookupKey(env.DB(), req.Key, noLock)
				if err != nil {
					return failed()
				}
				if ok {
					return answerFor(row)
				}
				tx, err := env.DB().Begin(api.DefaultLevel)
				if err != nil {
					return failed()
				}
				resp, err := pay(env, tx, req, st)
				switch {
				case err != nil:
					return failed()
				case !keep(resp, st):
					return resp // rolled back
				}
				if err := recordKey(tx, req, resp); err != nil {
					return failed()
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
