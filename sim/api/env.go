package api

import (
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/db/sql"
)

// Env is what a handler or a background worker may use. Its process memory
// is whatever the strategy's Boot closure holds: a crash loses it, and a
// restart calls Boot again. Every call on a service is a message over the
// simulated network: it takes time, it can fail, and it parks the caller
// like any other blocking call.
type Env interface {
	// Now is this server's clock, which may be skewed or drift: a lease
	// or TTL checked against it can be wrong.
	Now() sim.Time
	// Sleep parks the caller for d of virtual time.
	Sleep(d sim.Duration)
	// Server is the name of the server the code runs on ("s2").
	Server() string
	// Crash marks a named step of the strategy ("after-charge"). It does
	// nothing unless the fault plan arms that point for this server; then
	// the server crashes right here, the caller never returns, and the
	// server restarts after its downtime.
	Crash(point string)
	DB() DB
	// Replica is the database's read replica: it runs single SELECTs
	// without a locking clause (anything else fails with 25006), on the
	// committed state as of the run's replica lag ago (--db-replica-lag;
	// none by default: it is then current). Begin fails.
	Replica() DB
	KV() KV
	Gateway() Gateway
	Queue() Queue
}

// Handler turns one request into one response.
type Handler func(env Env, req Request) Response

// Worker is a background actor of a server process (a queue consumer, a
// reaper, a completer). Run is started at boot and killed by a crash.
type Worker struct {
	Name string // unique within the strategy; names its calls in fault lines
	Run  func(env Env)
}

// Server is what Boot returns: the process's handlers, one per kind of
// request (a nil handler answers 404), and its background workers.
type Server struct {
	Create, Poll, Delete Handler
	Workers              []Worker
}

// Handler is the handler for a request of kind k; nil when the server
// has none (it answers 404).
func (s Server) Handler(k Kind) Handler {
	switch k {
	case Create:
		return s.Create
	case Poll:
		return s.Poll
	case Delete:
		return s.Delete
	}
	return nil
}

// Contract is the response contract a strategy promises its clients; the
// oracle checks histories against it.
type Contract string

// The contracts of the thread.
const (
	ContractNone    Contract = "none"             // every request performs the operation
	ContractReplay  Contract = "replay"           // a repeated key gets the first response again
	Contract409     Contract = "409-on-duplicate" // a repeated key gets 409 once the first is done
	ContractPoll202 Contract = "202-then-poll"    // 202 at once, the outcome by polling
	Contract412     Contract = "412-optimistic"   // a stale If-Match gets 412
	ContractChosen  Contract = "client-chosen-id" // the resource id is the key
)

// Contracts lists the contracts.
func Contracts() []Contract {
	return []Contract{ContractNone, ContractReplay, Contract409, ContractPoll202, Contract412, ContractChosen}
}

// Switch names one of the policy switches the strategies of the catalogue
// share; a strategy declares the ones it accepts.
type Switch string

// The switches.
const (
	// SwitchRetention: keep keys for a window, then accept a late key as
	// new, or keep a tombstone and reject it.
	SwitchRetention Switch = "retention"
	// SwitchFailures: store and replay errors (5xx included), or store
	// only successes so that a failure can be retried.
	SwitchFailures Switch = "failures"
	// SwitchLease: none, or a duration after which an in-progress claim
	// may be taken over.
	SwitchLease Switch = "lease"
	// SwitchDownstream: the gateway's mode, and whether the key is
	// forwarded to it.
	SwitchDownstream Switch = "downstream"
)

// AllLevels are every level the database runs, in the order they print.
func AllLevels() []Level {
	var out []Level
	for _, name := range sql.LevelNames() {
		l, _ := sql.ParseLevel(name)
		out = append(out, l)
	}
	return out
}

// Settings are the run's parameters a strategy may read at Boot.
type Settings struct {
	// Isolation is the level DB().Begin(DefaultLevel) uses: the run's
	// --isolation.
	Isolation Level
	// Charge: the business operation charges the card at the gateway
	// before it records the payment (the run's --work charge), so it has
	// a foreign effect that no database transaction can roll back.
	Charge bool
	// Switches are the strategy's defaults with the run's --switch
	// overrides applied.
	Switches
}

// Strategy is one way to treat an idempotency key.
type Strategy struct {
	Name string
	// Rule is the strategy in one sentence.
	Rule string
	// Position is the thread's position it implements, in our own words,
	// saying where it comes from (see DEVELOPERS.md).
	Position string
	Contract Contract
	// Switches are the policy switches the strategy accepts, and Defaults
	// their values when a run does not set them.
	Switches []Switch
	Defaults Switches
	// Levels are the isolation levels the strategy can run at, each worth
	// trying (its verdict may differ between them); nil: the level does
	// not matter to it (it runs no transaction of more than one
	// statement), and any is accepted.
	Levels []Level
	// Schema is DDL run once per run on the database, before any server
	// starts: the database is durable across server restarts, process
	// memory is not.
	Schema []string
	// Ledger names the tables whose committed inserts are business effects
	// (a payment row), and whose committed deletes are a delete's effect:
	// the oracle counts them per operation.
	Ledger []string
	// CrashPoints are the steps the strategy names with Env.Crash, so that
	// --crash-at can arm them.
	CrashPoints []string
	// AlwaysCharges: the strategy charges the gateway whatever the run's
	// work (Settings.Charge): the charge is its subject.
	AlwaysCharges bool
	// Boot builds a server process at every start and restart.
	Boot func(Settings) Server
}

// Deletes reports whether the strategy's servers answer a DELETE: a boot
// on its defaults has a delete handler.
func (s Strategy) Deletes() bool {
	return s.Boot != nil && s.Boot(Settings{Switches: s.Defaults}).Delete != nil
}
