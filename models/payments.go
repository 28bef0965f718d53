package models

import (
	"strconv"

	"github.com/idemsim/idemsim/sim/api"
)

// The business table every strategy writes its effect to: one row per
// payment. The world counts its committed rows per operation; that count is
// the ground truth the oracle audits.
const (
	paymentsTable = "payments"
	paymentsDDL   = "create table payments (id bigserial primary key, idempotency_key text, amount bigint not null, currency text not null)"
)

// execer is what runs a statement: the database (autocommit) or an open
// transaction.
type execer interface {
	Exec(query string, args ...api.Value) (api.Result, error)
}

// insertPayment records the payment req asks for and returns its id
// ("pay_17").
func insertPayment(db execer, req api.Request) (string, error) {
	res, err := db.Exec("insert into payments (idempotency_key, amount, currency) values ($1, $2, $3) returning id",
		api.Text(req.Key), api.Int(req.Payload.Amount), api.Text(req.Payload.Currency))
	if err != nil {
		return "", err
	}
	return "pay_" + strconv.FormatInt(res.Rows[0][0].Int, 10), nil
}

// created is the answer to a payment that was made.
func created(id string) api.Response {
	return api.Response{Status: api.StatusCreated, Resource: id, Location: "/payments/" + id}
}

// failed is the answer to a request the server could not complete.
func failed() api.Response { return api.Response{Status: api.StatusInternalServerError} }
