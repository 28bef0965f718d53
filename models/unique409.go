package models

import (
	"strconv"

	"github.com/idemsim/idemsim/sim/api"
)

// Unique409 inserts the payment with its key under a unique constraint, in
// one transaction; a duplicate key gets 409 naming the payment made first.
//
// Position: the thread's opening answer — always answer a repeated key with
// 409, since a unique constraint in the same transaction as the business
// row is all the deduplication needed. A failed attempt rolls back and
// leaves no key, so its retry runs. The objections: nothing compares the
// payloads, so a second intent under a reused key is silently dropped; and
// a charge made before a transaction that then aborts is not rolled back.
var Unique409 = api.Strategy{
	Name: "unique-409",
	Rule: "insert the payment with its key under a unique constraint in one transaction; a duplicate key gets 409 with the first payment's id",
	Position: "the thread's always-409 answer, where a unique constraint on the key in the business transaction " +
		"is the whole mechanism and failures are never recorded, so their retries run again",
	Contract:    api.Contract409,
	Levels:      api.AllLevels(),
	Switches:    []api.Switch{api.SwitchDownstream},
	Defaults:    api.Switches{Forward: true},
	Schema:      []string{uniquePaymentsDDL},
	Ledger:      []string{paymentsTable},
	CrashPoints: []string{pointAfterCharge},
	Boot: func(st api.Settings) api.Server {
		return api.Server{Create: func(env api.Env, req api.Request) api.Response {
			tx, err := env.DB().Begin(api.DefaultLevel)
			if err != nil {
				return failed()
			}
			resp, err := pay(env, tx, req, st)
			switch {
			case api.SQLState(err) == api.CodeUniqueViolation:
				_ = tx.Rollback()
				return firstPayment(env.DB(), req.Key)
			case err != nil:
				return failed()
			case resp.Status != api.StatusCreated:
				return resp
			}
			if err := tx.Commit(); err != nil {
				return failed()
			}
			return resp
		}}
	},
}

// firstPayment is the 409 that names the payment made with key.
func firstPayment(db execer, key string) api.Response {
	res, err := db.Exec("select id from payments where idempotency_key = $1", api.Text(key))
	if err != nil || len(res.Rows) == 0 {
		return failed()
	}
	return conflict("pay_"+strconv.FormatInt(res.Rows[0][0].Int, 10), "a payment with this key exists")
}
