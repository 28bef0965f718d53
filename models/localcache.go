package models

import "github.com/idemsim/idemsim/sim/api"

// LocalCache remembers, in the server process's memory, the response to every
// key it has seen and replays it; a key it has not seen is executed.
//
// Position: the per-process idempotency store (an in-memory map, as many
// middlewares ship by default), and the objection the thread raises against
// it: with several servers behind a balancer, two requests that should be
// idempotent with each other can land on different servers, and neither
// server's map knows about the other. The map is right with one server that
// never restarts; a retry routed to another replica, or arriving after a
// restart, executes again.
var LocalCache = api.Strategy{
	Name: "local-cache",
	Rule: "replay the response remembered in this process for a seen key, else execute and remember",
	Position: "the in-memory idempotency map of many middlewares, and the thread's objection to it: " +
		"retries that land on another server (or on a restarted one) find an empty map",
	Contract:    api.ContractReplay,
	Schema:      []string{paymentsDDL},
	Ledger:      []string{paymentsTable},
	CrashPoints: []string{pointAfterCharge},
	Switches:    []api.Switch{api.SwitchFailures},
	Boot: func(st api.Settings) api.Server {
		// Process memory: lost on a crash, not shared between replicas.
		// seen is guarded by running's lock.
		seen := make(map[string]api.Response)
		// running holds the keys whose first request is still executing, so
		// that a second one on this server waits instead of executing too.
		running := newRunningKeys()
		return api.Server{
			Create: func(env api.Env, req api.Request) api.Response {
				var (
					stored, resp api.Response
					replay, paid bool
				)
				running.claim(env, req.Key, func() { stored, replay = seen[req.Key] })
				// Deferred, so that a crash unwinding the handler releases
				// the key too.
				defer running.release(req.Key, func() {
					if paid && keep(resp, st) {
						seen[req.Key] = resp
					}
				})
				if replay {
					return stored
				}
				resp, err := pay(env, env.DB(), req, st)
				if err != nil {
					return failed()
				}
				paid = true
				return resp
			},
			Poll: func(env api.Env, req api.Request) api.Response {
				var (
					resp api.Response
					ok   bool
				)
				running.locked(func() { resp, ok = seen[req.Key] })
				if ok {
					return resp
				}
				return api.Response{Status: api.StatusNotFound}
			},
		}
	},
}
