package models

import (
	"time"

	"github.com/idemsim/idemsim/sim/api"
)

// ContentHash ignores the idempotency key and deduplicates on the payload:
// the client's identity and the payload's fingerprint make the key, claimed
// in the payment's transaction and kept for the retention window, so an
// identical payment from the same client within the window replays the
// first one's response.
//
// Position: the thread's remark that a server can hash the message's
// content instead of asking for keys, if it documents that it does, and
// that this is only sound when something else (a session or transaction id)
// says what counts as the same request. Without that, two payments a
// customer really meant — the same amount twice within the window — look
// like one, and the second is answered with the first's payment (lost);
// and one intent sent under two identities (the world's two workers handed
// one queue message, each its own client) looks like two (duplicate). The
// window bounds the first error and opens a third: a retry later than it
// pays again. The chaos catches only the two-worker duplicate: it draws no
// identical payments (each amount is one of 100,000), which
// --same-payment does (TestContentHash).
var ContentHash = api.Strategy{
	Name: "content-hash",
	Rule: "no key: claim the client's identity and the payload's fingerprint in the payment's transaction, and replay the first response to an identical payment within the retention window",
	Position: "the thread's hash-the-content alternative to keys, sound only when something else says what the same " +
		"request is: two identical payments within the window become one, and one payment sent by two identities two",
	Contract:    api.ContractReplay,
	Levels:      api.AllLevels(),
	Switches:    []api.Switch{api.SwitchRetention, api.SwitchFailures, api.SwitchDownstream},
	Defaults:    api.Switches{Retention: time.Hour, Forward: true},
	Schema:      []string{paymentsDDL, keysDDL},
	Ledger:      []string{paymentsTable},
	CrashPoints: []string{pointAfterCharge},
	Boot: func(st api.Settings) api.Server {
		return api.Server{
			Create: func(env api.Env, req api.Request) api.Response {
				req.Key = req.Client + "/" + req.Fingerprint // what is forwarded and recorded, too
				tx, claimed, fail := claimInTxn(env, req)
				switch {
				case fail.Status != 0:
					return fail
				case !claimed:
					row, ok, err := lookupKey(env.DB(), req.Key, noLock)
					if err != nil || !ok {
						return unavailable("the payment's record changed; try again") // reaped meanwhile
					}
					return answerFor(row)
				}
				return finishInTxn(env, tx, req, st)
			},
			Workers: reaperWorkers(st),
		}
	},
}
