package world

import (
	"strconv"

	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/network"
)

// EventKind says what one line of a run's timeline is about.
type EventKind uint8

// The kinds of event. The first group are the network's: a message between
// two nodes and what became of it, and the partitions. The rest are the
// world's own lines.
const (
	EventSent         EventKind = iota + 1 // a message leaves From for To; Duration is its latency
	EventDelivered                         // a message reaches To
	EventDropped                           // a message is lost as it leaves From
	EventDuplicated                        // the network sends a copy of a message; Duration: when the copy arrives, from now
	EventReset                             // a response is never sent: the connection reset after processing
	EventCut                               // a partition cuts a message, as it leaves or as it arrives
	EventLate                              // a response arrives after its caller stopped waiting
	EventBroken                            // a service call's caller learns its connection broke (a message was lost)
	EventPartition                         // a partition begins
	EventHeal                              // a partition heals
	EventAttempt                           // a client sends an attempt through the balancer to To
	EventResponse                          // a client reads a response (Status) and decides what to do
	EventTimeout                           // a client stops waiting for an attempt
	EventBackoff                           // a client waits Duration before its next attempt
	EventConclude                          // a client stops working on an operation (Status: the deciding status)
	EventHandle                            // a server starts on a request from From
	EventAnswer                            // a server answers Status to To
	EventUnavailable                       // a server is down: the balancer answers 502 to To
	EventLedgerRow                         // a ledger table's row commits (Source, Row)
	EventLedgerDelete                      // a ledger table's row's deletion commits (Source, Row)
	EventCharge                            // the gateway moves money for the operation (Source "gateway", Row the charge)
	EventRefund                            // the gateway refunds a charge (Source "gateway", Row the charge)
	EventCrash                             // a node crashes for Duration
	EventRestart                           // a node comes back
	EventCrashPoint                        // a server reaches a named step and crashes there
	EventPause                             // a process freezes for Duration
	EventThaw                              // a paused process runs again
	EventSQL                               // the database ran a statement sent by From
	EventDBFault                           // a database fault hit a call from From
	EventPoolWait                          // a server's handler waits for a database connection
	EventKV                                // the store ran a command sent by From
	EventFailover                          // the store failed over to its replica, which lagged Duration
	EventGatewayFault                      // a gateway fault hit its answer to To
	EventGateway                           // the gateway received a call from From
	EventQueue                             // the queue stored, handed out or deleted a message
)

var eventKindNames = [...]string{
	EventSent: "sent", EventDelivered: "delivered", EventDropped: "dropped", EventDuplicated: "duplicated",
	EventReset: "reset", EventCut: "cut", EventLate: "late", EventBroken: "broken",
	EventPartition: "partition", EventHeal: "heal",
	EventAttempt: "attempt", EventResponse: "response", EventTimeout: "timeout", EventBackoff: "backoff",
	EventConclude: "conclude", EventHandle: "handle", EventAnswer: "answer", EventUnavailable: "unavailable",
	EventLedgerRow: "ledger-row", EventLedgerDelete: "ledger-delete", EventCharge: "charge", EventRefund: "refund",
	EventCrash: "crash", EventRestart: "restart", EventCrashPoint: "crash-point", EventPause: "pause", EventThaw: "thaw",
	EventSQL: "sql", EventDBFault: "db-fault", EventPoolWait: "pool-wait", EventKV: "kv", EventFailover: "failover",
	EventGatewayFault: "gateway-fault", EventGateway: "gateway", EventQueue: "queue",
}

func (k EventKind) String() string {
	if int(k) < len(eventKindNames) && eventKindNames[k] != "" {
		return eventKindNames[k]
	}
	return "event(" + strconv.Itoa(int(k)) + ")"
}

// Message reports whether k is the fate of one message on the network.
func (k EventKind) Message() bool { return k >= EventSent && k <= EventBroken }

// Event is one line of a kept trace in a form a picture can be drawn from.
// Events are made from the same records, in the same order and with the
// same filter, as the lines WriteTrace prints, so Text is exactly a line of
// that text without its time.
type Event struct {
	At   sim.Time
	Kind EventKind
	// Node is the node the line is about (its first name: the sender of a
	// message, the service that ran a command); "" for a partition.
	Node string
	// From and To are set when the event carries something from one node
	// to another: a message, an attempt, a statement or command sent by a
	// server, a queue message handed to a server, an answer.
	From, To string
	Op       api.OpID // zero for whole-node events and a background worker's calls
	Attempt  int32
	// Message names a message (its reference and direction, like
	// "c1/o1.1/a1 response") for the message kinds: a message's departure
	// and its arrival share it. A duplication names the copy it sends.
	Message  string
	Response bool // the message is a response
	// Duration: a message's latency, the delay of a duplicate's copy, a
	// crash's downtime, a pause, a backoff, a failed-over replica's lag.
	Duration sim.Duration
	Status   int    // the HTTP status read, answered or concluded on
	Source   string // a ledger effect's table, or "gateway"
	Row      string // a ledger effect's row id, or the gateway's charge id
	Label    string // a few words for a picture: "create o1.1/a1", "201", "insert payments → 1 row"
	Text     string // the trace line without its time
}

// Nodes lists the run's nodes in the order a picture lays them out:
// clients, servers, then the database, the store, the gateway and the
// queue.
func (r *Result) Nodes() []string {
	var out []string
	for _, c := range r.w.clients {
		out = append(out, c.name)
	}
	for _, s := range r.w.servers {
		out = append(out, s.name)
	}
	for _, s := range api.Services() {
		out = append(out, s.String())
	}
	return out
}

// Events returns the run's timeline as events: one per line WriteTrace
// prints for op (nil: the whole run), in the same order. It needs
// Config.KeepTrace; without it there are none.
func (r *Result) Events(op *api.OpID) []Event {
	w := r.w
	l := labeller{w: w, requests: make(map[attemptKey]string), answers: make(map[attemptKey]int)}
	var out []Event
	var b []byte
	for _, rec := range w.trace.Records() {
		e := decode(rec)
		l.note(e)
		if !shown(e, op) {
			continue
		}
		ev := e.event(&l)
		ev.At = rec.At
		b = e.appendText(w, b[:0])
		ev.Text = string(b)
		out = append(out, ev)
	}
	return out
}

// attemptKey is one client's attempt at one operation.
type attemptKey struct {
	client  network.NodeID
	op      api.OpID
	attempt int32
}

// labeller turns typed events into events. A message names its message
// only by reference, so it remembers what each attempt asked for and what
// its server answered, to label the request and the response.
type labeller struct {
	w        *World
	requests map[attemptKey]string // "create o1.1/a1"
	answers  map[attemptKey]int    // the status answered
}

func (l *labeller) note(e traceEvent) {
	switch e := e.(type) {
	case attemptSent:
		l.requests[attemptKey{e.Client, e.Op, e.Attempt}] = e.label()
	case answered:
		l.answers[attemptKey{e.To, e.Op, e.Attempt}] = e.Status
	case unavailable:
		l.answers[attemptKey{e.To, e.Op, e.Attempt}] = api.StatusBadGateway
	}
}
