package world

import (
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
)

// Attempt is one request a client sent and what came of it: a history entry
// for the oracle.
type Attempt struct {
	Client       string
	Op           api.OpID
	Key          string
	N            int // the attempt's number within the client's operation, from 1
	Kind         api.Kind
	Server       string // the server the balancer chose
	Call, Return sim.Time
	TimedOut     bool // no response: Status and Resource are unknown
	Interrupted  bool // the client crashed while waiting (TimedOut is set too)
	Status       int
	Resource     string // the resource the response named, "" if none
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
	Op         api.OpID
	Belief     Belief
	Status     int    // the status that decided it (0 for exhausted or unfinished)
	Resource   string // the resource that response named, if any
	Attempts   int
	Keys       []string // every key used, in order (several after a regenerating restart)
	Start, End sim.Time
}

// Row is one business effect in the ledger: a committed row in one of the
// strategy's ledger tables (or its committed deletion), or a charge at the
// gateway. The world attributes
// it to its operation; strategies can neither read nor forge that.
type Row struct {
	Source string // the ledger table, or "gateway"
	ID     string // the row's id in its table, or the gateway's charge id
	Op     api.OpID
	Amount int64 // cents, for a charge (0 for a row: its columns are the strategy's)
	At     sim.Time
	// Deleted: the row's committed removal (a DELETE's effect), attributed
	// to the operation that asked for it, not the row's insertion.
	Deleted bool
}

// SourceGateway is the Source of a gateway charge.
const SourceGateway = "gateway"

// ledger is what really happened.
type ledger struct {
	rows []Row
}

func (l *ledger) add(r Row) { l.rows = append(l.rows, r) }

// opTag is how an operation travels, hidden, with everything done on its
// behalf: database rows, gateway charges, queue messages.
func opTag(o api.OpID) int64 { return int64(uint32(o.Pack())) }

func tagOp(tag int64) api.OpID { return api.UnpackOpID(int32(uint32(tag))) }
