package models

import "github.com/idemsim/idemsim/sim/api"

// Naive performs every request it receives: no idempotency at all.
//
// Position: the baseline the thread starts from. A client that cannot tell
// whether its first try worked has to try again (at-least-once delivery),
// and the idempotency mechanism exists only so that such a retry does not
// act twice when the first try had in fact succeeded. Take the mechanism
// away and every retry of a request that did succeed charges again.
var Naive = api.Strategy{
	Name: "naive",
	Rule: "execute every request; the key is ignored",
	Position: "the thread's baseline: clients retry at least once when unsure, and idempotency keys exist only " +
		"so that a retry of a request that had succeeded does not act twice; without them, it does",
	Contract:    api.ContractNone,
	Schema:      []string{paymentsDDL},
	Ledger:      []string{paymentsTable},
	CrashPoints: []string{pointAfterCharge},
	Boot: func(st api.Settings) api.Server {
		return api.Server{Create: func(env api.Env, req api.Request) api.Response {
			resp, err := pay(env, env.DB(), req, st)
			if err != nil {
				return failed()
			}
			return resp
		}}
	},
}
