// Package probes holds small strategies that each exercise one service of
// the world — the database, the store, the gateway, the queue — so that the
// scenario files and tests can show how that service behaves when it fails.
// They are instruments, not positions of the thread: the thread's
// strategies live in models.
package probes

import (
	"strconv"
	"strings"
	"time"

	"github.com/idemsim/idemsim/sim/api"
)

// All lists the probes.
func All() []api.Strategy { return []api.Strategy{DB, KV, Lock, Gateway, Queue} }

const paymentsDDL = "create table payments (idempotency_key text, amount bigint not null)"

// execer runs a statement: the database (autocommit) or a transaction.
type execer interface {
	Exec(string, ...api.Value) (api.Result, error)
}

func insert(db execer, key string, amount int64) error {
	_, err := db.Exec("insert into payments (idempotency_key, amount) values ($1, $2)", api.Text(key), api.Int(amount))
	return err
}

func status(code int) api.Response { return api.Response{Status: code} }

// recorded reports whether a payment with key is in the table.
func recorded(db execer, key string) (bool, error) {
	res, err := db.Exec("select count(*) from payments where idempotency_key = $1", api.Text(key))
	if err != nil {
		return false, err
	}
	return res.Rows[0][0].Int > 0, nil
}

// DB looks the key up and records the payment in one transaction.
var DB = api.Strategy{
	Name: "probe-db", Rule: "in one transaction, replay a key already recorded, else record the payment with its key",
	Position: "probe of the database: what a lost commit acknowledgement or a dropped connection does to one transaction",
	Contract: api.ContractReplay, Schema: []string{paymentsDDL}, Ledger: []string{"payments"},
	Boot: func(api.Settings) api.Server {
		return api.Server{Create: func(env api.Env, req api.Request) api.Response {
			tx, err := env.DB().Begin(api.DefaultLevel)
			if err != nil {
				return status(api.StatusServiceUnavailable)
			}
			done, err := recorded(tx, req.Key)
			if err != nil {
				return status(api.StatusServiceUnavailable)
			}
			if done {
				tx.Commit()
				return status(api.StatusOK)
			}
			if err := insert(tx, req.Key, req.Payload.Amount); err != nil {
				return status(api.StatusServiceUnavailable)
			}
			if err := tx.Commit(); err != nil {
				return status(api.StatusServiceUnavailable)
			}
			return status(api.StatusCreated)
		}}
	},
}

// KV checks the store for the key, records the payment, then remembers the
// key in the store.
var KV = api.Strategy{
	Name: "probe-kv", Rule: "replay a key the store remembers, else record the payment and remember the key for an hour",
	Position: "probe of the store: what a restart without persistence or a failover to a lagging replica forgets",
	Contract: api.ContractReplay, Schema: []string{paymentsDDL}, Ledger: []string{"payments"},
	Boot: func(api.Settings) api.Server {
		return api.Server{Create: func(env api.Env, req api.Request) api.Response {
			if _, seen, err := env.KV().Get("idem:" + req.Key); err != nil {
				return status(api.StatusServiceUnavailable)
			} else if seen {
				return status(api.StatusOK)
			}
			if err := insert(env.DB(), req.Key, req.Payload.Amount); err != nil {
				return status(api.StatusServiceUnavailable)
			}
			env.KV().Set("idem:"+req.Key, "done", api.SetOptions{TTL: time.Hour})
			return status(api.StatusCreated)
		}}
	},
}

