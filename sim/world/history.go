package world

import (
	"github.com/idemsim/idemsim/sim"
)

// Attempt is one request a client sent and what came of it: a history entry
// for the oracle.
type Attempt struct {
	Client       string
	Op           OpID
	Key          string
	N            int // the attempt's number within the client's operation, from 1
	Kind         RequestKind
	Server       string // the server the balancer chose
	Call, Return sim.Time
	TimedOut     bool // no response: Status and Row are unknown
	Interrupted  bool // the client crashed while waiting (TimedOut is set too)
	Status       int
	Row          RowID
}

// Belief is what a client concluded about an operation when it stopped.
type Belief uint8

// The client's conclusions.
const (
	Unfinished Belief = iota // the run ended first
	BelievedDone
	BelievedFailed // a status the policy reads as "give up" (412, 422, ...)
	Exhausted      // the attempt budget ran out
)

var beliefNames = [...]string{"unfinished", "done", "failed", "exhausted"}

func (b Belief) String() string { return beliefNames[b] }

// Outcome is one client's whole story of one operation.
type Outcome struct {
	Client     string
	Op         OpID
	Belief     Belief
	Status     int // the status that decided it (0 for exhausted or unfinished)
	Attempts   int
	Keys       []string // every key used, in order (several after a regenerating restart)
	Start, End sim.Time
}

// Row is one effect in the ledger: a payment.
type Row struct {
	ID     RowID
	Op     OpID
	Amount int64
	Key    string
	Server string
	At     sim.Time
}

// ledger is the atomic store behind Ledger until the database lands.
type ledger struct {
	rows []Row
}

func (l *ledger) charge(op OpID, amount int64, key, server string, at sim.Time) RowID {
	id := RowID(len(l.rows) + 1)
	l.rows = append(l.rows, Row{ID: id, Op: op, Amount: amount, Key: key, Server: server, At: at})
	return id
}
