package world

import (
	"strconv"
	"strings"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/gateway"
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
		l.note(rec)
		if !w.shown(rec, op) {
			continue
		}
		ev := l.event(rec)
		b = w.appendText(b[:0], rec)
		ev.Text = string(b)
		out = append(out, ev)
	}
	return out
}

// attemptKey is one client's attempt at one operation.
type attemptKey struct {
	client, op, attempt int32
}

// labeller turns records into events. A message record names its message
// only by reference, so it remembers what each attempt asked for and what
// its server answered, to label the request and the response.
type labeller struct {
	w        *World
	requests map[attemptKey]string // "create o1.1/a1"
	answers  map[attemptKey]int    // the status answered
}

func (l *labeller) note(r sim.Record) {
	switch r.Kind {
	case TraceAttempt:
		l.requests[attemptKey{r.A, r.C, r.D}] = api.Kind(r.F).String() + " " + string(appendOpAttempt(nil, api.UnpackOpID(r.C), r.D))
	case TraceRespond:
		l.answers[attemptKey{r.B, r.C, r.D}] = int(r.E)
	case TraceUnavailable:
		l.answers[attemptKey{r.B, r.C, r.D}] = api.StatusBadGateway
	}
}

func (l *labeller) event(r sim.Record) Event {
	w := l.w
	name := func(id int32) string { return w.net.Name(network.NodeID(id)) }
	ev := Event{At: r.At, Op: api.UnpackOpID(r.C), Attempt: r.D}
	if r.Kind < 100 {
		return l.message(ev, r)
	}
	ev.Node = name(r.A)
	peer := name(r.B)
	switch r.Kind {
	case TraceAttempt:
		ev.Kind, ev.From, ev.To = EventAttempt, ev.Node, peer
		ev.Label = l.requests[attemptKey{r.A, r.C, r.D}]
	case TraceResponse:
		ev.Kind, ev.Status = EventResponse, int(r.E)
		ev.Label = strconv.FormatInt(r.E, 10) + " → " + Action(r.F).String()
	case TraceTimeout:
		ev.Kind = EventTimeout
		ev.Label = "timeout " + string(appendOpAttempt(nil, ev.Op, r.D))
	case TraceBackoff:
		ev.Kind, ev.Duration = EventBackoff, sim.Duration(r.E)
		ev.Label = "waits " + ev.Duration.String()
	case TraceConclude:
		ev.Kind, ev.Status = EventConclude, int(r.F)
		ev.Label = "concludes " + ev.Op.String() + ": " + Belief(r.E).String()
		if r.F != 0 {
			ev.Label += " (" + strconv.FormatInt(r.F, 10) + ")"
		}
	case TraceHandle:
		ev.Kind, ev.From, ev.To = EventHandle, peer, ev.Node
		ev.Label = "handles " + api.Kind(r.F).String() + " " + string(appendOpAttempt(nil, ev.Op, r.D))
	case TraceRespond:
		ev.Kind, ev.From, ev.To, ev.Status = EventAnswer, ev.Node, peer, int(r.E)
		ev.Label = "answers " + strconv.FormatInt(r.E, 10)
	case TraceUnavailable:
		ev.Kind, ev.From, ev.To, ev.Status = EventUnavailable, ev.Node, peer, api.StatusBadGateway
		ev.Label = "down: balancer answers 502"
	case TraceLedgerRow, TraceLedgerDelete:
		ev.Kind, ev.Source, ev.Row = EventLedgerRow, w.strs[r.E], strconv.FormatInt(r.F, 10)
		ev.Label = ev.Source + " row " + ev.Row + " for " + ev.Op.String()
		if r.Kind == TraceLedgerDelete {
			ev.Kind = EventLedgerDelete
			ev.Label = ev.Source + " row " + ev.Row + " deleted for " + ev.Op.String()
		}
	case TraceCharge:
		ev.Kind, ev.Source, ev.Row = EventCharge, SourceGateway, w.strs[r.E]
		ev.Label = "charge " + ev.Row + " for " + ev.Op.String()
	case TraceRefund:
		ev.Kind, ev.Source, ev.Row = EventRefund, SourceGateway, w.strs[r.E]
		ev.Label = "refund " + ev.Row + " of " + ev.Op.String()
	case TraceCrash:
		ev.Kind, ev.Duration = EventCrash, sim.Duration(r.E)
		ev.Label = "CRASH, down " + ev.Duration.String()
	case TraceRestart:
		ev.Kind, ev.Label = EventRestart, "restarts"
		if r.C != 0 {
			ev.Label += ", resumes " + ev.Op.String()
		}
	case TraceCrashPoint:
		ev.Kind = EventCrashPoint
		ev.Label = "crash point " + w.strs[r.E]
	case TracePause:
		ev.Kind, ev.Duration = EventPause, sim.Duration(r.E)
		ev.Label = "PAUSE for " + ev.Duration.String()
	case TraceThaw:
		ev.Kind, ev.Label = EventThaw, "runs again"
	case TraceSQL:
		l.call(&ev, r, EventSQL, peer)
		ev.Label = sqlLabel(w.strs[r.F&0xffffffff], r.F, w.strs)
	case TraceDBFault:
		l.call(&ev, r, EventDBFault, peer)
		ev.Label = faults.Kind(r.F).String()
	case TraceDBPoolWait:
		ev.Kind = EventPoolWait
		ev.Label = "waits for a connection"
	case TraceKV:
		l.call(&ev, r, EventKV, peer)
		op := kvOp(r.F & 0xff)
		ev.Label = kvOpNames[op] + " " + w.strs[(r.F>>8)&0xffffffff] + " → " + kvResult(op, r.F>>40)
	case TraceFailover:
		ev.Kind, ev.Duration = EventFailover, sim.Duration(r.F)
		ev.Label = "FAILS OVER: " + strconv.FormatInt(r.E, 10) + " writes lost"
	case TraceGatewayFault:
		ev.Kind, ev.From, ev.To = EventGatewayFault, ev.Node, peer
		ev.Label = faults.Kind(r.E).String()
	case TraceGateway:
		l.call(&ev, r, EventGateway, peer)
		call := appendGatewayCall(nil, gwOp(r.F&15), gateway.Kind((r.F>>4)&15), (r.F>>8)&0x3ff, w.strs[r.F>>32])
		ev.Label = strings.Replace(string(call), " => ", " → ", 1)
	case TraceQueue:
		ev.Kind = EventQueue
		id := w.strs[r.E]
		switch qOp(r.F) {
		case qSend:
			ev.From, ev.To, ev.Label = peer, ev.Node, "send "+id
		case qReceive:
			ev.From, ev.To, ev.Label = ev.Node, peer, "deliver "+id
		case qAck:
			ev.From, ev.To, ev.Label = peer, ev.Node, "delete "+id
		}
	default:
		ev.Label = "record kind " + strconv.Itoa(int(r.Kind))
	}
	return ev
}

