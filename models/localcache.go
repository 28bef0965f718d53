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
		seen := make(map[string]api.Response)
		// running holds the keys whose first request is still executing, so
		// that a second one on this server waits instead of executing too.
		running := make(map[string]bool)
		return api.Server{
			Create: func(env api.Env, req api.Request) api.Response {
				for running[req.Key] {
					env.Sleep(pollRunning)
				}
				if resp, ok := seen[req.Key]; ok {
					return resp
				}
				running[req.Key] = true
				defer delete(running, req.Key)
				resp, err := pay(env, env.DB(), req, st)
				if err != nil {
					return failed()
				}
				if keep(resp, st) {
					seen[req.Key] = resp
				}
				return resp
			},
			Poll: func(env api.Env, req api.Request) api.Response {
				if resp, ok := seen[req.Key]; ok {
					return resp
				}
				return api.Response{Status: api.StatusNotFound}
			},
		}
	},
}
