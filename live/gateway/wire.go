package gateway

import (
	"strconv"
	"strings"

	simgw "github.com/idemsim/idemsim/sim/gateway"
)

// The wire protocol, shared by Server and Client. A charge is
//
//	POST /v1/charges                      {"amount":…,"currency":…,"description":…,"customer":…}
//	                                      with the key, if any, in the Idempotency-Key header
//	GET  /v1/charges/{id}                 lookup by the gateway's id
//	GET  /v1/charges?idempotency_key=KEY  lookup by key (reconciliation)
//	POST /v1/refunds                      {"charge":ID}, as Stripe's
//
// A charge is answered with the status of sim/gateway's Kind.HTTPStatus
// and a chargeReply; a lookup with 200 and a lookupReply, or 404 when no
// charge matches; a refund with 200, or an errorReply with 404 or 409.
const (
	// HeaderTag carries the business operation a call works for ("" for
	// none): the gateway stores it with the charge for the audit and never
	// looks at it. A real processor has no such header.
	HeaderTag = "Idemsim-Tag"
	// HeaderRef carries the call's message reference (faults.Ref's text),
	// which the fault injector is asked about.
	HeaderRef = "Idemsim-Ref"
	// HeaderKey is the idempotency key, as Stripe reads it.
	HeaderKey = "Idempotency-Key"

	chargesPath = "/v1/charges"
	refundsPath = "/v1/refunds"
	keyParam    = "idempotency_key"
)

// chargeRequest is the body of a charge.
type chargeRequest struct {
	Amount      int64  `json:"amount"`
	Currency    string `json:"currency"`
	Description string `json:"description"`
	Customer    string `json:"customer"`
}

// refundRequest is the body of a refund.
type refundRequest struct {
	Charge string `json:"charge"`
}

// chargeReply is the body of a charge's answer: the charge it is about
// (the new or replayed one, or the earlier one a rejected request
// collided with) and the gateway's word for the outcome, sim/gateway's
// Kind names and "error" for a 500.
type chargeReply struct {
	ID      string `json:"id,omitempty"`
	Outcome string `json:"outcome"`
	Error   string `json:"error,omitempty"`
}

// outcomeError is the outcome of a 500, as the simulated world words it.
const outcomeError = "error"

// outcomeInvalid is the outcome of a request the gateway could not read.
const outcomeInvalid = "invalid-request"

// lookupReply is a lookup's answer.
type lookupReply struct {
	Found    bool   `json:"found"`
	ID       string `json:"id,omitempty"`
	State    string `json:"state,omitempty"`
	Refunded bool   `json:"refunded,omitempty"`
}

// errorReply is a failed refund's (or a broken request's) answer: Code
// names the error, Message is the sentence the simulated gateway gives.
type errorReply struct {
	Code    string `json:"error"`
	Message string `json:"message"`
}

// The refund errors on the wire, each with sim/gateway's sentinel, so that
// errors.Is works on the client's error as on the simulated one.
var refundErrors = []struct {
	code   string
	status int
	err    error
}{
	{"unknown-charge", 404, simgw.ErrUnknownCharge},
	{"not-charged", 409, simgw.ErrNotCharged},
	{"already-refunded", 409, simgw.ErrAlreadyRefunded},
}

// remoteError is an error the gateway answered with: the gateway's
// message, wrapping the sentinel its code names.
type remoteError struct {
	msg string
	err error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.err }

func chargeID(number int64) string { return "ch_" + strconv.FormatInt(number, 10) }

// parseID reads a charge id as sim/gateway does: "ch_N" with N >= 1 in
// its canonical form ("ch_01" and "ch_+1" are no charge's id).
func parseID(id string) (int64, bool) {
	digits, ok := strings.CutPrefix(id, "ch_")
	if !ok {
		return 0, false
	}
	number, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || number < 1 || chargeID(number) != id {
		return 0, false
	}
	return number, true
}
