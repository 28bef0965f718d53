package faults

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
)

// Ref identifies a message independently of how many messages came before
// it, so that a fault list keyed by Ref survives the removal of other faults
// (which shrinking needs):
//
//	c3/o3.7/a2            client c3's 2nd attempt at operation o3.7
//	c3/o3.7/a2/copy       the network's duplicate of it
//	c3/o3.7/a2/db4        the 4th database call of the handler serving it
//	s1/consumer/queue17   the 17th queue call of server s1's worker "consumer"
//
// A service call's fault hits its request or its response, as the fault's
// kind says.
type Ref struct {
	Caller  string   // the client whose request it is, or the server whose worker calls
	Op      api.OpID // zero for a worker's call
	Attempt int32
	Copy    bool
	Worker  string      // the background worker making the call ("" for a request and its handler)
	Service api.Service // NoService for the HTTP request itself
	Call    int32       // the call's number among the handler's or worker's calls to Service, from 1
}

func (r Ref) String() string {
	var b strings.Builder
	b.WriteString(r.Caller)
	b.WriteByte('/')
	if r.Worker != "" {
		b.WriteString(r.Worker)
	} else {
		b.WriteString(r.Op.String())
		b.WriteString("/a")
		b.WriteString(strconv.Itoa(int(r.Attempt)))
		if r.Copy {
			b.WriteString("/copy")
		}
	}
	if r.Service != api.NoService {
		b.WriteByte('/')
		b.WriteString(r.Service.String())
		b.WriteString(strconv.Itoa(int(r.Call)))
	}
	return b.String()
}

// MaxAttempt bounds an attempt or call number in a message reference.
const MaxAttempt = 1 << 30

// RefSyntax is the accepted form of a message reference, for error messages.
const RefSyntax = "CLIENT/oQ.I/aN[/copy][/SERVICEn] like c3/o3.7/a2 or c3/o3.7/a2/db4, or SERVER/WORKER/SERVICEn like s1/consumer/queue17"

// ParseRef reads what Ref.String prints.
func ParseRef(s string) (Ref, error) {
	bad := fmt.Errorf("bad message %q (accepted: %s)", s, RefSyntax)
	parts := strings.Split(s, "/")
	if len(parts) < 2 {
		return Ref{}, bad
	}
	var r Ref
	r.Caller = parts[0]
	rest := parts[1:]
	if last := rest[len(rest)-1]; len(rest) > 1 {
		if svc, n, ok := parseServiceCall(last); ok {
			r.Service, r.Call = svc, n
			rest = rest[:len(rest)-1]
		}
	}
	switch {
	case len(rest) >= 2 && strings.HasPrefix(rest[0], "o"):
		op, err := api.ParseOpID(rest[0])
		if err != nil {
			return Ref{}, bad
		}
		n, ok := api.CanonicalInt(strings.TrimPrefix(rest[1], "a"), MaxAttempt)
		if !ok || !strings.HasPrefix(rest[1], "a") || len(rest) > 3 || (len(rest) == 3 && rest[2] != "copy") {
			return Ref{}, bad
		}
		r.Op, r.Attempt, r.Copy = op, int32(n), len(rest) == 3
		if !validClient(r.Caller) {
			return Ref{}, bad
		}
	case len(rest) == 1 && r.Service != api.NoService && validWorker(rest[0]):
		r.Worker = rest[0]
		if !validServer(r.Caller) {
			return Ref{}, bad
		}
	default:
		return Ref{}, bad
	}
	return r, nil
}

// parseServiceCall reads "db4".
func parseServiceCall(s string) (api.Service, int32, bool) {
	i := strings.IndexAny(s, "0123456789")
	if i <= 0 {
		return api.NoService, 0, false
	}
	svc, ok := api.ParseService(s[:i])
	n, okN := api.CanonicalInt(s[i:], MaxAttempt)
	return svc, int32(n), ok && okN
}

