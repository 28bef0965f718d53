package faults

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/idemsim/idemsim/sim"
)

// OpID names one business operation: the Index-th message of queue Queue
// ("create payment for order 7 from queue 3", printed o3.7). Clients that
// consume the same queue submit the same operations.
type OpID struct {
	Queue, Index int32
}

func (o OpID) String() string {
	return "o" + strconv.Itoa(int(o.Queue)) + "." + strconv.Itoa(int(o.Index))
}

// ParseOpID reads "o3.7".
func ParseOpID(s string) (OpID, error) {
	bad := fmt.Errorf("bad operation %q (accepted: oQUEUE.INDEX like o3.7, each in [1, %d])", s, MaxOpPart)
	q, i, ok := strings.Cut(strings.TrimPrefix(s, "o"), ".")
	if !ok || !strings.HasPrefix(s, "o") {
		return OpID{}, bad
	}
	qn, ok1 := canonicalInt(q, MaxOpPart)
	in, ok2 := canonicalInt(i, MaxOpPart)
	if !ok1 || !ok2 {
		return OpID{}, bad
	}
	return OpID{Queue: int32(qn), Index: int32(in)}, nil
}

// MaxOpPart bounds an operation's queue and index, so that both pack into
// one 32-bit trace field.
const MaxOpPart = 1<<15 - 1

// canonicalInt reads a decimal integer in [1, hi] written without sign or
// leading zeros, so that it prints back as read.
func canonicalInt(s string, hi int) (int, bool) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > hi || strconv.Itoa(n) != s {
		return 0, false
	}
	return n, true
}

// Ref identifies a message independently of how many messages came before
// it: the caller, the operation and the caller's attempt number for it, and
// whether it is the network's duplicate copy. A fault list keyed by Ref
// survives the removal of other faults, which shrinking needs.
type Ref struct {
	Caller  string
	Op      OpID
	Attempt int32
	Copy    bool
}

func (r Ref) String() string {
	s := r.Caller + "/" + r.Op.String() + "/a" + strconv.Itoa(int(r.Attempt))
	if r.Copy {
		s += "/copy"
	}
	return s
}

// MaxAttempt bounds an attempt number in a message reference.
const MaxAttempt = 1 << 30

// ParseRef reads "c3/o3.7/a2" or "c3/o3.7/a2/copy".
func ParseRef(s string) (Ref, error) {
	parts := strings.Split(s, "/")
	bad := fmt.Errorf("bad message %q (accepted: CALLER/oQ.I/aN[/copy] like c3/o3.7/a2, CALLER one node)", s)
	if len(parts) < 3 || len(parts) > 4 || (len(parts) == 4 && parts[3] != "copy") {
		return Ref{}, bad
	}
	op, err := ParseOpID(parts[1])
	if err != nil {
		return Ref{}, bad
	}
	n, ok := canonicalInt(strings.TrimPrefix(parts[2], "a"), MaxAttempt)
	if !ok || !strings.HasPrefix(parts[2], "a") {
		return Ref{}, bad
	}
	if !validNode(parts[0]) {
		return Ref{}, bad
	}
	return Ref{Caller: parts[0], Op: op, Attempt: int32(n), Copy: len(parts) == 4}, nil
}

// Kind is what kind of fault fired.
type Kind uint8

// The kinds of fault.
const (
	DropRequest Kind = iota + 1
	DropResponse
	DuplicateRequest
	DuplicateResponse
	Reset
	PartitionFault
	CrashFault
	ClientCrashFault
)

var kindNames = [...]string{
	DropRequest:       "drop-request",
	DropResponse:      "drop-response",
	DuplicateRequest:  "duplicate-request",
	DuplicateResponse: "duplicate-response",
	Reset:             "reset",
	PartitionFault:    "partition",
	CrashFault:        "crash",
	ClientCrashFault:  "client-crash",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("fault(%d)", uint8(k))
}

// OnMessage reports whether k hits a single message.
func (k Kind) OnMessage() bool { return k >= DropRequest && k <= Reset }

// Fault is one fault that fired. It prints as one line that ParseFault reads
// back; a list of them replays a run's faults exactly.
//
//	drop-request c3/o3.7/a2 at=1.234567s
//	duplicate-request c3/o3.7/a2 at=1.234567s extra=3.2ms
//	partition clients|s1@2s..5s
//	crash s2@3s+1s
//	client-crash c3@2s+500ms
type Fault struct {
	Kind      Kind
	At        sim.Time
	Msg       Ref          // message faults
	Extra     sim.Duration // duplicates: how much later the copy arrives
	Partition Partition
	Crash     Crash
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
	case f.Kind == CrashFault || f.Kind == ClientCrashFault:
		return f.Kind.String() + " " + f.Crash.String()
	}
	return f.Kind.String()
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
		for _, kv := range fields[2:] {
			k, v, _ := strings.Cut(kv, "=")
			d, derr := time.ParseDuration(v)
			dup := f.Kind == DuplicateRequest || f.Kind == DuplicateResponse
			switch {
			case k == "at" && derr == nil && d >= 0:
				f.At = sim.Time(d)
			case k == "extra" && dup && derr == nil && d >= 0:
				f.Extra = d
			case dup:
				return Fault{}, fmt.Errorf("fault %q: bad field %q (accepted: at=TIME, extra=DURATION)", line, kv)
			default:
				return Fault{}, fmt.Errorf("fault %q: bad field %q (accepted: at=TIME; extra= is for duplicate faults)", line, kv)
			}
		}
	case f.Kind == PartitionFault:
		if len(fields) != 2 {
			return Fault{}, fmt.Errorf("fault %q: want partition %s", line, PartitionSyntax)
		}
		if f.Partition, err = ParsePartition(fields[1]); err != nil {
			return Fault{}, fmt.Errorf("fault %q: %w", line, err)
		}
		f.At = f.Partition.From
	default:
		if len(fields) != 2 {
			return Fault{}, fmt.Errorf("fault %q: want %s %s", line, f.Kind, CrashSyntax)
		}
		if f.Crash, err = ParseCrash(fields[1]); err != nil {
			return Fault{}, fmt.Errorf("fault %q: %w", line, err)
		}
		if want := crashPrefix(f.Kind); f.Crash.Node != "any" && f.Crash.Node[0] != want {
			return Fault{}, fmt.Errorf("fault %q: %s targets a %s (%cN or any), not %q", line, f.Kind, map[byte]string{'s': "server", 'c': "client"}[want], want, f.Crash.Node)
		}
		f.At = f.Crash.At
	}
	return f, nil
}

// ReadFaults reads a fault list: one fault a line, '#' comments and blank
// lines ignored.
func ReadFaults(r io.Reader) ([]Fault, error) {
	var out []Fault
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(line, '#'); i >= 0 {
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
	return out, sc.Err()
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

// crashPrefix is the first letter of the nodes a crash kind targets.
func crashPrefix(k Kind) byte {
	if k == ClientCrashFault {
		return 'c'
	}
	return 's'
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
