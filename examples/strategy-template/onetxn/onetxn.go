// Package onetxn is a strategy of this module's own, written against
// idemsim's sim/api the way the catalogue's strategies are: the payment row
// carries the key under a unique index, so one transaction both does the
// work and claims the key, and a repeat that meets the index replays the
// first payment's answer when its payload is the same and refuses it when
// it is not.
//
// Replace it with your design: keep the shape (a Strategy value with a
// name, a one-sentence rule, where the design comes from, the contract its
// clients rely on, the schema, the ledger table and Boot), and change
// what Create does.
package onetxn

import (
	"strconv"
	"time"

	"github.com/idemsim/idemsim/sim/api"
)

// The ledger table: one row per payment, the key unique, the payload's
// fingerprint kept to tell a retry from a key reused for another payment.
const paymentsDDL = "create table payments (id bigserial primary key, idempotency_key text unique, fingerprint text not null, amount bigint not null, currency text not null)"

// Strategy is what main hands to cli.Main.
//
// Why it holds: the insert of a key that another transaction has written
// but not committed waits for that transaction, so two racing requests
// cannot both pay; a failed or crashed attempt rolls back and leaves no
// key, so its retry pays; and a lost commit acknowledgement is answered
// at the retry from the row that did commit. It does its work in the
// database only: with the world's gateway charges turned on it would
// need to charge inside the same decision, which it does not try.
var Strategy = api.Strategy{
	Name: "one-txn-replay",
	Rule: "insert the payment with its key under a unique index in one transaction, and answer a repeat with the stored payment when the payload matches and 422 when it does not",
	Position: "the template's own example: the key is a column of the business row, so the work and the claim " +
		"commit or vanish together, and the row itself is the stored answer",
	Contract: api.ContractReplay,
	Levels:   api.AllLevels(),
	Schema:   []string{paymentsDDL},
	Ledger:   []string{"payments"},
	Boot: func(api.Settings) api.Server {
		return api.Server{Create: create}
	},
}

func create(env api.Env, req api.Request) api.Response {
	if req.Key == "" {
		return api.Response{Status: api.StatusBadRequest, Body: "an Idempotency-Key header is required"}
	}
	tx, err := env.DB().Begin(api.DefaultLevel)
	if err != nil {
		return unavailable()
	}
	res, err := tx.Exec("insert into payments (idempotency_key, fingerprint, amount, currency) values ($1, $2, $3, $4) returning id",
		api.Text(req.Key), api.Text(req.Fingerprint), api.Int(req.Payload.Amount), api.Text(req.Payload.Currency))
	if api.SQLState(err) == api.CodeUniqueViolation {
		_ = tx.Rollback()
		return replay(env, req)
	}
	if err != nil {
		_ = tx.Rollback()
		return unavailable()
	}
	if err := tx.Commit(); err != nil {
		// The commit may have happened with its acknowledgement lost: the
		// retry this asks for finds the row and replays it.
		return unavailable()
	}
	return paid(res.Rows[0][0].Int)
}

// replay answers a repeat of a committed key: the first payment, or 422
// when the payload is not the one the key was first used with.
func replay(env api.Env, req api.Request) api.Response {
	res, err := env.DB().Exec("select id, fingerprint from payments where idempotency_key = $1", api.Text(req.Key))
	if err != nil || len(res.Rows) == 0 {
		return unavailable()
	}
	if res.Rows[0][1].Text != req.Fingerprint {
		return api.Response{Status: api.StatusUnprocessableEntity, Body: "this key was used for another payment"}
	}
	return paid(res.Rows[0][0].Int)
}

// paid is the answer for a payment that exists, first time or replayed.
func paid(id int64) api.Response {
	ref := "pay_" + strconv.FormatInt(id, 10)
	return api.Response{Status: api.StatusCreated, Resource: ref, Location: "/payments/" + ref}
}

// unavailable asks the client to try again: nothing was committed that it
// could not find at the retry.
func unavailable() api.Response {
	return api.Response{Status: api.StatusServiceUnavailable, RetryAfter: 100 * time.Millisecond, Body: "try again"}
}
