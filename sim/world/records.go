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

// A trace record is built on the hot path as a typed event on the stack,
// then encoded: record() is each kind's one encoder, decode the one
// decoder of every kind. The text timeline (appendText) and the events a
// picture is drawn from (event) are rendered from the typed events only,
// so nothing reads a sim.Record's fields by position but these two.

// strID is a text the world interned for its records (World.intern).
type strID int32

// traceEvent is a decoded trace record.
type traceEvent interface {
	// record encodes the event; the caller sets its time.
	record() sim.Record
	// appendText appends the line of the timeline, without its time.
	appendText(w *World, b []byte) []byte
	// event is the line as a picture reads it, but for its time and text.
	event(l *labeller) Event
	// scope is the operation the event belongs to (zero for none, and for
	// a background worker's call), and whether it happens to a whole node
	// (or the network), so that every operation's timeline shows it.
	scope() (op api.OpID, whole bool)
}

// decode is the one decoder of trace records: the inverse of every typed
// event's record().
func decode(r sim.Record) traceEvent {
	if network.IsRecord(r.Kind) {
		if p, ok := network.DecodePartition(r); ok {
			return partitionEvent{p}
		}
		m, _ := network.DecodeMsg(r)
		return messageEvent{m}
	}
	node, peer := network.NodeID(r.A), network.NodeID(r.B)
	op, attempt := api.UnpackOpID(r.C), r.D
	call := serviceCall{Service: node, Caller: peer, Call: network.DecodeMsgID(r)}
	switch r.Kind {
	case TraceAttempt:
		return attemptSent{Client: node, Server: peer, request: request{Op: op, Attempt: attempt, Key: int(r.E), Kind: api.Kind(r.F)}}
	case TraceResponse:
		return responseRead{Client: node, Server: peer, Op: op, Attempt: attempt, Status: int(r.E), Action: Action(r.F)}
	case TraceTimeout:
		return timedOut{Client: node, Server: peer, Op: op, Attempt: attempt}
	case TraceBackoff:
		return backedOff{Client: node, Op: op, Wait: sim.Duration(r.E)}
	case TraceConclude:
		return concluded{Client: node, Op: op, Belief: Belief(r.E), Status: int(r.F)}
	case TraceHandle:
		return handled{Server: node, From: peer, request: request{Op: op, Attempt: attempt, Key: int(r.E), Kind: api.Kind(r.F)}}
	case TraceRespond:
		return answered{Server: node, To: peer, Op: op, Attempt: attempt, Status: int(r.E), Resource: strID(r.F)}
	case TraceLedgerRow, TraceLedgerDelete:
		return ledgerEffect{DB: node, Op: op, Table: strID(r.E), Row: r.F, Deleted: r.Kind == TraceLedgerDelete}
	case TraceUnavailable:
		return unavailable{Server: node, To: peer, Op: op, Attempt: attempt}
	case TraceCrash:
		return crashed{Node: node, Downtime: sim.Duration(r.E)}
	case TraceRestart:
		return restarted{Node: node, Resumes: op, Key: int(r.E)}
	case TraceSQL:
		e := sqlRan{serviceCall: call, Text: strID(r.F & 0xffffffff), Result: sqlResult((r.F >> 32) & 15), Count: r.F >> 36}
		if e.Result == sqlError {
			e.Code, e.Count = strID(e.Count), 0
		}
		return e
	case TraceDBFault:
		return dbFaulted{serviceCall: call, Fault: faults.Kind(r.F)}
	case TraceDBPoolWait:
		return poolWait{Server: node, Op: op, Attempt: attempt, Size: int(r.E)}
	case TraceCrashPoint:
		return crashPoint{Server: node, Op: op, Point: strID(r.E), Nth: int(r.F)}
	case TracePause:
		return paused{Node: node, For: sim.Duration(r.E)}
	case TraceThaw:
		return thawed{Node: node}
	case TraceKV:
		return kvRan{serviceCall: call, Op: kvOp(r.F & 0xff), Key: strID((r.F >> 8) & 0xffffffff), Result: kvOutcome(r.F >> 40)}
	case TraceFailover:
		return failedOver{Store: node, Lost: r.E, Lag: sim.Duration(r.F)}
	case TraceCharge, TraceRefund:
		return money{Gateway: node, Op: op, Charge: strID(r.E), Cents: r.F, Refund: r.Kind == TraceRefund}
	case TraceGatewayFault:
		return gatewayFaulted{Gateway: node, To: peer, Op: op, Attempt: attempt, Fault: faults.Kind(r.E)}
	case TraceGateway:
		return gatewayRan{serviceCall: call, Op: gwOp(r.F & 15), Kind: gateway.Kind((r.F >> 4) & 15), Status: int((r.F >> 8) & 0x3ff), Charge: strID(r.F >> 32)}
	case TraceQueue:
		return queued{Queue: node, Peer: peer, Op: op, Message: strID(r.E), Action: qOp(r.F)}
	}
	return unknownRecord(r)
}

