package models

import "github.com/idemsim/idemsim/sim/world"

// LocalCache remembers, in the server process's memory, the response to every
// key it has seen and replays it; a key it has not seen is executed.
//
// Position: the per-process idempotency store (an in-memory middleware map),
// and the objection the thread raises against it — "And you haven't
// considered multiple servers in your scenario - what if two requests meant
// to be idempotent with each other arrived at different servers?" The map is
// right with one server that never restarts; a retry routed to another
// replica, or arriving after a restart, executes again.
var LocalCache = world.Strategy{
	Name:     "local-cache",
	Rule:     "replay the response remembered in this process for a seen key, else execute and remember",
	Position: `And you haven't considered multiple servers in your scenario - what if two requests meant to be idempotent with each other arrived at different servers?`,
	Contract: world.ContractReplay,
	Boot: func() world.Handler {
		// Process memory: lost on a crash, not shared between replicas.
		seen := make(map[string]world.Response)
		return func(env world.Env, req world.Request) world.Response {
			if resp, ok := seen[req.Key]; ok {
				return resp
			}
			if req.Kind == world.Poll {
				return world.Response{Status: world.StatusNotFound}
			}
			// Lookup, charge and remember happen without yielding, so two
			// requests on this server can never both miss.
			row := env.Ledger().Charge(req.Op, req.Amount, req.Key)
			resp := world.Response{Status: world.StatusCreated, Row: row}
			seen[req.Key] = resp
			return resp
		}
	},
}
