package world

import (
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
)

// OpID names one business operation ("create payment for order 7 of queue
// 3"); the ledger counts effects per OpID, not per key, because a client that
// lost its key and sent a new one still asked for the same payment.
type OpID = faults.OpID

// RowID names one ledger row (one payment).
type RowID int64

// Contract is the response contract a strategy promises its clients; the
// oracle checks histories against it.
type Contract string

// The contracts of the thread.
const (
	ContractNone    Contract = "none"             // every request performs the operation
	ContractReplay  Contract = "replay"           // a repeated key gets the first response again
	Contract409     Contract = "409-on-duplicate" // a repeated key gets 409 once the first is done
	ContractPoll202 Contract = "202-then-poll"    // 202 at once, the outcome by polling
)

// RequestKind says what a request asks for.
type RequestKind uint8

// The kinds of request.
const (
	Create RequestKind = iota // perform the business operation
	Poll                      // report the outcome of the operation with this key
)

func (k RequestKind) String() string {
	if k == Poll {
		return "poll"
	}
	return "create"
}

// Request is one attempt as the server sees it: POST /payments with an
// Idempotency-Key, or a status poll.
type Request struct {
	Kind   RequestKind
	Key    string
	Op     OpID
	Amount int64 // cents
	Client string
	keyID  int // the world's key table entry, for the trace
}

// Response is what a strategy answers.
type Response struct {
	Status int
	Row    RowID // the payment the response speaks of, 0 if none
}

// HTTP statuses the strategies and clients use.
const (
	StatusOK                  = 200
	StatusCreated             = 201
	StatusAccepted            = 202
	StatusBadRequest          = 400
	StatusNotFound            = 404
	StatusConflict            = 409
	StatusPreconditionFailed  = 412
	StatusUnprocessableEntity = 422
	StatusLocked              = 423
	StatusTooManyRequests     = 429
	StatusInternalServerError = 500
	StatusBadGateway          = 502
	StatusServiceUnavailable  = 503
)

// Ledger is the minimal atomic store strategies write effects to until the
// database lands; the database replaces it behind the same Env.
type Ledger interface {
	// Charge records one effect of op — a payment row — atomically and
	// returns its id.
	Charge(op OpID, amount int64, key string) RowID
}

// Env is what a handler may use: virtual time, the shared store, and the
// name of the server it runs on. Its process memory is whatever the
// strategy's Boot closure holds; a crash loses it.
type Env interface {
	Now() sim.Time
	Sleep(d sim.Duration)
	Server() string
	Ledger() Ledger
}

// Handler turns one request into one response.
type Handler func(env Env, req Request) Response

// Strategy is one way to treat an idempotency key: a rule, the position of
// the thread it implements, the contract it promises, and Boot, which builds
// a server's process memory and handler at every start and restart.
type Strategy struct {
	Name     string
	Rule     string // the rule in one sentence
	Position string // the thread's words it implements, verbatim
	Contract Contract
	Boot     func() Handler
}