// validWorker accepts a worker's name: lower-case letters, digits and '-',
// starting with a letter.
func validWorker(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' || s == "copy" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Kind is what kind of fault fired.
type Kind uint8

// The kinds of fault. The first group hits one message; the second happens
// to a node at a moment.
const (
	DropRequest Kind = iota + 1
	DropResponse
	DuplicateRequest
	DuplicateResponse
	Reset
	DBDropConnection // the connection drops before a statement in a transaction runs: rolled back
	DBLostCommitAck  // a COMMIT is applied and its acknowledgement lost
	GatewayTimeout   // the gateway charges but its answer never comes: the caller times out
	Gateway500       // the gateway charges and answers 500
	PartitionFault
	CrashFault       // a server or client crashes; the store restarts with its data lost
	ClientCrashFault // (kept for fault lists that name client crashes separately)
	CrashAtFault     // a server crashes at a step its strategy names
	PauseFault       // a process freezes: its connections, locks and leases stay held
	FailoverFault    // the store fails over to a replica that lags
	numKinds
)

var kindNames = [numKinds]string{
	DropRequest:       "drop-request",
	DropResponse:      "drop-response",
	DuplicateRequest:  "duplicate-request",
	DuplicateResponse: "duplicate-response",
	Reset:             "reset",
	DBDropConnection:  "db-drop-connection",
	DBLostCommitAck:   "db-lost-commit-ack",
	GatewayTimeout:    "gateway-timeout",
	Gateway500:        "gateway-500",
	PartitionFault:    "partition",
	CrashFault:        "crash",
	ClientCrashFault:  "client-crash",
	CrashAtFault:      "crash-at",
	PauseFault:        "pause",
	FailoverFault:     "kv-failover",
}

func (k Kind) String() string {
	if k < numKinds && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("fault(%d)", uint8(k))
}

// Kinds lists every kind, in order.
func Kinds() []Kind {
	out := make([]Kind, 0, numKinds-1)
	for k := DropRequest; k < numKinds; k++ {
		out = append(out, k)
	}
	return out
}

// OnMessage reports whether k hits a single message.
func (k Kind) OnMessage() bool { return k >= DropRequest && k <= Gateway500 }

// timed reports whether k happens to a node at a moment (NODE@TIME[+D]).
func (k Kind) timed() bool {
	return k == CrashFault || k == ClientCrashFault || k == PauseFault || k == FailoverFault
}

// Fault is one fault that fired. It prints as one line that ParseFault reads
// back; a list of them replays a run's faults exactly.
//
//	drop-request c3/o3.7/a2 at=1.234567s
//	duplicate-request c3/o3.7/a2 at=1.234567s extra=3.2ms
//	db-lost-commit-ack c3/o3.7/a2/db4 at=1.3s
//	partition clients|s1@2s..5s
//	crash s2@3s+1s
//	crash kv@3s+1s
//	crash-at s1:after-charge#3+1s at=4.5s
//	pause s2@3s+1m35s
//	kv-failover kv@5s
//	crash s1@1.2s+1s in=c1/o1.1/a1 after=2      (anchored to a step: see Anchor)
//	crash kv@1.2s+1s before=c1/o1.1/a1/kv2
type Fault struct {
	Kind      Kind
	At        sim.Time
	Msg       Ref          // message faults
	Extra     sim.Duration // duplicates: how much later the copy arrives
	Partition Partition
	Crash     Crash // crash, client-crash, pause, kv-failover: the node, the moment, the downtime
	Point     CrashPoint
	// Anchor, when set, ties a crash or pause to a step of the run rather
	// than to its moment, so that a replay fires it at the same step
	// whatever else shares that instant: for a server, the request whose
	// handler it hits, once that handler has made After service calls
	// (as it is about to make the next one, or to answer); for kv, the
	// store command the restart comes right before. Crash.At is then the
	// moment the step was reached in the run that logged it.
	Anchor Ref
	After  int
}

// Anchored reports whether f is tied to a step (Anchor) rather than to
// its moment.
func (f Fault) Anchored() bool { return f.Anchor.Caller != "" }

// Step is an anchored crash or pause of a server as the StepFault it
// fires like: the simulator replaying it and a live server anchoring it
// match a handler's step by one rule (StepFault.Fires).
func (f Fault) Step() StepFault {
	return StepFault{Kind: f.Kind, Node: f.Crash.Node, Request: f.Anchor, After: f.After, Downtime: f.Crash.Downtime, Timed: f.Crash}
}

// anchorText is the step of an anchored crash or pause, as its line ends:
// " in=c1/o1.1/a1 after=2" (a server), " before=c1/o1.1/a1/kv2" (the
// store).
func (f Fault) anchorText() string {
	if f.Anchor.Service != api.NoService {
		return " before=" + f.Anchor.String()
	}
	return " in=" + f.Anchor.String() + " after=" + strconv.Itoa(f.After)
}

func (f Fault) String() string {
	switch {
	case f.Kind.OnMessage():
		s := f.Kind.String() + " " + f.Msg.String() + " at=" + seconds(f.At)
		if f.Kind == DuplicateRequest || f.Kind == DuplicateResponse {
			s += " extra=" + f.Extra.String()
		}
		return s
	case f.Kind == PartitionFault:
		return "partition " + f.Partition.String()
	case f.Kind == FailoverFault:
		return f.Kind.String() + " " + f.Crash.Node + "@" + dur(f.Crash.At)
	case f.Kind.timed() && f.Anchored():
		return f.Kind.String() + " " + f.Crash.String() + f.anchorText()
	case f.Kind.timed():
		return f.Kind.String() + " " + f.Crash.String()
	case f.Kind == CrashAtFault:
		return "crash-at " + f.Point.String() + " at=" + seconds(f.At)
	}
	return f.Kind.String()
}

// check says whether f's moments and durations are in range (a fault
// built in code; ParseFault refuses the same values in a line).
func (f Fault) check() error {
	err := firstErr(checkSpan("time", sim.Duration(f.At)), checkSpan("extra", f.Extra), checkSpan("downtime", f.Point.Downtime))
	switch {
	case err != nil:
	case f.Kind == PartitionFault:
		err = firstErr(checkSpan("time", sim.Duration(f.Partition.From)), checkSpan("time", sim.Duration(f.Partition.To)))
	case f.Kind.timed():
		err = f.Crash.check()
	}
	return err
}

// Identity is what makes two faults the same fault, whatever the moment
// each was logged at: a replayed fault fired if the run logged a fault with
// its identity.
func (f Fault) Identity() string {
	switch {
	case f.Kind.OnMessage():
		return f.Kind.String() + " " + f.Msg.String()
	case f.Kind == CrashAtFault:
		return "crash-at " + f.Point.String()
	case f.Anchored():
		return f.Kind.String() + " " + f.Crash.Node + "+" + f.Crash.Downtime.String() + f.anchorText()
	}
	return f.String()
}

// ParseFault reads one line printed by Fault.String.
func ParseFault(line string) (Fault, error) {
	fields := strings.Fields(line)
	if len(fields) < 2 {
		return Fault{}, fmt.Errorf("fault %q: want KIND ARGS", line)
	}
	var f Fault
	for k, name := range kindNames {
		if name != "" && name == fields[0] {
			f.Kind = Kind(k)
		}
	}
	var err error
	switch {
	case f.Kind == 0:
		return Fault{}, fmt.Errorf("fault %q: unknown kind %q (accepted: %s)", line, fields[0], strings.Join(kindNames[1:], ", "))
	case f.Kind.OnMessage():
		if f.Msg, err = ParseRef(fields[1]); err != nil {
			return Fault{}, fmt.Errorf("fault %q: %w", line, err)
		}
		onService := f.Msg.Service != api.NoService
		switch {
		case f.Kind == DBDropConnection || f.Kind == DBLostCommitAck:
			if f.Msg.Service != api.ServiceDB {
				return Fault{}, fmt.Errorf("fault %q: %s hits a database call (a message like c1/o1.1/a1/db2)", line, f.Kind)
			}
		case f.Kind == GatewayTimeout || f.Kind == Gateway500:
			if f.Msg.Service != api.ServiceGateway {
				return Fault{}, fmt.Errorf("fault %q: %s hits a gateway call (a message like c1/o1.1/a1/gateway1)", line, f.Kind)
			}
		case (f.Kind == DuplicateRequest || f.Kind == DuplicateResponse) && onService:
			return Fault{}, fmt.Errorf("fault %q: only requests between clients and servers are duplicated, not service calls", line)
		}
		if err := parseAtExtra(&f, fields[2:]); err != nil {
			return Fault{}, fmt.Errorf("fault %q: %w", line, err)
		}
	case f.Kind == PartitionFault:
		if len(fields) != 2 {
			return Fault{}, fmt.Errorf("fault %q: want partition %s", line, PartitionSyntax)
		}
		if f.Partition, err = ParsePartition(fields[1]); err != nil {
			return Fault{}, fmt.Errorf("fault %q: %w", line, err)
		}
		f.At = f.Partition.From
	case f.Kind == CrashAtFault:
		if len(fields) > 3 {
			return Fault{}, fmt.Errorf("fault %q: want crash-at %s at=TIME", line, CrashPointSyntax)
		}
		if f.Point, err = ParseCrashPoint(fields[1]); err != nil {
			return Fault{}, fmt.Errorf("fault %q: %w", line, err)
		}
		if f.Point.Node == "any" || f.Point.Prob > 0 {
			return Fault{}, fmt.Errorf("fault %q: a fired crash point names its server and occurrence (like s1:after-charge#3)", line)
		}
		if err := parseAtExtra(&f, fields[2:]); err != nil {
			return Fault{}, fmt.Errorf("fault %q: %w", line, err)
		}
	default:
		if len(fields) > 2 && (f.Kind == CrashFault || f.Kind == PauseFault) && strings.Contains(fields[2], "=") {
			if err := parseAnchor(&f, fields[2:]); err != nil {
				return Fault{}, fmt.Errorf("fault %q: %w (accepted: %s)", line, err, AnchorSyntax)
			}
			fields = fields[:2]
		}
		if len(fields) != 2 {
			return Fault{}, fmt.Errorf("fault %q: want %s %s", line, f.Kind, CrashSyntax)
		}
		parse := ParseCrash
		if f.Kind == PauseFault {
			parse = ParsePause
		}
		if f.Crash, err = parse(fields[1]); err != nil {
			return Fault{}, fmt.Errorf("fault %q: %w", line, err)
		}
		if err := checkTimedTarget(f.Kind, f.Crash.Node); err != nil {
			return Fault{}, fmt.Errorf("fault %q: %w", line, err)
		}
		if f.Kind == FailoverFault {
			f.Crash.Downtime = 0
		}
		if err := checkAnchorTarget(f); err != nil {
			return Fault{}, fmt.Errorf("fault %q: %w (accepted: %s)", line, err, AnchorSyntax)
		}
		f.At = f.Crash.At
	}
	return f, nil
}

// AnchorSyntax is the accepted form of the step a crash or pause is
// anchored to, for error messages.
const AnchorSyntax = "a crash or pause of a server may end with in=REQUEST after=N (REQUEST like c1/o1.1/a1: its handler, once it has made N service calls), a crash of kv with before=CALL (a store call like c1/o1.1/a1/kv2)"

// parseAnchor reads the fields after a crash's or pause's node and moment:
// in=REF after=N, or before=REF.
func parseAnchor(f *Fault, kvs []string) error {
	hasAfter := false
	for _, kv := range kvs {
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case (k == "in" || k == "before") && !f.Anchored():
			r, err := ParseRef(v)
			if err != nil {
				return err
			}
			if r.Worker != "" || (k == "in") != (r.Service == api.NoService) || k == "before" && r.Service != api.ServiceKV {
				return fmt.Errorf("field %q names the wrong kind of message", kv)
			}
			f.Anchor = r
		case k == "after" && !hasAfter:
			n, ok := api.CanonicalInt(v, MaxAttempt)
			if v == "0" {
				n, ok = 0, true
			}
			if !ok {
				return fmt.Errorf("field %q: want an integer >= 0", kv)
			}
			f.After, hasAfter = n, true
		default:
			return fmt.Errorf("bad field %q", kv)
		}
	}
	switch {
	case !f.Anchored():
		return fmt.Errorf("no in= or before= field")
	case hasAfter != (f.Anchor.Service == api.NoService):
		return fmt.Errorf("after= goes with in=, and only with it")
	}
	return nil
}

