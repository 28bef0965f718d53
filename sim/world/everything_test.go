package world_test

import (
	"time"

	"github.com/idemsim/idemsim/sim/api"
)

// everything is a strategy that calls every service and names crash points,
// so that determinism and replay are tested over every fault kind. It is
// not a sensible strategy: a lock in the store, a transaction in the
// database, a charge at the gateway, a message on the queue and a worker
// that consumes it.
var everything = api.Strategy{
	Name: "everything", Rule: "call every service", Position: "test only",
	Contract: api.ContractReplay,
	Schema: []string{
		"create table payments (idempotency_key text, amount bigint not null)",
		"create table receipts (body text)",
	},
	Ledger:      []string{"payments"},
	CrashPoints: []string{"before-claim", "after-charge"},
	Boot: func(api.Settings) api.Server {
		create := func(env api.Env, req api.Request) api.Response {
			env.Crash("before-claim")
			lock := "lock:" + req.Key
			ok, err := env.KV().Set(lock, env.Server(), api.SetOptions{NX: true, TTL: 5 * time.Second})
			switch {
			case err != nil:
				return api.Response{Status: api.StatusServiceUnavailable}
			case !ok:
				return api.Response{Status: api.StatusLocked, RetryAfter: time.Second}
			}
			defer env.KV().CompareAndDelete(lock, env.Server())
			tx, err := env.DB().Begin(api.DefaultLevel)
			if err != nil {
				return api.Response{Status: api.StatusServiceUnavailable}
			}
			res, err := tx.Exec("select count(*) from payments where idempotency_key = $1", api.Text(req.Key))
			if err != nil {
				return api.Response{Status: api.StatusServiceUnavailable}
			}
			if res.Rows[0][0].Int > 0 {
				tx.Commit()
				return api.Response{Status: api.StatusOK}
			}
			charge, err := env.Gateway().Charge(api.ChargeRequest{Amount: req.Payload.Amount, Currency: req.Payload.Currency, IdempotencyKey: req.Key})
			if err != nil || charge.Status >= 300 {
				return api.Response{Status: api.StatusBadGateway}
			}
			env.Crash("after-charge")
			if _, err := tx.Exec("insert into payments (idempotency_key, amount) values ($1, $2)", api.Text(req.Key), api.Int(req.Payload.Amount)); err != nil {
				return api.Response{Status: api.StatusServiceUnavailable}
			}
			if err := tx.Commit(); err != nil {
				return api.Response{Status: api.StatusServiceUnavailable}
			}
			env.Queue().Send(req.Key)
			return api.Response{Status: api.StatusCreated, Resource: charge.ChargeID}
		}
		consume := func(env api.Env) {
			for {
				msg, ok, err := env.Queue().Receive(time.Second)
				if err != nil || !ok {
					continue
				}
				if _, err := env.DB().Exec("insert into receipts (body) values ($1)", api.Text(msg.Body)); err == nil {
					env.Queue().Ack(msg.Receipt)
				}
			}
		}
		return api.Server{Create: create, Workers: []api.Worker{{Name: "consumer", Run: consume}}}
	},
}
