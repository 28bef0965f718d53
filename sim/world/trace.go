package world

import (
	"bufio"
	"io"
	"strconv"

	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/network"
)

// Trace record kinds of the world (the network's are below 100). A is the
// acting node, B its peer, C the operation, D the attempt.
const (
	TraceAttempt     uint16 = 100 + iota // client sends; E key id, F request kind
	TraceResponse                        // client reads; E status, F action
	TraceTimeout                         // client gives up waiting
	TraceBackoff                         // client waits E before the next attempt
	TraceConclude                        // client stops; E belief, F status
	TraceHandle                          // server starts a request; E key id, F kind
	TraceRespond                         // server answers; E status, F row
	TraceCharge                          // ledger row E written for amount F
	TraceUnavailable                     // balancer answers 502 for a down server
	TraceCrash                           // node A crashes for E
	TraceRestart                         // node A restarts; clients: E key id
)

// WriteTrace prints the run's trace, one line per event, virtual time first.
// With op set, only that operation's lines and the crashes are printed. It
// needs Config.KeepTrace.
func (r *Result) WriteTrace(out io.Writer, op *OpID) error {
	bw := bufio.NewWriter(out)
	var b []byte
	for _, rec := range r.w.trace.Records() {
		if op != nil && rec.C != op.Queue<<16|op.Index && rec.Kind != TraceCrash && rec.Kind != TraceRestart &&
			rec.Kind != network.TracePartitionStart && rec.Kind != network.TracePartitionEnd {
			continue
		}
		b = r.w.renderLine(b[:0], rec)
		b = append(b, '\n')
		if _, err := bw.Write(b); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func (w *World) renderLine(b []byte, r sim.Record) []byte {
	t := r.At.AppendText(nil)
	for i := len(t); i < 12; i++ {
		b = append(b, ' ')
	}
	b = append(b, t...)
	b = append(b, "  "...)
	if out, ok := w.net.Render(b, r); ok {
		return out
	}
	name := func(id int32) string { return w.net.Name(network.NodeID(id)) }
	op := OpID{Queue: r.C >> 16, Index: r.C & 0xffff}
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
		if r.F != 0 {
			b = append(b, " row="...)
			b = strconv.AppendInt(b, r.F, 10)
		}
		b = append(b, " to "...)
		b = append(b, name(r.B)...)
		b = append(b, ' ')
		b = appendOpAttempt(b, op, r.D)
	case TraceCharge:
		b = append(b, "LEDGER charge "...)
		b = append(b, op.String()...)
		b = append(b, " row="...)
		b = strconv.AppendInt(b, r.E, 10)
		b = append(b, " amount="...)
		b = strconv.AppendInt(b, r.F, 10)
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
	default:
		b = append(b, "record kind "...)
		b = strconv.AppendInt(b, int64(r.Kind), 10)
	}
	return b
}

// appendRequest renders "create o3.7/a2 key=k-..." from a record whose F is
// the request kind, D the attempt and E the key id.
func (w *World) appendRequest(b []byte, r sim.Record, op OpID) []byte {
	b = append(b, RequestKind(r.F).String()...)
	b = append(b, ' ')
	b = appendOpAttempt(b, op, r.D)
	b = append(b, " key="...)
	return append(b, w.keys[r.E]...)
}

func appendOpAttempt(b []byte, op OpID, attempt int32) []byte {
	b = append(b, op.String()...)
	b = append(b, "/a"...)
	return strconv.AppendInt(b, int64(attempt), 10)
}