// call fills in a service command: the server that sent it, the service
// that ran it, and the operation its caller serves (none for a worker).
func (l *labeller) call(ev *Event, r sim.Record, kind EventKind, caller string) {
	ref := l.w.net.UnpackRef(r.C, r.D, r.E)
	ev.Kind, ev.From, ev.To, ev.Op = kind, caller, ev.Node, ref.Op
}

// message fills in a network record: which message, between which nodes,
// and what it carries.
func (l *labeller) message(ev Event, r sim.Record) Event {
	w := l.w
	switch r.Kind {
	case network.TracePartitionStart, network.TracePartitionEnd:
		ev.Kind, ev.Op, ev.Attempt = EventPartition, api.OpID{}, 0
		if r.Kind == network.TracePartitionEnd {
			ev.Kind = EventHeal
		}
		b, _ := w.net.Render(nil, r)
		ev.Label = string(b)
		return ev
	}
	ev.Kind = messageKinds[r.Kind]
	ref := w.net.UnpackRef(r.C, r.D, r.E)
	ev.Node = w.net.Name(network.NodeID(r.A))
	ev.From, ev.To = ev.Node, w.net.Name(network.NodeID(r.B))
	ev.Op, ev.Attempt = ref.Op, ref.Attempt
	ev.Response = network.Dir(r.E&1) == network.Response
	switch r.Kind {
	case network.TraceSend, network.TraceDuplicate:
		ev.Duration = sim.Duration(r.F)
	}
	if r.Kind == network.TraceDuplicate {
		ref.Copy = true
	}
	dir := " request"
	if ev.Response {
		dir = " response"
	}
	ev.Message = ref.String() + dir
	switch {
	case ref.Service != api.NoService:
		ev.Label = ref.Service.String() + strconv.Itoa(int(ref.Call)) + dir
	case ev.Response:
		key := attemptKey{r.B, r.C, r.D}
		if status, ok := l.answers[key]; ok {
			ev.Label = strconv.Itoa(status)
		} else {
			ev.Label = "response " + string(appendOpAttempt(nil, ref.Op, ref.Attempt))
		}
	default:
		if req, ok := l.requests[attemptKey{r.A, r.C, r.D}]; ok {
			ev.Label = req
		} else {
			ev.Label = "request " + string(appendOpAttempt(nil, ref.Op, ref.Attempt))
		}
	}
	if ref.Copy {
		ev.Label += " (copy)"
	}
	return ev
}

// messageKinds are the event kinds of the network's message records.
var messageKinds = [network.TraceLastKind]EventKind{
	network.TraceSend: EventSent, network.TraceDeliver: EventDelivered, network.TraceDrop: EventDropped,
	network.TraceDuplicate: EventDuplicated, network.TraceReset: EventReset, network.TraceCut: EventCut,
	network.TraceLate: EventLate, network.TraceBroken: EventBroken,
}

// sqlLabel shortens a statement to its verb and table, and its result to a
// few words: "insert payments → 1 row (7)", "select keys → 0 rows".
func sqlLabel(text string, f int64, strs []string) string {
	words := strings.Fields(strings.ToLower(text))
	verb := ""
	if len(words) > 0 {
		verb = words[0]
	}
	after := func(w string) string {
		for i := 0; i+1 < len(words); i++ {
			if words[i] == w {
				return strings.TrimRight(words[i+1], "(,;")
			}
		}
		return ""
	}
	var table string
	switch verb {
	case "insert", "delete", "select":
		if verb == "insert" {
			table = after("into")
		} else {
			table = after("from")
		}
	case "update":
		if len(words) > 1 {
			table = words[1]
		}
	}
	s := verb
	if table != "" {
		s += " " + table
	}
	count := f >> 36
	switch (f >> 32) & 15 {
	case sqlOK:
		return s
	case sqlRows:
		return s + " → " + strconv.FormatInt(count, 10) + " rows"
	case sqlAffected:
		return s + " → " + strconv.FormatInt(count, 10)
	case sqlError:
		return s + " → error " + strs[count]
	case sqlRolledBack:
		return s + " → rolled back"
	case sqlScalar:
		return s + " → 1 row (" + strconv.FormatInt(count, 10) + ")"
	}
	return s
}
