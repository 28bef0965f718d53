package world

import (
	"bufio"
	"io"
	"strconv"
	"strings"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/gateway"
	"github.com/idemsim/idemsim/sim/network"
)

// Trace record kinds of the world (the network's are below 100). A is the
// acting node, B its peer, C the operation, D the attempt.
const (
	TraceAttempt      uint16 = 100 + iota // client sends; E key id, F request kind
	TraceResponse                         // client reads; E status, F action
	TraceTimeout                          // client gives up waiting
	TraceBackoff                          // client waits E before the next attempt
	TraceConclude                         // client stops; E belief, F status
	TraceHandle                           // server starts a request; E key id, F kind
	TraceRespond                          // server answers; E status, F resource (string id)
	TraceLedgerRow                        // a ledger table's row commits: E table (string id), F row id
	TraceUnavailable                      // balancer answers 502 for a down server
	TraceCrash                            // node A crashes for E
	TraceRestart                          // node A restarts; clients: E key id
	TraceSQL                              // the database ran a statement: C..E the call, F text|result
	TraceDBFault                          // a database fault hit a call: F the fault kind
	TraceDBPoolWait                       // server A's handler waits for a connection; E pool size
	TraceCrashPoint                       // server A reached point E (string id) for the F-th time, and crashes
	TracePause                            // node A freezes for E
	TraceThaw                             // node A runs again
	TraceKV                               // the store ran a command: C..E the call; F op | key<<8 | (result+1)<<40
	TraceFailover                         // the store failed over: E writes lost, F the replica's lag
	TraceCharge                           // the gateway's charge E (string id) moved F cents for the operation
	TraceRefund                           // the gateway refunded charge E (string id), F cents
	TraceGatewayFault                     // a gateway fault hit the answer to a charge: E the fault kind
	TraceQueue                            // the queue sent, delivered or deleted E (string id); F the op
	TraceGateway                          // the gateway received a call: C..E the call; F op | outcome<<4 | status<<8 | charge<<32
	TraceLedgerDelete                     // a ledger table's row is deleted, committed: E table (string id), F row id
)

