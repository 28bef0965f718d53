package models

import (
	"strconv"

	"github.com/idemsim/idemsim/sim/api"
)

// GatewayThenPersist is the plain checkout: replay a payment already
// recorded with the key, else charge the card and record the payment (the
// key unique) only once the gateway has answered.
//
// Position: the order most checkouts are written in, which the thread's
// payments side says treats a payment as atomic when it is not: between the
// gateway's answer and the insert the money has moved and nothing here
// knows it. A crash there, a gateway timeout or a 500 after the charge, or
// a second request racing the first, leads to another charge; only the
// gateway can stop it, and only if the key is forwarded and the gateway
// deduplicates on it. With its defaults (forwarding, and the world's
// gateway idempotent by key) the gateway does, so the chaos finds no
// duplicate; downstream=no-forward, or a gateway in mode none, gives the
// duplicate, and a window-mode gateway turns the retry into a 409 that the
// client reads as done while the payment is never recorded here. It always
// charges, whatever the run's --work.
var GatewayThenPersist = api.Strategy{
	Name: "gateway-then-persist",
	Rule: "replay the payment recorded with the key, else charge the gateway and record the payment only after it answers",
	Position: "the usual checkout order, charge then record, which the thread's payments side says cannot be atomic: " +
		"a crash or timeout after the charge leaves money moved and no record, and the retry charges again unless the gateway dedupes the forwarded key",
	Contract:      api.ContractReplay,
	Switches:      []api.Switch{api.SwitchDownstream},
	Defaults:      api.Switches{Forward: true},
	Schema:        []string{uniquePaymentsDDL},
	Ledger:        []string{paymentsTable},
	AlwaysCharges: true,
	CrashPoints:   []string{pointAfterCharge},
	Boot: func(st api.Settings) api.Server {
		return api.Server{Create: func(env api.Env, req api.Request) api.Response {
			if resp, ok, err := recordedPayment(env.DB(), req.Key); err != nil {
				return failed()
			} else if ok {
				return resp
			}
			charge, resp := chargeCard(env, req, st.Forward)
			if charge == "" {
				return resp
			}
			env.Crash(pointAfterCharge)
			id, err := insertPayment(env.DB(), req, charge)
			if api.SQLState(err) == api.CodeUniqueViolation {
				if resp, ok, _ := recordedPayment(env.DB(), req.Key); ok {
					return resp // a racer recorded it first
				}
			}
			if err != nil {
				return failed()
			}
			return created(id)
		}}
	},
}

// recordedPayment is the 201 of the payment recorded with key, if any.
func recordedPayment(db execer, key string) (api.Response, bool, error) {
	res, err := db.Exec("select id from payments where idempotency_key = $1", api.Text(key))
	if err != nil || len(res.Rows) == 0 {
		return api.Response{}, false, err
	}
	return created("pay_" + strconv.FormatInt(res.Rows[0][0].Int, 10)), true, nil
}