// checkAnchorTarget says whether an anchored fault's node can take its
// anchor: a named server a request's handler, the store a store call.
func checkAnchorTarget(f Fault) error {
	switch {
	case !f.Anchored():
	case f.Anchor.Service == api.ServiceKV && (f.Kind != CrashFault || f.Crash.Node != "kv"):
		return fmt.Errorf("before= anchors a crash of kv")
	case f.Anchor.Service == api.NoService && !validServer(f.Crash.Node):
		return fmt.Errorf("in= anchors a crash or pause of a named server (sN)")
	}
	return nil
}

// checkTimedTarget says which nodes a timed fault may name.
func checkTimedTarget(k Kind, node string) error {
	switch k {
	case ClientCrashFault:
		if node != "any" && !validClient(node) {
			return fmt.Errorf("client-crash targets a client (cN or any), not %q", node)
		}
	case CrashFault:
		if node != "any" && !validServer(node) && node != "kv" {
			return fmt.Errorf("crash targets a server (sN or any) or kv (the store restarts with its data lost), not %q", node)
		}
	case PauseFault:
		if !validClient(node) && !validServer(node) {
			return fmt.Errorf("pause targets a server (sN) or a client (cN), not %q", node)
		}
	case FailoverFault:
		if node != "kv" {
			return fmt.Errorf("kv-failover targets kv, not %q", node)
		}
	}
	return nil
}