// rec is the record most world kinds are encoded as: A the acting node, B
// its peer, C the operation, D the attempt.
func rec(kind uint16, a, b network.NodeID, op api.OpID, attempt int32, e, f int64) sim.Record {
	return sim.Record{Kind: kind, A: int32(a), B: int32(b), C: op.Pack(), D: attempt, E: e, F: f}
}

// serviceCall is what the record of a command a service ran carries
// first: the service (A), the node that sent the command (B), and the
// call's identity (C to E).
type serviceCall struct {
	Service, Caller network.NodeID
	Call            network.MsgID
}

func (c serviceCall) encode(kind uint16, f int64) sim.Record {
	r := c.Call.Record()
	r.Kind, r.A, r.B, r.F = kind, int32(c.Service), int32(c.Caller), f
	return r
}

// scope is the operation the caller serves: none for a worker's call.
func (c serviceCall) scope() (api.OpID, bool) { return c.Call.Op(), false }

// appendHead opens the line: "kv c1/o1.1/a1/kv2 from s1: ", with join
// between the call and its caller.
func (c serviceCall) appendHead(w *World, b []byte, join string) []byte {
	b = w.appendName(b, c.Service)
	b = append(b, w.net.Ref(c.Call).String()...)
	b = append(b, join...)
	b = append(b, w.net.Name(c.Caller)...)
	return append(b, ": "...)
}

// callTo names the call m to a service, sent by its source, for its record.
func (w *World) callTo(service network.NodeID, m *network.Msg) serviceCall {
	return serviceCall{Service: service, Caller: m.Src, Call: w.net.ID(m)}
}

// start is the event from the caller to the service, for the operation
// the caller serves.
func (c serviceCall) start(l *labeller, kind EventKind) Event {
	ev := l.on(kind, c.Service, c.Call.Op(), c.Call.Attempt())
	ev.From, ev.To = l.w.net.Name(c.Caller), ev.Node
	return ev
}

// appendName appends a node's name and a space: every world line opens so.
func (w *World) appendName(b []byte, id network.NodeID) []byte {
	b = append(b, w.net.Name(id)...)
	return append(b, ' ')
}

// on is the start of an event about one node and an attempt of an
// operation.
func (l *labeller) on(kind EventKind, node network.NodeID, op api.OpID, attempt int32) Event {
	return Event{Kind: kind, Node: l.w.net.Name(node), Op: op, Attempt: attempt}
}

// messageEvent is the fate of one message on the network.
type messageEvent struct{ network.MsgRecord }

func (e messageEvent) record() sim.Record { return e.Record() }

func (e messageEvent) appendText(w *World, b []byte) []byte { return w.net.AppendMsg(b, e.MsgRecord) }

func (e messageEvent) scope() (api.OpID, bool) { return e.ID.Op(), false }

// routine reports whether e is a service call's message sent or delivered
// as it should be: the statement or command line that follows tells the
// story, so the text leaves them out (the hash keeps them).
func (e messageEvent) routine() bool {
	return (e.Fate == network.TraceSend || e.Fate == network.TraceDeliver) && e.ID.Service() != api.NoService
}

