package models

import (
	"time"

	"github.com/idemsim/idemsim/sim/api"
)

// RedisLock claims the key with SET lock:KEY NX PX lease before anything
// else; a request that finds it taken gets 429, and the holder replays a
// stored response or does the work, stores its response and releases the
// lock with a compare-and-delete of its own token.
//
// Position: the distributed-lock answer, the usual fix proposed for the
// store cache's check-then-act race: make the claim atomic in the store,
// with a lease so that a crashed holder cannot block the key forever, and
// release only one's own lock. It rests on two things the store does not
// promise. The lease is a guess at how long the work takes: a holder that
// pauses (a GC stop, a stalled VM) past it loses the lock without knowing,
// and a second request does the work again. The payment and the stored
// response are in two systems: a crash between them (before-store), or a
// SET lost on the way, leaves nothing to replay once the lease ends. And
// the store may lose its keys (a restart without persistence, a failover to
// a lagging replica), locks and results alike. Without a lease (lease=none)
// a holder that dies before the release (before-unlock) leaves the key
// locked for good: its retries get 429 until they give up. (The chaos mixes
// pause a server for at most 3s, within the default lease of 10s: they catch
// this strategy through the other three.)
var RedisLock = api.Strategy{
	Name: "redis-lock",
	Rule: "SET lock:KEY NX with the lease as TTL, 429 if taken; the holder replays a stored response or does the work and stores it, then releases its lock by compare-and-delete",
	Position: "the distributed-lock fix for the cache's race: an atomic claim in the store with a lease, safe as long " +
		"as no holder outlives its lease and the store never loses a key",
	Contract:    api.ContractReplay,
	Switches:    []api.Switch{api.SwitchRetention, api.SwitchFailures, api.SwitchLease, api.SwitchDownstream},
	Defaults:    api.Switches{Lease: 10 * time.Second, Forward: true},
	Schema:      []string{paymentsDDL},
	Ledger:      []string{paymentsTable},
	CrashPoints: []string{pointAfterCharge, pointBeforeStore, pointBeforeUnlock},
	Boot: func(st api.Settings) api.Server {
		var tok tokens // process memory: reset by a restart
		return api.Server{
			Create: func(env api.Env, req api.Request) api.Response {
				if tok.server == "" {
					tok.server = env.Server()
				}
				kv, lock, token := env.KV(), lockKey(req.Key), tok.next()
				if ok, err := kv.Set(lock, token, api.SetOptions{NX: true, TTL: st.Lease}); err != nil {
					// The SET may have taken effect: the lock then waits
					// for its lease (or forever, without one).
					return unavailable("the store could not be reached")
				} else if !ok {
					return locked()
				}
				resp := replayOrPay(env, kv, req, st)
				env.Crash(pointBeforeUnlock)
				_, _ = kv.CompareAndDelete(lock, token)
				return resp
			},
		}
	},
}