func parseAtExtra(f *Fault, kvs []string) error {
	dup := f.Kind == DuplicateRequest || f.Kind == DuplicateResponse
	for _, kv := range kvs {
		k, v, _ := strings.Cut(kv, "=")
		d, derr := time.ParseDuration(v)
		switch {
		case (k == "at" || k == "extra" && dup) && derr == nil && d > sim.MaxSpan:
			return fmt.Errorf("field %q over the limit of %s (accepted: a duration up to %s)", kv, sim.MaxSpanText, sim.MaxSpanText)
		case k == "at" && derr == nil && d >= 0:
			f.At = sim.Time(d)
		case k == "extra" && dup && derr == nil && d >= 0:
			f.Extra = d
		case dup:
			return fmt.Errorf("bad field %q (accepted: at=TIME, extra=DURATION)", kv)
		default:
			return fmt.Errorf("bad field %q (accepted: at=TIME; extra= is for duplicate faults)", kv)
		}
	}
	return nil
}

// MaxFaultLines and MaxListBytes bound a fault list, so that a wrong file
// (a binary, /dev/zero) fails fast instead of filling memory. A line has
// no limit of its own: a comment recording a long command line is as long
// as it needs to be, within the list's bytes.
const (
	MaxFaultLines = 1 << 20
	MaxListBytes  = 16 << 20
)