// WriteTrace prints the run's trace, one line per event, virtual time first.
// With op set, only that operation's lines and the events that happen to
// whole nodes (crashes, pauses, partitions) are printed, and a service
// call's routine transport lines are left out. It needs Config.KeepTrace.
func (r *Result) WriteTrace(out io.Writer, op *api.OpID) error {
	bw := bufio.NewWriter(out)
	var b []byte
	w := r.w
	for _, rec := range w.trace.Records() {
		if !w.shown(rec, op) {
			continue
		}
		b = w.renderLine(b[:0], rec)
		b = append(b, '\n')
		if _, err := bw.Write(b); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// shown reports whether record r is a line of the timeline WriteTrace
// prints for op (nil: the whole run). Events keeps the same lines.
func (w *World) shown(r sim.Record, op *api.OpID) bool {
	return !w.routine(r) && (op == nil || w.concerns(r, *op))
}

// routine reports whether r is a service call's message sent or delivered
// as it should be: the statement or command line that follows tells the
// story, so the text leaves them out (the hash keeps them).
func (w *World) routine(r sim.Record) bool {
	return (r.Kind == network.TraceSend || r.Kind == network.TraceDeliver) && api.Service((r.E>>2)&7) != api.NoService
}

// concerns reports whether record r belongs in operation op's timeline.
func (w *World) concerns(r sim.Record, op api.OpID) bool {
	switch r.Kind {
	case TraceCrash, TraceRestart, TracePause, TraceThaw, TraceCrashPoint, TraceFailover,
		network.TracePartitionStart, network.TracePartitionEnd:
		return true
	}
	if r.Kind < 100 {
		return w.net.RecordOp(r) == op
	}
	if (r.Kind == TraceSQL || r.Kind == TraceDBFault || r.Kind == TraceKV || r.Kind == TraceGateway) && r.E&(1<<5) != 0 {
		return false // a worker's call
	}
	return r.C == op.Pack()
}

func (w *World) renderLine(b []byte, r sim.Record) []byte {
	t := r.At.AppendText(nil)
	for i := len(t); i < 12; i++ {
		b = append(b, ' ')
	}
	b = append(b, t...)
	b = append(b, "  "...)
	return w.appendText(b, r)
}

// appendText appends the text of record r, the line without its time.
func (w *World) appendText(b []byte, r sim.Record) []byte {
	if out, ok := w.net.Render(b, r); ok {
		return out
	}
	name := func(id int32) string { return w.net.Name(network.NodeID(id)) }
	op := api.UnpackOpID(r.C)
	b = append(b, name(r.A)...)
	b = append(b, ' ')
	switch r.Kind {
	case TraceAttempt:
		b = w.appendRequest(b, r, op)
		b = append(b, " via balancer to "...)
		b = append(b, name(r.B)...)
	case TraceResponse:
		b = append(b, "got "...)
		b = strconv.AppendInt(b, r.E, 10)
		b = append(b, " for "...)
		b = appendOpAttempt(b, op, r.D)
		b = append(b, " -> "...)
		b = append(b, Action(r.F).String()...)
	case TraceTimeout:
		b = append(b, "timeout on "...)
		b = appendOpAttempt(b, op, r.D)
	case TraceBackoff:
		b = append(b, "waits "...)
		b = append(b, sim.Duration(r.E).String()...)
		b = append(b, " before retrying "...)
		b = append(b, op.String()...)
	case TraceConclude:
		b = append(b, "concludes "...)
		b = append(b, op.String()...)
		b = append(b, ": "...)
		b = append(b, Belief(r.E).String()...)
		if r.F != 0 {
			b = append(b, " ("...)
			b = strconv.AppendInt(b, r.F, 10)
			b = append(b, ')')
		}
	case TraceHandle:
		b = append(b, "handles "...)
		b = w.appendRequest(b, r, op)
		b = append(b, " from "...)
		b = append(b, name(r.B)...)
	case TraceRespond:
		b = append(b, "answers "...)
		b = strconv.AppendInt(b, r.E, 10)
		if res := w.strs[r.F]; res != "" {
			b = append(b, " resource="...)
			b = append(b, res...)
		}
		b = append(b, " to "...)
		b = append(b, name(r.B)...)
		b = append(b, ' ')
		b = appendOpAttempt(b, op, r.D)
	case TraceLedgerRow, TraceLedgerDelete:
		b = append(b, "LEDGER "...)
		b = append(b, w.strs[r.E]...)
		b = append(b, " row "...)
		b = strconv.AppendInt(b, r.F, 10)
		if r.Kind == TraceLedgerDelete {
			b = append(b, " deleted for "...)
		} else {
			b = append(b, " commits for "...)
		}
		b = append(b, op.String()...)
	case TraceSQL:
		b = append(b, w.net.UnpackRef(r.C, r.D, r.E).String()...)
		b = append(b, " on "...)
		b = append(b, name(r.B)...)
		b = append(b, ": "...)
		b = append(b, w.strs[r.F&0xffffffff]...)
		b = append(b, " => "...)
		count := r.F >> 36
		switch (r.F >> 32) & 15 {
		case sqlOK:
			b = append(b, "ok"...)
		case sqlRows:
			b = strconv.AppendInt(b, count, 10)
			b = append(b, " rows"...)
		case sqlAffected:
			b = append(b, "ok "...)
			b = strconv.AppendInt(b, count, 10)
		case sqlError:
			b = append(b, "error "...)
			b = append(b, w.strs[count]...)
		case sqlRolledBack:
			b = append(b, "rolled back"...)
		case sqlScalar:
			b = append(b, "1 row ("...)
			b = strconv.AppendInt(b, count, 10)
			b = append(b, ')')
		}
	case TraceDBFault:
		b = append(b, strings.ToUpper(faults.Kind(r.F).String())...)
		b = append(b, " on "...)
		b = append(b, w.net.UnpackRef(r.C, r.D, r.E).String()...)
		b = append(b, " from "...)
		b = append(b, name(r.B)...)
	case TraceDBPoolWait:
		b = append(b, "waits for a database connection: all "...)
		b = strconv.AppendInt(b, r.E, 10)
		b = append(b, " of its pool are busy ("...)
		b = appendOpAttempt(b, op, r.D)
		b = append(b, ')')
	case TraceCrashPoint:
		b = append(b, "reaches crash point "...)
		b = append(b, w.strs[r.E]...)
		b = append(b, " (time "...)
		b = strconv.AppendInt(b, r.F, 10)
		b = append(b, ") serving "...)
		b = append(b, op.String()...)
	case TraceUnavailable:
		b = append(b, "is down: balancer answers 502 to "...)
		b = append(b, name(r.B)...)
		b = append(b, ' ')
		b = appendOpAttempt(b, op, r.D)
	case TraceCrash:
		b = append(b, "CRASHES, down for "...)
		b = append(b, sim.Duration(r.E).String()...)
	case TraceRestart:
		b = append(b, "restarts"...)
		if r.C != 0 {
			b = append(b, ", resumes "...)
			b = append(b, op.String()...)
			b = append(b, " with key="...)
			b = append(b, w.keys[r.E]...)
		}
	case TracePause:
		b = append(b, "PAUSES for "...)
		b = append(b, sim.Duration(r.E).String()...)
		b = append(b, ": its connections, locks and leases stay held"...)
	case TraceThaw:
		b = append(b, "resumes after its pause"...)
	case TraceKV:
		b = append(b, w.net.UnpackRef(r.C, r.D, r.E).String()...)
		b = append(b, " from "...)
		b = append(b, name(r.B)...)
		b = append(b, ": "...)
		op := kvOp(r.F & 0xff)
		b = append(b, kvOpNames[op]...)
		b = append(b, ' ')
		b = append(b, w.strs[(r.F>>8)&0xffffffff]...)
		b = append(b, " => "...)
		b = append(b, kvResult(op, r.F>>40)...)
	case TraceFailover:
		b = append(b, "FAILS OVER to its replica (lag "...)
		b = append(b, sim.Duration(r.F).String()...)
		b = append(b, "): "...)
		b = strconv.AppendInt(b, r.E, 10)
		b = append(b, " writes lost"...)
	case TraceCharge:
		b = append(b, "LEDGER charge "...)
		b = append(b, w.strs[r.E]...)
		b = append(b, " moves "...)
		b = strconv.AppendInt(b, r.F, 10)
		b = append(b, " cents for "...)
		b = append(b, op.String()...)
	case TraceRefund:
		b = append(b, "LEDGER refund of "...)
		b = append(b, w.strs[r.E]...)
		b = append(b, " returns "...)
		b = strconv.AppendInt(b, r.F, 10)
		b = append(b, " cents of "...)
		b = append(b, op.String()...)
	case TraceGatewayFault:
		b = append(b, strings.ToUpper(faults.Kind(r.E).String())...)
		b = append(b, ": the charge went through; "...)
		if faults.Kind(r.E) == faults.GatewayTimeout {
			b = append(b, "no answer is sent to "...)
		} else {
			b = append(b, "500 is sent to "...)
		}
		b = append(b, name(r.B)...)
		b = append(b, " for "...)
		b = appendOpAttempt(b, op, r.D)
	case TraceGateway:
		b = append(b, w.net.UnpackRef(r.C, r.D, r.E).String()...)
		b = append(b, " from "...)
		b = append(b, name(r.B)...)
		b = append(b, ": "...)
		b = appendGatewayCall(b, gwOp(r.F&15), gateway.Kind((r.F>>4)&15), (r.F>>8)&0x3ff, w.strs[r.F>>32])
	case TraceQueue:
		switch qOp(r.F) {
		case qSend:
			b = append(b, "stores message "...)
		case qReceive:
			b = append(b, "delivers "...)
		case qAck:
			b = append(b, "deletes "...)
		}
		b = append(b, w.strs[r.E]...)
		if qOp(r.F) == qReceive {
			b = append(b, " to "...)
		} else {
			b = append(b, " from "...)
		}
		b = append(b, name(r.B)...)
		if !op.IsZero() {
			b = append(b, " ("...)
			b = append(b, op.String()...)
			b = append(b, ')')
		}
	default:
		b = append(b, "record kind "...)
		b = strconv.AppendInt(b, int64(r.Kind), 10)
	}
	return b
}

// appendGatewayCall words a gateway call and what became of it.
func appendGatewayCall(b []byte, op gwOp, kind gateway.Kind, status int64, charge string) []byte {
	switch op {
	case gwCharge:
		b = append(b, "charge => "...)
		if kind == 0 {
			b = append(b, "processing as "...)
			return append(b, charge...)
		}
		b = append(b, kind.String()...)
		if charge != "" {
			b = append(b, ' ')
			b = append(b, charge...)
		}
		b = append(b, " ("...)
		b = strconv.AppendInt(b, status, 10)
		return append(b, ')')
	case gwLookupKey, gwLookupID:
		b = append(b, "lookup => "...)
		if charge == "" {
			return append(b, "none"...)
		}
		b = append(b, gateway.Status(kind).String()...)
		b = append(b, ' ')
		return append(b, charge...)
	}
	b = append(b, "refund "...)
	return append(b, charge...)
}

// kvResult words a store command's result (0 error, 1 false, 2 true).
func kvResult(op kvOp, result int64) string {
	if result == 0 {
		return "error"
	}
	yes := result == 2
	switch op {
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

// appendRequest renders "create o3.7/a2 key=k-..." from a record whose F is
// the request kind, D the attempt and E the key id.
func (w *World) appendRequest(b []byte, r sim.Record, op api.OpID) []byte {
	b = append(b, api.Kind(r.F).String()...)
	b = append(b, ' ')
	b = appendOpAttempt(b, op, r.D)
	b = append(b, " key="...)
	return append(b, w.keys[r.E]...)
}

func appendOpAttempt(b []byte, op api.OpID, attempt int32) []byte {
	b = append(b, op.String()...)
	b = append(b, "/a"...)
	return strconv.AppendInt(b, int64(attempt), 10)
}
