package models

import (
	"errors"
	"strconv"
	"time"

	"github.com/idemsim/idemsim/sim/api"
)

// The business operation every strategy performs once per key: with
// --work charge, charge the card at the gateway (a foreign effect no
// transaction can take back), then record the payment row; with --work
// local, only record the row. The world counts both in the ledger, each
// per operation.

// The business table: one row per payment.
const (
	paymentsTable = "payments"
	paymentsDDL   = "create table payments (id bigserial primary key, idempotency_key text, amount bigint not null, currency text not null, charge_id text)"
)

// execer is what runs a statement: the database (autocommit) or an open
// transaction.
type execer interface {
	Exec(query string, args ...api.Value) (api.Result, error)
}

// Crash points the business operation names: a server can crash right
// after the charge went through, before anything recorded it.
const pointAfterCharge = "after-charge"

// pay performs the operation req asks for, recording the payment through x
// (a transaction, or the database itself for autocommit). It returns the
// response the client is owed; err is a database error from recording the
// row (the charge, if any, has gone through then). A response that is not
// 201 with a nil error is the gateway's: declined (402), a duplicate it
// rejected (409), or an outcome nobody knows (502, 504: the card may have
// been charged).
func pay(env api.Env, x execer, req api.Request, st api.Settings) (api.Response, error) {
	charge := ""
	if st.Charge {
		var resp api.Response
		if charge, resp = chargeCard(env, req, st.Forward); charge == "" {
			return resp, nil
		}
		env.Crash(pointAfterCharge)
	}
	id, err := insertPayment(x, req, charge)
	if err != nil {
		return api.Response{}, err
	}
	return created(id), nil
}

// chargeCard asks the gateway for the payment, forwarding the key if
// forward; it returns the charge's id, or "" and the response that says
// why there is none.
func chargeCard(env api.Env, req api.Request, forward bool) (string, api.Response) {
	cr := api.ChargeRequest{Amount: req.Payload.Amount, Currency: req.Payload.Currency, Description: req.Payload.Description, Customer: req.Client}
	if forward {
		cr.IdempotencyKey = req.Key
	}
	res, err := env.Gateway().Charge(cr)
	switch {
	case errors.Is(err, api.ErrTimeout):
		return "", api.Response{Status: api.StatusGatewayTimeout, Body: "the gateway did not answer: the charge may have gone through"}
	case err != nil:
		return "", api.Response{Status: api.StatusBadGateway, Body: "the gateway could not be reached: " + err.Error()}
	case res.Status == api.StatusCreated || res.Status == api.StatusOK:
		return res.ChargeID, api.Response{}
	case res.Status == api.StatusPaymentRequired:
		return "", api.Response{Status: api.StatusPaymentRequired, Body: "declined"}
	case res.Status == api.StatusConflict:
		// The gateway is still charging this key: an earlier attempt of
		// ours is in flight there.
		return "", api.Response{Status: api.StatusServiceUnavailable, RetryAfter: time.Second, Body: "the charge is in progress at the gateway"}
	case res.Status == api.StatusUnprocessableEntity:
		return "", api.Response{Status: api.StatusConflict, Body: "the gateway rejected the charge as a duplicate"}
	default:
		return "", api.Response{Status: api.StatusBadGateway, Body: "the gateway answered " + strconv.Itoa(res.Status) + " " + res.Outcome}
	}
}

// insertPayment records the payment and returns its id ("pay_17").
func insertPayment(x execer, req api.Request, charge string) (string, error) {
	var res api.Result
	var err error
	if charge == "" {
		res, err = x.Exec("insert into payments (idempotency_key, amount, currency) values ($1, $2, $3) returning id",
			api.Text(req.Key), api.Int(req.Payload.Amount), api.Text(req.Payload.Currency))
	} else {
		res, err = x.Exec("insert into payments (idempotency_key, amount, currency, charge_id) values ($1, $2, $3, $4) returning id",
			api.Text(req.Key), api.Int(req.Payload.Amount), api.Text(req.Payload.Currency), api.Text(charge))
	}
	if err != nil {
		return "", err
	}
	return "pay_" + strconv.FormatInt(res.Rows[0][0].Int, 10), nil
}

// keep reports whether a response is stored for replay: a success or a
// definitive refusal always; a server error (5xx) only with failures=store.
func keep(resp api.Response, st api.Settings) bool {
	return resp.Status < 500 || st.StoreFailures
}

// created is the answer to a payment that was made.
func created(id string) api.Response {
	return api.Response{Status: api.StatusCreated, Resource: id, Location: "/payments/" + id}
}

// failed is the answer to a request the server could not complete.
func failed() api.Response { return api.Response{Status: api.StatusInternalServerError} }
