package api

import (
	"errors"

	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/db/sql"
)

// Value is one SQL value (NULL, an integer, a text, ...).
type Value = sql.Value

// Level is a transaction isolation level; its names are those of
// sql.ParseLevel, shared by `idemsim run --isolation` and `idemsim sql
// --level`.
type Level = sql.Level

// DefaultLevel asks Begin for the run's isolation level.
const DefaultLevel Level = 0

// The isolation levels.
const (
	ReadCommitted   = sql.ReadCommitted
	ReadUncommitted = sql.ReadUncommitted
	RepeatableRead  = sql.RepeatableRead
	Serializable    = sql.Serializable
	DirtyReads      = sql.DirtyReads
	Serializable2PL = sql.Serializable2PL
)

// Int, Text, Bool and Null build values.
func Int(n int64) Value   { return sql.IntValue(n) }
func Text(s string) Value { return sql.TextValue(s) }
func Bool(b bool) Value   { return sql.BoolValue(b) }
func Null() Value         { return Value{} }

// Interval is a duration as an interval parameter ("now() - locked_at > $2";
// as in PostgreSQL, "now() - $2" would type $2 as a timestamptz), to
// microseconds as PostgreSQL keeps it.
func Interval(d sim.Duration) Value { return sql.IntervalValue(0, d.Microseconds()) }

// DB is the SQL database, reached through this server's connection pool.
type DB interface {
	// Begin takes a connection from the pool (waiting for one if all are
	// busy) and starts a transaction at level (DefaultLevel: the run's).
	Begin(level Level) (Tx, error)
	// Exec runs one statement in its own transaction (autocommit).
	Exec(query string, args ...Value) (Result, error)
}

// Tx is an open transaction on one connection. A handler that returns with
// a transaction still open has it rolled back, as a pool resets a returned
// connection.
type Tx interface {
	Exec(query string, args ...Value) (Result, error)
	Commit() error
	Rollback() error
}

// Result is what a statement returned.
type Result struct {
	Cols     []string
	Rows     [][]Value
	Affected int // rows inserted, updated or deleted
}

// SQLState is the SQLSTATE of a database error ("23505", "40001"); for a
// connection failure on any service it is "08006"; "" for anything else.
func SQLState(err error) string {
	var e *sql.Error
	if errors.As(err, &e) {
		return e.Code
	}
	if errors.Is(err, ErrConnection) {
		return sql.CodeConnectionFailure
	}
	return ""
}

// SQLSTATE codes strategies test for.
const (
	CodeUniqueViolation      = sql.CodeUniqueViolation
	CodeSerializationFailure = sql.CodeSerializationFailure
	CodeDeadlockDetected     = sql.CodeDeadlockDetected
	CodeLockNotAvailable     = sql.CodeLockNotAvailable
	CodeQueryCanceled        = sql.CodeQueryCanceled
	CodeConnectionFailure    = sql.CodeConnectionFailure
)

// ErrConnection is a call whose request or response was lost, or whose
// service was down: the caller cannot know whether it took effect.
var ErrConnection = errors.New("connection failed")

// ErrTimeout is a call that got no answer within the caller's timeout: as
// with ErrConnection, it may have taken effect. errors.Is(ErrTimeout,
// ErrConnection) holds.
var ErrTimeout = &timeoutError{}

type timeoutError struct{}

func (*timeoutError) Error() string        { return "timed out waiting for the answer" }
func (*timeoutError) Is(target error) bool { return target == ErrConnection }

// KV is a Redis-like store.
type KV interface {
	Get(key string) (value string, ok bool, err error)
	// Set writes key; it reports false when NX or XX prevented the write.
	Set(key, value string, opt SetOptions) (bool, error)
	Del(keys ...string) (int, error)
	// Expire sets a TTL (PEXPIRE); ttl <= 0 deletes the key.
	Expire(key string, ttl sim.Duration) (bool, error)
	// TTL is the remaining time to live, or NoKey, or NoExpiry.
	TTL(key string) (sim.Duration, error)
	Incr(key string) (int64, error)
	// CompareAndDelete deletes key only if it holds value: the safe release
	// of a lock (a Lua GET-compare-DEL).
	CompareAndDelete(key, value string) (bool, error)
}

// SetOptions are SET's options.
type SetOptions struct {
	NX, XX  bool         // only if absent, only if present
	TTL     sim.Duration // PX: expire after TTL (0: never)
	KeepTTL bool         // KEEPTTL: keep the key's current TTL
}

// TTL's answers for a missing key and for a key without expiry, as Redis's
// -2 and -1.
const (
	NoKey    sim.Duration = -2
	NoExpiry sim.Duration = -1
)

// Errors of the store, as Redis words them.
var (
	ErrOOM        = errors.New("OOM command not allowed when used memory > 'maxmemory'.")
	ErrNotInteger = errors.New("ERR value is not an integer or out of range")
	ErrOverflow   = errors.New("ERR increment or decrement would overflow")
)

// Gateway is the payment processor, a third party across the network with
// its own ledger: the money really moved.
type Gateway interface {
	// Charge asks for a payment. An error (ErrTimeout, ErrConnection) means
	// the outcome is unknown: the charge may have gone through.
	Charge(req ChargeRequest) (ChargeResult, error)
	// LookupByKey finds the charge made with a forwarded idempotency key,
	// for reconciliation; LookupByID by the gateway's own id.
	LookupByKey(key string) (ChargeStatus, error)
	LookupByID(id string) (ChargeStatus, error)
	// Refund returns a charge's money.
	Refund(id string) error
}

// ChargeRequest is one charge.
type ChargeRequest struct {
	Amount      int64 // cents
	Currency    string
	Description string
	Customer    string
	// IdempotencyKey is forwarded to the gateway; "" forwards none.
	IdempotencyKey string
}

// ChargeResult is the gateway's answer.
type ChargeResult struct {
	Status   int    // 201 charged, 200 replayed, 409 in progress, 400 key reused with other parameters, 422 duplicate rejected, 402 declined, 500 error
	ChargeID string // the charge, when there is one
	Outcome  string // the gateway's word for it: charged, replayed, in-progress, key-mismatch, duplicate, declined, error
}

// ChargeStatus is what a lookup found.
type ChargeStatus struct {
	Found    bool
	ChargeID string
	State    string // processing, succeeded
	Refunded bool
}

// Queue is a durable broker with at-least-once delivery (SQS-like): a
// received message is invisible for the visibility timeout and delivered
// again unless acknowledged.
type Queue interface {
	Send(body string) (id string, err error)
	// Receive waits up to wait for a message (long poll); ok is false if
	// none came.
	Receive(wait sim.Duration) (msg Message, ok bool, err error)
	// Ack deletes a received message.
	Ack(receipt string) error
	// ChangeVisibility extends (or ends, with 0) a received message's
	// invisibility.
	ChangeVisibility(receipt string, timeout sim.Duration) error
}

// Message is a received message.
type Message struct {
	ID, Body, Receipt string
	Receives          int // how many times it was delivered, this one included
}