// readList reads a whole fault list of at most MaxListBytes.
func readList(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxListBytes+1))
	if err != nil {
		return "", err
	}
	if len(b) > MaxListBytes {
		return "", fmt.Errorf("larger than the limit of %d MiB: not a fault list", MaxListBytes>>20)
	}
	return string(b), nil
}

// ReadFaults reads a fault list: one fault a line, blank lines and '#'
// comments ignored (a comment starts at a '#' that begins the line or
// follows white space: see commentStart).
func ReadFaults(r io.Reader) ([]Fault, error) {
	text, err := readList(r)
	if err != nil {
		return nil, err
	}
	var out []Fault
	n := 0
	for text := range strings.Lines(text) {
		n++
		if n > MaxFaultLines {
			return nil, fmt.Errorf("more than %d lines: not a fault list", MaxFaultLines)
		}
		if strings.IndexByte(text, 0) >= 0 {
			return nil, fmt.Errorf("line %d: a NUL byte: not a fault list (a text file of lines as --faults-out writes them)", n)
		}
		line := strings.TrimSpace(text)
		if i := commentStart(line); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		f, err := ParseFault(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, f)
	}
	return out, nil
}

// Header reads the '#' comment lines at the top of a fault list: where
// --faults-out records the command that produced it.
func Header(r io.Reader) []string {
	text, _ := readList(r)
	var out []string
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "#") {
			break
		}
		out = append(out, strings.TrimSpace(strings.TrimPrefix(line, "#")))
	}
	return out
}

// Log is the ordered list of faults that fired in a run.
type Log struct {
	list []Fault
}

// Add records f.
func (l *Log) Add(f Fault) { l.list = append(l.list, f) }

// Faults are the recorded faults in firing order.
func (l *Log) Faults() []Fault { return l.list }

// Count is how many faults of kind k fired.
func (l *Log) Count(k Kind) int {
	n := 0
	for _, f := range l.list {
		if f.Kind == k {
			n++
		}
	}
	return n
}

// Unfired lists the faults of want that no fault of fired matches by
// Identity: faults a replay asked for that never happened (a message that
// never existed, a crash of a node already down).
func Unfired(want, fired []Fault) []Fault {
	seen := make(map[string]int, len(fired))
	for _, f := range fired {
		seen[f.Identity()]++
	}
	var out []Fault
	for _, f := range want {
		id := f.Identity()
		if seen[id] > 0 {
			seen[id]--
			continue
		}
		out = append(out, f)
	}
	return out
}

// seconds prints t exactly, in seconds as the trace reads ("0.15035s",
// "12s"), and as time.ParseDuration reads it back to the nanosecond.
func seconds(t sim.Time) string {
	v := int64(t)
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	s := sign + strconv.FormatInt(v/1e9, 10)
	if frac := v % 1e9; frac != 0 {
		digits := strconv.FormatInt(frac+1e9, 10)[1:]
		s += "." + strings.TrimRight(digits, "0")
	}
	return s + "s"
}

// commentStart is where a comment starts in a fault list's line: at a '#'
// that begins the line or follows white space. A '#' inside a word is the
// occurrence of a crash point (crash-at s1:after-charge#3+1s), not a
// comment.
func commentStart(line string) int {
	for i := 0; i < len(line); i++ {
		if line[i] == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') {
			return i
		}
	}
	return -1
}