func (e messageEvent) event(l *labeller) Event {
	w := l.w
	ref := w.net.Ref(e.ID)
	ev := Event{Kind: messageKinds[e.Fate], Node: w.net.Name(e.Src), Op: ref.Op, Attempt: ref.Attempt}
	ev.From, ev.To = ev.Node, w.net.Name(e.Dst)
	ev.Response = e.ID.Dir() == network.Response
	switch e.Fate {
	case network.TraceSend, network.TraceDuplicate:
		ev.Duration = e.Delay
	}
	if e.Fate == network.TraceDuplicate {
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
		if status, ok := l.answers[attemptKey{e.Dst, ref.Op, ref.Attempt}]; ok {
			ev.Label = strconv.Itoa(status)
		} else {
			ev.Label = "response " + string(appendOpAttempt(nil, ref.Op, ref.Attempt))
		}
	default:
		if req, ok := l.requests[attemptKey{e.Src, ref.Op, ref.Attempt}]; ok {
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
var messageKinds = [...]EventKind{
	network.TraceSend: EventSent, network.TraceDeliver: EventDelivered, network.TraceDrop: EventDropped,
	network.TraceDuplicate: EventDuplicated, network.TraceReset: EventReset, network.TraceCut: EventCut,
	network.TraceLate: EventLate, network.TraceBroken: EventBroken,
}

// partitionEvent is a partition beginning or healing.
type partitionEvent struct{ network.PartitionRecord }

func (e partitionEvent) record() sim.Record { return e.Record() }

func (e partitionEvent) appendText(w *World, b []byte) []byte {
	return w.net.AppendPartition(b, e.PartitionRecord)
}

func (e partitionEvent) scope() (api.OpID, bool) { return api.OpID{}, true }

func (e partitionEvent) event(l *labeller) Event {
	ev := Event{Kind: EventPartition, Label: string(e.appendText(l.w, nil))}
	if e.Heals {
		ev.Kind = EventHeal
	}
	return ev
}

// request is an attempt's request as the records of its sending and its
// handling carry it (C to F).
type request struct {
	Op      api.OpID
	Attempt int32
	Key     int // the idempotency key: its index in the world's key table
	Kind    api.Kind
}

func (q request) encode(kind uint16, node, peer network.NodeID) sim.Record {
	return rec(kind, node, peer, q.Op, q.Attempt, int64(q.Key), int64(q.Kind))
}

func (q request) scope() (api.OpID, bool) { return q.Op, false }

// label is the words for the request: "create o1.1/a1".
func (q request) label() string {
	return q.Kind.String() + " " + string(appendOpAttempt(nil, q.Op, q.Attempt))
}

// appendText renders "create o3.7/a2 key=k-...".
func (q request) appendText(w *World, b []byte) []byte {
	b = append(b, q.Kind.String()...)
	b = append(b, ' ')
	b = appendOpAttempt(b, q.Op, q.Attempt)
	b = append(b, " key="...)
	return append(b, w.keys[q.Key]...)
}

// attemptSent: a client sends an attempt through the balancer, which
// routes it to Server.
type attemptSent struct {
	Client, Server network.NodeID
	request
}

func (e attemptSent) record() sim.Record { return e.encode(TraceAttempt, e.Client, e.Server) }

func (e attemptSent) appendText(w *World, b []byte) []byte {
	b = e.request.appendText(w, w.appendName(b, e.Client))
	b = append(b, " via balancer to "...)
	return append(b, w.net.Name(e.Server)...)
}

func (e attemptSent) event(l *labeller) Event {
	ev := l.on(EventAttempt, e.Client, e.Op, e.Attempt)
	ev.From, ev.To, ev.Label = ev.Node, l.w.net.Name(e.Server), e.label()
	return ev
}

// responseRead: a client reads the response to an attempt and decides.
type responseRead struct {
	Client, Server network.NodeID
	Op             api.OpID
	Attempt        int32
	Status         int
	Action         Action
}

func (e responseRead) record() sim.Record {
	return rec(TraceResponse, e.Client, e.Server, e.Op, e.Attempt, int64(e.Status), int64(e.Action))
}

func (e responseRead) appendText(w *World, b []byte) []byte {
	b = w.appendName(b, e.Client)
	b = append(b, "got "...)
	b = strconv.AppendInt(b, int64(e.Status), 10)
	b = append(b, " for "...)
	b = appendOpAttempt(b, e.Op, e.Attempt)
	b = append(b, " -> "...)
	return append(b, e.Action.String()...)
}

func (e responseRead) scope() (api.OpID, bool) { return e.Op, false }

func (e responseRead) event(l *labeller) Event {
	ev := l.on(EventResponse, e.Client, e.Op, e.Attempt)
	ev.Status = e.Status
	ev.Label = strconv.Itoa(e.Status) + " → " + e.Action.String()
	return ev
}

// timedOut: a client stops waiting for an attempt.
type timedOut struct {
	Client, Server network.NodeID
	Op             api.OpID
	Attempt        int32
}

func (e timedOut) record() sim.Record {
	return rec(TraceTimeout, e.Client, e.Server, e.Op, e.Attempt, 0, 0)
}

func (e timedOut) appendText(w *World, b []byte) []byte {
	b = w.appendName(b, e.Client)
	b = append(b, "timeout on "...)
	return appendOpAttempt(b, e.Op, e.Attempt)
}

func (e timedOut) scope() (api.OpID, bool) { return e.Op, false }

func (e timedOut) event(l *labeller) Event {
	ev := l.on(EventTimeout, e.Client, e.Op, e.Attempt)
	ev.Label = "timeout " + string(appendOpAttempt(nil, e.Op, e.Attempt))
	return ev
}

// backedOff: a client waits before its next attempt at an operation.
type backedOff struct {
	Client network.NodeID
	Op     api.OpID
	Wait   sim.Duration
}

func (e backedOff) record() sim.Record {
	return rec(TraceBackoff, e.Client, 0, e.Op, 0, int64(e.Wait), 0)
}

func (e backedOff) appendText(w *World, b []byte) []byte {
	b = w.appendName(b, e.Client)
	b = append(b, "waits "...)
	b = append(b, e.Wait.String()...)
	b = append(b, " before retrying "...)
	return append(b, e.Op.String()...)
}

func (e backedOff) scope() (api.OpID, bool) { return e.Op, false }

func (e backedOff) event(l *labeller) Event {
	ev := l.on(EventBackoff, e.Client, e.Op, 0)
	ev.Duration, ev.Label = e.Wait, "waits "+e.Wait.String()
	return ev
}

// concluded: a client stops working on an operation, believing Belief;
// Status is the status that decided it (0 for none).
type concluded struct {
	Client network.NodeID
	Op     api.OpID
	Belief Belief
	Status int
}

func (e concluded) record() sim.Record {
	return rec(TraceConclude, e.Client, 0, e.Op, 0, int64(e.Belief), int64(e.Status))
}

// words is "concludes o1.1: done (201)".
func (e concluded) words(b []byte) []byte {
	b = append(b, "concludes "...)
	b = append(b, e.Op.String()...)
	b = append(b, ": "...)
	b = append(b, e.Belief.String()...)
	if e.Status != 0 {
		b = append(b, " ("...)
		b = strconv.AppendInt(b, int64(e.Status), 10)
		b = append(b, ')')
	}
	return b
}

func (e concluded) appendText(w *World, b []byte) []byte {
	return e.words(w.appendName(b, e.Client))
}

func (e concluded) scope() (api.OpID, bool) { return e.Op, false }

func (e concluded) event(l *labeller) Event {
	ev := l.on(EventConclude, e.Client, e.Op, 0)
	ev.Status, ev.Label = e.Status, string(e.words(nil))
	return ev
}

// handled: a server starts on a request that came From a client.
type handled struct {
	Server, From network.NodeID
	request
}

func (e handled) record() sim.Record { return e.encode(TraceHandle, e.Server, e.From) }

func (e handled) appendText(w *World, b []byte) []byte {
	b = append(w.appendName(b, e.Server), "handles "...)
	b = e.request.appendText(w, b)
	b = append(b, " from "...)
	return append(b, w.net.Name(e.From)...)
}

func (e handled) event(l *labeller) Event {
	ev := l.on(EventHandle, e.Server, e.Op, e.Attempt)
	ev.From, ev.To = l.w.net.Name(e.From), ev.Node
	ev.Label = "handles " + e.label()
	return ev
}

// answered: a server answers a request; Resource is the location it names.
type answered struct {
	Server, To network.NodeID
	Op         api.OpID
	Attempt    int32
	Status     int
	Resource   strID
}

func (e answered) record() sim.Record {
	return rec(TraceRespond, e.Server, e.To, e.Op, e.Attempt, int64(e.Status), int64(e.Resource))
}

func (e answered) appendText(w *World, b []byte) []byte {
	b = w.appendName(b, e.Server)
	b = append(b, "answers "...)
	b = strconv.AppendInt(b, int64(e.Status), 10)
	if res := w.strs[e.Resource]; res != "" {
		b = append(b, " resource="...)
		b = append(b, res...)
	}
	b = append(b, " to "...)
	b = append(b, w.net.Name(e.To)...)
	b = append(b, ' ')
	return appendOpAttempt(b, e.Op, e.Attempt)
}

func (e answered) scope() (api.OpID, bool) { return e.Op, false }

func (e answered) event(l *labeller) Event {
	ev := l.on(EventAnswer, e.Server, e.Op, e.Attempt)
	ev.From, ev.To, ev.Status = ev.Node, l.w.net.Name(e.To), e.Status
	ev.Label = "answers " + strconv.Itoa(e.Status)
	return ev
}

// unavailable: a server is down, and the balancer answers 502 for it.
type unavailable struct {
	Server, To network.NodeID
	Op         api.OpID
	Attempt    int32
}

func (e unavailable) record() sim.Record {
	return rec(TraceUnavailable, e.Server, e.To, e.Op, e.Attempt, 0, 0)
}

func (e unavailable) appendText(w *World, b []byte) []byte {
	b = w.appendName(b, e.Server)
	b = append(b, "is down: balancer answers 502 to "...)
	b = append(b, w.net.Name(e.To)...)
	b = append(b, ' ')
	return appendOpAttempt(b, e.Op, e.Attempt)
}

func (e unavailable) scope() (api.OpID, bool) { return e.Op, false }

func (e unavailable) event(l *labeller) Event {
	ev := l.on(EventUnavailable, e.Server, e.Op, e.Attempt)
	ev.From, ev.To, ev.Status = ev.Node, l.w.net.Name(e.To), api.StatusBadGateway
	ev.Label = "down: balancer answers 502"
	return ev
}

// ledgerEffect: a ledger table's row commits, or its deletion does.
type ledgerEffect struct {
	DB      network.NodeID
	Op      api.OpID
	Table   strID
	Row     int64
	Deleted bool
}

func (e ledgerEffect) record() sim.Record {
	kind := TraceLedgerRow
	if e.Deleted {
		kind = TraceLedgerDelete
	}
	return rec(kind, e.DB, 0, e.Op, 0, int64(e.Table), e.Row)
}

func (e ledgerEffect) appendText(w *World, b []byte) []byte {
	b = w.appendName(b, e.DB)
	b = append(b, "LEDGER "...)
	b = append(b, w.strs[e.Table]...)
	b = append(b, " row "...)
	b = strconv.AppendInt(b, e.Row, 10)
	if e.Deleted {
		b = append(b, " deleted for "...)
	} else {
		b = append(b, " commits for "...)
	}
	return append(b, e.Op.String()...)
}

func (e ledgerEffect) scope() (api.OpID, bool) { return e.Op, false }

func (e ledgerEffect) event(l *labeller) Event {
	ev := l.on(EventLedgerRow, e.DB, e.Op, 0)
	ev.Source, ev.Row = l.w.strs[e.Table], strconv.FormatInt(e.Row, 10)
	ev.Label = ev.Source + " row " + ev.Row + " for " + e.Op.String()
	if e.Deleted {
		ev.Kind = EventLedgerDelete
		ev.Label = ev.Source + " row " + ev.Row + " deleted for " + e.Op.String()
	}
	return ev
}

// money: the gateway's charge moves money for an operation, or a refund
// returns it.
type money struct {
	Gateway network.NodeID
	Op      api.OpID
	Charge  strID
	Cents   int64
	Refund  bool
}

func (e money) record() sim.Record {
	kind := TraceCharge
	if e.Refund {
		kind = TraceRefund
	}
	return rec(kind, e.Gateway, 0, e.Op, 0, int64(e.Charge), e.Cents)
}

func (e money) appendText(w *World, b []byte) []byte {
	b = w.appendName(b, e.Gateway)
	if e.Refund {
		b = append(b, "LEDGER refund of "...)
		b = append(b, w.strs[e.Charge]...)
		b = append(b, " returns "...)
	} else {
		b = append(b, "LEDGER charge "...)
		b = append(b, w.strs[e.Charge]...)
		b = append(b, " moves "...)
	}
	b = strconv.AppendInt(b, e.Cents, 10)
	if e.Refund {
		b = append(b, " cents of "...)
	} else {
		b = append(b, " cents for "...)
	}
	return append(b, e.Op.String()...)
}

func (e money) scope() (api.OpID, bool) { return e.Op, false }

func (e money) event(l *labeller) Event {
	ev := l.on(EventCharge, e.Gateway, e.Op, 0)
	ev.Source, ev.Row = SourceGateway, l.w.strs[e.Charge]
	ev.Label = "charge " + ev.Row + " for " + e.Op.String()
	if e.Refund {
		ev.Kind, ev.Label = EventRefund, "refund "+ev.Row+" of "+e.Op.String()
	}
	return ev
}

// crashed: a node crashes and stays down for Downtime.
type crashed struct {
	Node     network.NodeID
	Downtime sim.Duration
}

func (e crashed) record() sim.Record {
	return rec(TraceCrash, e.Node, 0, api.OpID{}, 0, int64(e.Downtime), 0)
}

func (e crashed) appendText(w *World, b []byte) []byte {
	b = w.appendName(b, e.Node)
	b = append(b, "CRASHES, down for "...)
	return append(b, e.Downtime.String()...)
}

func (e crashed) scope() (api.OpID, bool) { return api.OpID{}, true }

func (e crashed) event(l *labeller) Event {
	ev := l.on(EventCrash, e.Node, api.OpID{}, 0)
	ev.Duration, ev.Label = e.Downtime, "CRASH, down "+e.Downtime.String()
	return ev
}

// restarted: a node comes back; a client then Resumes its operation with
// its key (none for other nodes).
type restarted struct {
	Node    network.NodeID
	Resumes api.OpID
	Key     int // its key: an index in the world's key table
}

func (e restarted) record() sim.Record {
	return rec(TraceRestart, e.Node, 0, e.Resumes, 0, int64(e.Key), 0)
}

func (e restarted) appendText(w *World, b []byte) []byte {
	b = w.appendName(b, e.Node)
	b = append(b, "restarts"...)
	if !e.Resumes.IsZero() {
		b = append(b, ", resumes "...)
		b = append(b, e.Resumes.String()...)
		b = append(b, " with key="...)
		b = append(b, w.keys[e.Key]...)
	}
	return b
}

func (e restarted) scope() (api.OpID, bool) { return e.Resumes, true }

func (e restarted) event(l *labeller) Event {
	ev := l.on(EventRestart, e.Node, e.Resumes, 0)
	ev.Label = "restarts"
	if !e.Resumes.IsZero() {
		ev.Label += ", resumes " + e.Resumes.String()
	}
	return ev
}

// paused: a process freezes for a while, holding what it holds.
type paused struct {
	Node network.NodeID
	For  sim.Duration
}

func (e paused) record() sim.Record {
	return rec(TracePause, e.Node, 0, api.OpID{}, 0, int64(e.For), 0)
}

func (e paused) appendText(w *World, b []byte) []byte {
	b = w.appendName(b, e.Node)
	b = append(b, "PAUSES for "...)
	b = append(b, e.For.String()...)
	return append(b, ": its connections, locks and leases stay held"...)
}

func (e paused) scope() (api.OpID, bool) { return api.OpID{}, true }

func (e paused) event(l *labeller) Event {
	ev := l.on(EventPause, e.Node, api.OpID{}, 0)
	ev.Duration, ev.Label = e.For, "PAUSE for "+e.For.String()
	return ev
}

// thawed: a paused process runs again.
type thawed struct{ Node network.NodeID }

func (e thawed) record() sim.Record { return rec(TraceThaw, e.Node, 0, api.OpID{}, 0, 0, 0) }

func (e thawed) appendText(w *World, b []byte) []byte {
	return append(w.appendName(b, e.Node), "resumes after its pause"...)
}

func (e thawed) scope() (api.OpID, bool) { return api.OpID{}, true }

func (e thawed) event(l *labeller) Event {
	ev := l.on(EventThaw, e.Node, api.OpID{}, 0)
	ev.Label = "runs again"
	return ev
}

// crashPoint: a server reaches a named step for the Nth time, and crashes
// there, serving an operation.
type crashPoint struct {
	Server network.NodeID
	Op     api.OpID
	Point  strID
	Nth    int
}

func (e crashPoint) record() sim.Record {
	return rec(TraceCrashPoint, e.Server, 0, e.Op, 0, int64(e.Point), int64(e.Nth))
}

func (e crashPoint) appendText(w *World, b []byte) []byte {
	b = w.appendName(b, e.Server)
	b = append(b, "reaches crash point "...)
	b = append(b, w.strs[e.Point]...)
	b = append(b, " (time "...)
	b = strconv.AppendInt(b, int64(e.Nth), 10)
	b = append(b, ") serving "...)
	return append(b, e.Op.String()...)
}

func (e crashPoint) scope() (api.OpID, bool) { return e.Op, true }

func (e crashPoint) event(l *labeller) Event {
	ev := l.on(EventCrashPoint, e.Server, e.Op, 0)
	ev.Label = "crash point " + l.w.strs[e.Point]
	return ev
}

// poolWait: a server's handler waits for a database connection: all Size
// of its pool are busy.
type poolWait struct {
	Server  network.NodeID
	Op      api.OpID
	Attempt int32
	Size    int
}

func (e poolWait) record() sim.Record {
	return rec(TraceDBPoolWait, e.Server, 0, e.Op, e.Attempt, int64(e.Size), 0)
}

func (e poolWait) appendText(w *World, b []byte) []byte {
	b = w.appendName(b, e.Server)
	b = append(b, "waits for a database connection: all "...)
	b = strconv.AppendInt(b, int64(e.Size), 10)
	b = append(b, " of its pool are busy ("...)
	b = appendOpAttempt(b, e.Op, e.Attempt)
	return append(b, ')')
}

func (e poolWait) scope() (api.OpID, bool) { return e.Op, false }

func (e poolWait) event(l *labeller) Event {
	ev := l.on(EventPoolWait, e.Server, e.Op, e.Attempt)
	ev.Label = "waits for a connection"
	return ev
}

// sqlResult is the kind of result a statement had.
type sqlResult uint8

const (
	sqlOK         sqlResult = iota // no rows, no count
	sqlRows                        // Count rows
	sqlAffected                    // Count rows inserted, updated or deleted
	sqlError                       // failed with the SQLSTATE Code
	sqlRolledBack                  // a commit that rolled back
	sqlScalar                      // one row of one small integer, Count: worth printing
)

// sqlRan: the database ran a statement a server sent, with its result.
type sqlRan struct {
	serviceCall
	Text   strID
	Result sqlResult
	Count  int64
	Code   strID // the error's SQLSTATE, for sqlError
}

func (e sqlRan) record() sim.Record {
	count := e.Count
	if e.Result == sqlError {
		count = int64(e.Code)
	}
	return e.encode(TraceSQL, int64(e.Text)|int64(e.Result)<<32|count<<36)
}

// appendResult words the result after an arrow: " => ok", " => ok 1", " =>
// 3 rows", " => error 40001" in the timeline; a picture's label says less
// (nothing for a bare ok, no "ok" before a count) after a shorter arrow.
func (e sqlRan) appendResult(b []byte, strs []string, label bool) []byte {
	switch {
	case label && e.Result == sqlOK:
		return b
	case label:
		b = append(b, " → "...)
	default:
		b = append(b, " => "...)
	}
	switch e.Result {
	case sqlOK:
		b = append(b, "ok"...)
	case sqlRows:
		b = strconv.AppendInt(b, e.Count, 10)
		b = append(b, " rows"...)
	case sqlAffected:
		if !label {
			b = append(b, "ok "...)
		}
		b = strconv.AppendInt(b, e.Count, 10)
	case sqlError:
		b = append(b, "error "...)
		b = append(b, strs[e.Code]...)
	case sqlRolledBack:
		b = append(b, "rolled back"...)
	case sqlScalar:
		b = append(b, "1 row ("...)
		b = strconv.AppendInt(b, e.Count, 10)
		b = append(b, ')')
	}
	return b
}

func (e sqlRan) appendText(w *World, b []byte) []byte {
	b = e.appendHead(w, b, " on ")
	b = append(b, w.strs[e.Text]...)
	return e.appendResult(b, w.strs, false)
}

func (e sqlRan) event(l *labeller) Event {
	ev := e.start(l, EventSQL)
	ev.Label = string(e.appendResult([]byte(sqlVerb(l.w.strs[e.Text])), l.w.strs, true))
	return ev
}

// sqlVerb shortens a statement to its verb and table: "insert payments",
// "select keys".
func sqlVerb(text string) string {
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
	case "insert":
		table = after("into")
	case "delete", "select":
		table = after("from")
	case "update":
		if len(words) > 1 {
			table = words[1]
		}
	}
	if table != "" {
		return verb + " " + table
	}
	return verb
}

// dbFaulted: a database fault hit a call from a server.
type dbFaulted struct {
	serviceCall
	Fault faults.Kind
}

func (e dbFaulted) record() sim.Record {
	return e.encode(TraceDBFault, int64(e.Fault))
}

func (e dbFaulted) appendText(w *World, b []byte) []byte {
	b = w.appendName(b, e.Service)
	b = append(b, strings.ToUpper(e.Fault.String())...)
	b = append(b, " on "...)
	b = append(b, w.net.Ref(e.Call).String()...)
	b = append(b, " from "...)
	return append(b, w.net.Name(e.Caller)...)
}

func (e dbFaulted) event(l *labeller) Event {
	ev := e.start(l, EventDBFault)
	ev.Label = e.Fault.String()
	return ev
}

// kvOutcome is how a store command went.
type kvOutcome uint8

const (
	kvFailed kvOutcome = iota // an error
	kvNo                      // a miss, not set, nothing deleted...
	kvYes                     // a hit, OK, deleted...
)

// kvRan: the store ran a command on Key for a caller.
type kvRan struct {
	serviceCall
	Op     kvOp
	Key    strID
	Result kvOutcome
}

func (e kvRan) record() sim.Record {
	return e.encode(TraceKV, int64(e.Op)|int64(e.Key)<<8|int64(e.Result)<<40)
}

// words is "SET k => OK"; arrow joins the command to its result.
func (e kvRan) words(b []byte, strs []string, arrow string) []byte {
	b = append(b, kvOpNames[e.Op]...)
	b = append(b, ' ')
	b = append(b, strs[e.Key]...)
	b = append(b, arrow...)
	return append(b, e.resultWord()...)
}

// resultWord words the command's result.
func (e kvRan) resultWord() string {
	if e.Result == kvFailed {
		return "error"
	}
	yes := e.Result == kvYes
	switch e.Op {
	case kvGet:
		return map[bool]string{true: "hit", false: "miss"}[yes]
	case kvSet:
		return map[bool]string{true: "OK", false: "not set"}[yes]
	case kvDel:
		return map[bool]string{true: "deleted", false: "nothing to delete"}[yes]
	case kvCompareAndDelete:
		return map[bool]string{true: "released", false: "not released: another value"}[yes]
	case kvExpire:
		return map[bool]string{true: "1", false: "0"}[yes]
	}
	return "ok"
}

func (e kvRan) appendText(w *World, b []byte) []byte {
	return e.words(e.appendHead(w, b, " from "), w.strs, " => ")
}

func (e kvRan) event(l *labeller) Event {
	ev := e.start(l, EventKV)
	ev.Label = string(e.words(nil, l.w.strs, " → "))
	return ev
}

// failedOver: the store failed over to its replica, which lagged Lag and
// so lost Lost writes.
type failedOver struct {
	Store network.NodeID
	Lost  int64
	Lag   sim.Duration
}

func (e failedOver) record() sim.Record {
	return rec(TraceFailover, e.Store, 0, api.OpID{}, 0, e.Lost, int64(e.Lag))
}

func (e failedOver) appendText(w *World, b []byte) []byte {
	b = w.appendName(b, e.Store)
	b = append(b, "FAILS OVER to its replica (lag "...)
	b = append(b, e.Lag.String()...)
	b = append(b, "): "...)
	b = strconv.AppendInt(b, e.Lost, 10)
	return append(b, " writes lost"...)
}

func (e failedOver) scope() (api.OpID, bool) { return api.OpID{}, true }

func (e failedOver) event(l *labeller) Event {
	ev := l.on(EventFailover, e.Store, api.OpID{}, 0)
	ev.Duration = e.Lag
	ev.Label = "FAILS OVER: " + strconv.FormatInt(e.Lost, 10) + " writes lost"
	return ev
}

// gatewayFaulted: a gateway fault hit its answer to a charge, which went
// through.
type gatewayFaulted struct {
	Gateway, To network.NodeID
	Op          api.OpID
	Attempt     int32
	Fault       faults.Kind
}

func (e gatewayFaulted) record() sim.Record {
	return rec(TraceGatewayFault, e.Gateway, e.To, e.Op, e.Attempt, int64(e.Fault), 0)
}

func (e gatewayFaulted) appendText(w *World, b []byte) []byte {
	b = w.appendName(b, e.Gateway)
	b = append(b, strings.ToUpper(e.Fault.String())...)
	b = append(b, ": the charge went through; "...)
	if e.Fault == faults.GatewayTimeout {
		b = append(b, "no answer is sent to "...)
	} else {
		b = append(b, "500 is sent to "...)
	}
	b = append(b, w.net.Name(e.To)...)
	b = append(b, " for "...)
	return appendOpAttempt(b, e.Op, e.Attempt)
}

func (e gatewayFaulted) scope() (api.OpID, bool) { return e.Op, false }

func (e gatewayFaulted) event(l *labeller) Event {
	ev := l.on(EventGatewayFault, e.Gateway, e.Op, e.Attempt)
	ev.From, ev.To, ev.Label = ev.Node, l.w.net.Name(e.To), e.Fault.String()
	return ev
}

// gatewayRan: the gateway received a call and answered it (or, for a
// charge, started processing it: Kind 0).
type gatewayRan struct {
	serviceCall
	Op     gwOp
	Kind   gateway.Kind // the outcome, or a lookup's status
	Status int          // the HTTP status answered
	Charge strID
}

func (e gatewayRan) record() sim.Record {
	return e.encode(TraceGateway, int64(e.Op)|int64(e.Kind)<<4|int64(e.Status)<<8|int64(e.Charge)<<32)
}

// words words the call and what became of it: "charge => succeeded ch_1
// (201)"; arrow joins them.
func (e gatewayRan) words(b []byte, strs []string, arrow string) []byte {
	charge := strs[e.Charge]
	switch e.Op {
	case gwCharge:
		b = append(b, "charge"...)
		b = append(b, arrow...)
		if e.Kind == 0 {
			b = append(b, "processing as "...)
			return append(b, charge...)
		}
		b = append(b, e.Kind.String()...)
		if charge != "" {
			b = append(b, ' ')
			b = append(b, charge...)
		}
		b = append(b, " ("...)
		b = strconv.AppendInt(b, int64(e.Status), 10)
		return append(b, ')')
	case gwLookupKey, gwLookupID:
		b = append(b, "lookup"...)
		b = append(b, arrow...)
		if charge == "" {
			return append(b, "none"...)
		}
		b = append(b, gateway.Status(e.Kind).String()...)
		b = append(b, ' ')
		return append(b, charge...)
	}
	b = append(b, "refund "...)
	return append(b, charge...)
}

func (e gatewayRan) appendText(w *World, b []byte) []byte {
	return e.words(e.appendHead(w, b, " from "), w.strs, " => ")
}

func (e gatewayRan) event(l *labeller) Event {
	ev := e.start(l, EventGateway)
	ev.Label = string(e.words(nil, l.w.strs, " → "))
	return ev
}

// queued: the queue stored a message a node sent, handed one out to a
// node, or deleted one; Op is the operation the message serves, if any.
type queued struct {
	Queue, Peer network.NodeID
	Op          api.OpID
	Message     strID // the message's id or receipt
	Action      qOp
}

func (e queued) record() sim.Record {
	return rec(TraceQueue, e.Queue, e.Peer, e.Op, 0, int64(e.Message), int64(e.Action))
}

func (e queued) appendText(w *World, b []byte) []byte {
	b = w.appendName(b, e.Queue)
	switch e.Action {
	case qSend:
		b = append(b, "stores message "...)
	case qReceive:
		b = append(b, "delivers "...)
	case qAck:
		b = append(b, "deletes "...)
	}
	b = append(b, w.strs[e.Message]...)
	if e.Action == qReceive {
		b = append(b, " to "...)
	} else {
		b = append(b, " from "...)
	}
	b = append(b, w.net.Name(e.Peer)...)
	if !e.Op.IsZero() {
		b = append(b, " ("...)
		b = append(b, e.Op.String()...)
		b = append(b, ')')
	}
	return b
}

func (e queued) scope() (api.OpID, bool) { return e.Op, false }

func (e queued) event(l *labeller) Event {
	ev := l.on(EventQueue, e.Queue, e.Op, 0)
	peer, id := l.w.net.Name(e.Peer), l.w.strs[e.Message]
	switch e.Action {
	case qSend:
		ev.From, ev.To, ev.Label = peer, ev.Node, "send "+id
	case qReceive:
		ev.From, ev.To, ev.Label = ev.Node, peer, "deliver "+id
	case qAck:
		ev.From, ev.To, ev.Label = peer, ev.Node, "delete "+id
	}
	return ev
}

// unknownRecord is a record of a kind nobody defines: never made, but
// printed rather than dropped should a change forget a kind.
type unknownRecord sim.Record

func (e unknownRecord) record() sim.Record { return sim.Record(e) }

func (e unknownRecord) appendText(w *World, b []byte) []byte {
	b = w.appendName(b, network.NodeID(e.A))
	b = append(b, "record kind "...)
	return strconv.AppendInt(b, int64(e.Kind), 10)
}

func (e unknownRecord) scope() (api.OpID, bool) { return api.UnpackOpID(e.C), false }

func (e unknownRecord) event(l *labeller) Event {
	ev := l.on(0, network.NodeID(e.A), api.UnpackOpID(e.C), e.D)
	ev.Label = "record kind " + strconv.Itoa(int(e.Kind))
	return ev
}
