package world

import (
	"bufio"
	"io"
	"strconv"

	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
)

// Trace record kinds of the world, in the range sim.WorldKinds owns. Each
// has a typed event in records.go (named after it there), its one
// encoder and decoder, and its text.
const (
	TraceAttempt      uint16 = sim.WorldKinds + iota // attemptSent: a client sends
	TraceResponse                                    // responseRead: a client reads
	TraceTimeout                                     // timedOut: a client gives up waiting
	TraceBackoff                                     // backedOff: a client waits before its next attempt
	TraceConclude                                    // concluded: a client stops
	TraceHandle                                      // handled: a server starts a request
	TraceRespond                                     // answered: a server answers
	TraceLedgerRow                                   // ledgerEffect: a ledger table's row commits
	TraceUnavailable                                 // unavailable: the balancer answers 502 for a down server
	TraceCrash                                       // crashed: a node crashes
	TraceRestart                                     // restarted: a node restarts
	TraceSQL                                         // sqlRan: the database ran a statement
	TraceDBFault                                     // dbFaulted: a database fault hit a call
	TraceDBPoolWait                                  // poolWait: a handler waits for a connection
	TraceCrashPoint                                  // crashPoint: a server reaches a crash point
	TracePause                                       // paused: a node freezes
	TraceThaw                                        // thawed: a node runs again
	TraceKV                                          // kvRan: the store ran a command
	TraceFailover                                    // failedOver: the store failed over
	TraceCharge                                      // money: the gateway's charge moved money
	TraceRefund                                      // money: the gateway refunded a charge
	TraceGatewayFault                                // gatewayFaulted: a gateway fault hit a charge's answer
	TraceQueue                                       // queued: the queue sent, delivered or deleted a message
	TraceGateway                                     // gatewayRan: the gateway received a call
	TraceLedgerDelete                                // ledgerEffect: a ledger table's row's deletion commits
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
		ev := decode(rec)
		if !shown(ev, op) {
			continue
		}
		b = w.renderLine(b[:0], rec.At, ev)
		b = append(b, '\n')
		if _, err := bw.Write(b); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// shown reports whether event ev is a line of the timeline WriteTrace
// prints for op (nil: the whole run). Events keeps the same lines.
func shown(ev traceEvent, op *api.OpID) bool {
	if m, ok := ev.(messageEvent); ok && m.routine() {
		return false
	}
	if op == nil {
		return true
	}
	of, whole := ev.scope()
	return whole || of == *op
}

func (w *World) renderLine(b []byte, at sim.Time, ev traceEvent) []byte {
	t := at.AppendText(nil)
	for i := len(t); i < 12; i++ {
		b = append(b, ' ')
	}
	b = append(b, t...)
	b = append(b, "  "...)
	return ev.appendText(w, b)
}

func appendOpAttempt(b []byte, op api.OpID, attempt int32) []byte {
	b = append(b, op.String()...)
	b = append(b, "/a"...)
	return strconv.AppendInt(b, int64(attempt), 10)
}
