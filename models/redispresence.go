package models

import "github.com/idemsim/idemsim/sim/api"

// RedisPresence GETs the key in the store and replays the response found
// there; a key not found is executed, and its response SET in the store
// afterwards.
//
// Position: the store-backed cache that many idempotency middlewares ship,
// the shared-memory answer to the objection against a per-process map. It
// shares the memory but not the decision: the GET and the SET are two
// commands with the work between them, so two requests with one key can
// both miss and both pay (check-then-act), and the store is a cache: a
// restart without persistence, an eviction or a failover to a lagging
// replica forgets keys, and a retry that arrives afterwards pays again. A
// crash between the work and the SET (before-store) stores nothing at all.
var RedisPresence = api.Strategy{
	Name: "redis-presence",
	Rule: "GET the key in the store and replay what is there; if absent, do the work, then SET the key with the response and the retention window as TTL",
	Position: "the store-backed middleware cache: shared between servers, but the GET and the SET leave the work " +
		"between them unguarded, and a store that restarts, evicts or fails over forgets keys",
	Contract:    api.ContractReplay,
	Switches:    []api.Switch{api.SwitchRetention, api.SwitchFailures, api.SwitchDownstream},
	Defaults:    api.Switches{Forward: true},
	Schema:      []string{paymentsDDL},
	Ledger:      []string{paymentsTable},
	CrashPoints: []string{pointAfterCharge, pointBeforeStore},
	Boot: func(st api.Settings) api.Server {
		return api.Server{
			Create: func(env api.Env, req api.Request) api.Response {
				return replayOrPay(env, env.KV(), req, st)
			},
		}
	},
}