// Lock takes a lock with a one-second lease in the store, checks the
// database, works for half a second, records the payment and releases the
// lock.
var Lock = api.Strategy{
	Name: "probe-lock", Rule: "under a one-second lease in the store, replay a recorded key, else work half a second and record the payment",
	Position: "probe of leases: what a process pause longer than its lease lets a second holder do",
	Contract: api.ContractReplay, Schema: []string{paymentsDDL}, Ledger: []string{"payments"},
	Boot: func(api.Settings) api.Server {
		return api.Server{Create: func(env api.Env, req api.Request) api.Response {
			lock := "lock:" + req.Key
			owner := env.Server() + "@" + strconv.FormatInt(int64(env.Now()), 10)
			ok, err := env.KV().Set(lock, owner, api.SetOptions{NX: true, TTL: time.Second})
			switch {
			case err != nil:
				return status(api.StatusServiceUnavailable)
			case !ok:
				return api.Response{Status: api.StatusLocked, RetryAfter: time.Second}
			}
			defer env.KV().CompareAndDelete(lock, owner)
			done, err := recorded(env.DB(), req.Key)
			if err != nil {
				return status(api.StatusServiceUnavailable)
			}
			if done {
				return status(api.StatusOK)
			}
			env.Sleep(500 * time.Millisecond) // the work the lease protects
			if err := insert(env.DB(), req.Key, req.Payload.Amount); err != nil {
				return status(api.StatusServiceUnavailable)
			}
			return status(api.StatusCreated)
		}}
	},
}

// Gateway charges the card, forwarding the key.
var Gateway = api.Strategy{
	Name: "probe-gateway", Rule: "charge the card at the gateway, forwarding the idempotency key",
	Position: "probe of the gateway: a charge that goes through while its answer is lost or is a 500",
	Contract: api.ContractReplay,
	Boot: func(api.Settings) api.Server {
		return api.Server{Create: func(env api.Env, req api.Request) api.Response {
			res, err := env.Gateway().Charge(api.ChargeRequest{Amount: req.Payload.Amount, Currency: req.Payload.Currency,
				Description: req.Payload.Description, IdempotencyKey: req.Key})
			switch {
			case err != nil:
				return status(api.StatusGatewayTimeout) // the charge may have gone through
			case res.Status == api.StatusConflict:
				return api.Response{Status: api.StatusServiceUnavailable, RetryAfter: time.Second} // still processing
			case res.Status >= 500:
				return status(api.StatusBadGateway)
			case res.Status >= 300:
				return status(res.Status) // refused: pass the reason on
			}
			return api.Response{Status: api.StatusCreated, Resource: res.ChargeID}
		}}
	},
}

// Queue accepts the payment with 202 and a message on the queue; a worker
// records it and acknowledges the message; polls read the database.
var Queue = api.Strategy{
	Name: "probe-queue", Rule: "answer 202 and queue the payment; a worker records it, then acknowledges the message",
	Position: "probe of the queue: at-least-once delivery redelivers a message whose worker died before acknowledging it",
	Contract: api.ContractPoll202, Schema: []string{paymentsDDL}, Ledger: []string{"payments"},
	CrashPoints: []string{"after-effect"},
	Boot: func(api.Settings) api.Server {
		create := func(env api.Env, req api.Request) api.Response {
			if _, err := env.Queue().Send(req.Key + " " + strconv.FormatInt(req.Payload.Amount, 10)); err != nil {
				return status(api.StatusServiceUnavailable)
			}
			return api.Response{Status: api.StatusAccepted, Location: "/payments/" + req.Key}
		}
		poll := func(env api.Env, req api.Request) api.Response {
			done, err := recorded(env.DB(), req.Key)
			switch {
			case err != nil:
				return status(api.StatusServiceUnavailable)
			case done:
				return status(api.StatusOK)
			}
			return status(api.StatusAccepted)
		}
		consume := func(env api.Env) {
			for {
				msg, ok, err := env.Queue().Receive(5 * time.Second)
				if err != nil || !ok {
					continue
				}
				key, amount, _ := strings.Cut(msg.Body, " ")
				n, _ := strconv.ParseInt(amount, 10, 64)
				if insert(env.DB(), key, n) != nil {
					continue // the message comes back after its visibility timeout
				}
				env.Crash("after-effect")
				env.Queue().Ack(msg.Receipt)
			}
		}
		return api.Server{Create: create, Poll: poll, Workers: []api.Worker{{Name: "consumer", Run: consume}}}
	},
}
