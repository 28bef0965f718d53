package models

import "github.com/idemsim/idemsim/sim/api"

// PersistThenGateway commits a pending record of the payment (the key's row)
// before it calls the gateway, then, holding that row's lock, asks the
// gateway for a charge already made with the forwarded key and charges only
// if there is none; the charge's id is recorded with the payment when the
// charge is known to have gone through.
//
// Position: the thread's payments side, which says a payment is a series of
// states to store one by one, and that when a call times out the server
// should ask the processor, by the key it stored, whether the charge
// arrived, then reconcile rather than charge again. The pending row is
// committed first, so after a crash or a timeout it says a charge may be
// out there; the row lock makes a second request wait instead of charging
// beside the first, and is released by a crash, as a connection's locks
// are. Lookup by key needs the key at the gateway: with
// downstream=no-forward there is nothing to look up and this falls back to
// charging again (duplicate). With forwarding it holds even against a
// gateway that deduplicates nothing (mode none) — short of a charge still in
// the network when the next request looks, which a crash in the
// microseconds after the send would need. It always charges, whatever the
// run's --work.
var PersistThenGateway = api.Strategy{
	Name: "persist-then-gateway",
	Rule: "commit the key's pending row, lock it, look the forwarded key up at the gateway and charge only if no charge is there, then record the payment with the charge's id and finish the key",
	Position: "the thread's payments side: store each state before the next step, and after a timeout or a crash ask the " +
		"processor by the stored key whether the charge arrived, reconciling instead of charging again",
	Contract:      api.ContractReplay,
	Levels:        api.AllLevels(),
	Switches:      []api.Switch{api.SwitchDownstream},
	Defaults:      api.Switches{Forward: true},
	Schema:        []string{uniquePaymentsDDL, keysDDL},
	Ledger:        []string{paymentsTable},
	AlwaysCharges: true,
	CrashPoints:   []string{pointAfterPending, pointAfterCharge},
	Boot: func(st api.Settings) api.Server {
		return api.Server{Create: func(env api.Env, req api.Request) api.Response {
			if _, err := claimKey(env.DB(), req); err != nil {
				return failed()
			}
			env.Crash(pointAfterPending)
			tx, err := env.DB().Begin(api.DefaultLevel)
			if err != nil {
				return failed()
			}
			row, ok, err := lookupKey(tx, req.Key, forUpdate)
			switch {
			case err != nil:
				return dbFailure(err)
			case !ok:
				return unavailable("the key's row was removed")
			case row.state != stateStarted:
				_ = tx.Commit()
				return answerFor(row)
			}
			charge, resp := chargeOnce(env, req, st.Forward)
			if charge == "" {
				if resp.Status < 500 {
					// A refusal is final: store it. An unknown outcome leaves
					// the row pending, for the retry to reconcile.
					if finishKey(tx, req.Key, resp) != nil || tx.Commit() != nil {
						return failed()
					}
				}
				return resp
			}
			id, err := insertPayment(tx, req, charge)
			if err != nil {
				return failed()
			}
			resp = created(id)
			if finishKey(tx, req.Key, resp) != nil || tx.Commit() != nil {
				return failed()
			}
			return resp
		}}
	},
}

// pointAfterPending is the step after the pending row commits, before the
// gateway hears of the payment.
const pointAfterPending = "after-pending"

// chargeOnce is the charge for req: one the gateway already has under the
// forwarded key (an earlier request's, perhaps unanswered), else a new one;
// a new charge whose outcome is unknown is looked up at once. It returns
// the charge's id, or "" and the response that says why there is none.
func chargeOnce(env api.Env, req api.Request, forward bool) (string, api.Response) {
	if forward {
		if charge, resp, known := findCharge(env, req.Key); known {
			return charge, resp
		}
	}
	charge, resp := chargeCard(env, req, forward)
	if charge != "" {
		env.Crash(pointAfterCharge)
		return charge, resp
	}
	if forward && resp.Status >= 500 {
		if charge, found, known := findCharge(env, req.Key); known {
			return charge, found
		}
	}
	return "", resp
}

// findCharge asks the gateway for the charge made with key. known is false
// when there is none (a new charge may be made); a charge still processing,
// or a lookup that failed, is known with a 503 and no id.
func findCharge(env api.Env, key string) (charge string, resp api.Response, known bool) {
	s, err := env.Gateway().LookupByKey(key)
	switch {
	case err != nil:
		return "", unavailable("the gateway could not be asked about the charge"), true
	case !s.Found || s.State == "failed":
		return "", api.Response{}, false
	case s.State == "processing":
		return "", unavailable("the charge is still processing at the gateway"), true
	}
	return s.ChargeID, api.Response{}, true
}
