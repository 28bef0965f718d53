package models

import "github.com/idemsim/idemsim/sim/world"

// Naive performs every request it receives: no idempotency at all.
//
// Position: the baseline the thread starts from — "If the first try fails,
// the client doesn't know if it succeeded or not, so the client should try
// again later ("at-least-once"). The idempotence mechanism just ensures that
// we don't get duplicates in the case that the first try actually
// succeeded." Without that mechanism, at-least-once retries charge twice.
var Naive = world.Strategy{
	Name:     "naive",
	Rule:     "execute every request; the key is ignored",
	Position: `If the first try fails, the client doesn't know if it succeeded or not, so the client should try again later ("at-least-once").`,
	Contract: world.ContractNone,
	Boot: func() world.Handler {
		return func(env world.Env, req world.Request) world.Response {
			if req.Kind == world.Poll {
				return world.Response{Status: world.StatusNotFound}
			}
			row := env.Ledger().Charge(req.Op, req.Amount, req.Key)
			return world.Response{Status: world.StatusCreated, Row: row}
		}
	},
}
