package models

import "github.com/idemsim/idemsim/sim/api"

// Early409 claims the key (a committed started row) before the work, then
// does the work and finishes the key in one transaction; every request that
// finds the key already claimed gets 409, whether its first is finished or
// still running, and a request that fails deletes its claim so that a retry
// runs.
//
// Position: the always-409 camp's answer to a second request that arrives
// while the first is still running: claim early and answer 409 at once,
// on the reading that 409 means someone already has this in hand. The
// objection comes from the client's side: with 409 read as done, a client
// whose duplicate got the 409 stops, and if the first request then fails
// (deleting its claim tells nobody) or its server crashes after the claim
// (after-claim, or anywhere before the commit), the operation never
// happens. Without a lease a claim whose owner died is never released:
// every retry gets 409, read as done. With a lease (lease=DURATION) such a
// claim can be taken over once it is older than the lease, which helps only
// a retry that comes that late, and lets a second request run while an
// owner paused past the lease is still at work.
var Early409 = api.Strategy{
	Name: "early-409",
	Rule: "commit a claim on the key before the work, then do the work and finish the key; any request that finds the key claimed gets 409, and a failed one deletes its claim",
	Position: "the always-409 camp claiming early: a second request gets 409 even while the first runs, which a " +
		"client reading 409 as done takes as success before the first has succeeded",
	Contract:    api.Contract409,
	Switches:    []api.Switch{api.SwitchRetention, api.SwitchFailures, api.SwitchLease, api.SwitchDownstream},
	Defaults:    api.Switches{Forward: true},
	Schema:      []string{paymentsDDL, keysDDL},
	Ledger:      []string{paymentsTable},
	Levels:      api.AllLevels(),
	CrashPoints: []string{pointAfterClaim, pointAfterCharge},
	Boot: func(st api.Settings) api.Server {
		return api.Server{
			Create: func(env api.Env, req api.Request) api.Response {
				db := env.DB()
				claimed, err := claimKey(db, req)
				if err != nil {
					return failed() // the claim may have committed: the retry then gets 409
				}
				if !claimed && st.Lease > 0 {
					if claimed, err = takeOver(db, req.Key, st.Lease); err != nil {
						return failed()
					}
				}
				if !claimed {
					return conflict("", "a request with this key was received")
				}
				env.Crash(pointAfterClaim)
				resp := failed()
				if tx, err := db.Begin(api.DefaultLevel); err == nil {
					resp = finishInTxn(env, tx, req, st)
				}
				if resp.Status >= 500 {
					// Deletes only a claim still started: a commit whose
					// acknowledgement was lost has finished the key.
					_ = releaseKey(db, req.Key)
				}
				return resp
			},
			Workers: reaperWorkers(st),
		}
	},
}

// pointAfterClaim is the step after a claim on the key is committed, before
// the work begins.
const pointAfterClaim = "after-claim"
