package faults

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
)

// Link is how one link treats each message: its latency law and the
// per-message probability of each fault.
type Link struct {
	Delay            sim.Dist
	DropRequestRate  float64 // a request is lost before it reaches the server
	DropResponseRate float64 // a response is lost after the server answered
	DuplicateRate    float64 // a message is delivered twice; the copy arrives later
	ResetRate        float64 // the server finishes, the connection resets, no response arrives
}

// NodeSet names nodes: a node ("c1", "s2", "db"), a group ("clients",
// "servers", "services"), or "*" for all, joined by commas.
type NodeSet []string

func (s NodeSet) String() string { return strings.Join(s, ",") }

// NodeSetSyntax is the accepted form of a node set, for error messages.
const NodeSetSyntax = "names like c1,s2,db, groups clients, servers or services, or *"

// ParseNodeSet reads "c1,c2", "servers" or "*".
func ParseNodeSet(s string) (NodeSet, error) {
	set, err := parseNodeSet(s)
	if err != nil {
		return nil, fmt.Errorf("%v (accepted: %s)", err, NodeSetSyntax)
	}
	return set, nil
}

// parseNodeSet is ParseNodeSet without the accepted syntax, for parsers that
// print their own.
func parseNodeSet(s string) (NodeSet, error) {
	if s == "" {
		return nil, fmt.Errorf("empty node set")
	}
	parts := strings.Split(s, ",")
	for _, p := range parts {
		if !validNodeName(p) {
			return nil, fmt.Errorf("bad node %q", p)
		}
	}
	return NodeSet(parts), nil
}

// validNodeName accepts one node (c1, s2, db) or a group (clients, servers,
// services, *).
func validNodeName(p string) bool {
	switch p {
	case "*", "clients", "servers", "services":
		return true
	}
	return validNode(p)
}

// validNode accepts exactly one node: a client or server (c or s and a
// number from 1, no leading zeros) or a service (db, kv, gateway, queue).
func validNode(p string) bool {
	if _, ok := api.ParseService(p); ok {
		return true
	}
	return validClient(p) || validServer(p)
}

func validClient(p string) bool { return numbered(p, 'c') }
func validServer(p string) bool { return numbered(p, 's') }

func numbered(p string, prefix byte) bool {
	if len(p) < 2 || p[0] != prefix {
		return false
	}
	_, ok := api.CanonicalInt(p[1:], 1<<30)
	return ok
}

// LinkRule overrides some fields of the default Link on every link between a
// node of A and a node of B (either direction). Later rules win.
type LinkRule struct {
	A, B   NodeSet
	Assign []Assign
}

// Assign sets one field of a Link.
type Assign struct {
	Field string // one of LinkFields
	Rate  float64
	Delay sim.Dist
}

// LinkFields are the fields a LinkRule may set.
var LinkFields = []string{"delay", "drop-request", "drop-response", "duplicate", "reset"}

// Apply sets the assigned fields of l.
func (r LinkRule) Apply(l *Link) {
	for _, a := range r.Assign {
		switch a.Field {
		case "delay":
			l.Delay = a.Delay
		case "drop-request":
			l.DropRequestRate = a.Rate
		case "drop-response":
			l.DropResponseRate = a.Rate
		case "duplicate":
			l.DuplicateRate = a.Rate
		case "reset":
			l.ResetRate = a.Rate
		}
	}
}

func (r LinkRule) String() string {
	var b strings.Builder
	b.WriteString(r.A.String())
	b.WriteByte('-')
	b.WriteString(r.B.String())
	b.WriteByte(':')
	for i, a := range r.Assign {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(a.Field)
		b.WriteByte('=')
		if a.Field == "delay" {
			b.WriteString(a.Delay.String())
		} else {
			b.WriteString(strconv.FormatFloat(a.Rate, 'g', -1, 64))
		}
	}
	return b.String()
}

// LinkRuleSyntax is the accepted form of a link rule, for error messages.
const LinkRuleSyntax = "A-B:FIELD=VALUE[;FIELD=VALUE...], e.g. clients-s2:drop-response=0.5;delay=const:20ms (fields: delay, drop-request, drop-response, duplicate, reset)"

// ParseLinkRule reads "clients-s2:drop-response=0.5;delay=const:20ms".
func ParseLinkRule(s string) (LinkRule, error) {
	bad := func(why string) (LinkRule, error) {
		return LinkRule{}, fmt.Errorf("%q: %s (accepted: %s)", s, why, LinkRuleSyntax)
	}
	ends, assigns, ok := strings.Cut(s, ":")
	if !ok {
		return bad("missing ':' before the fields")
	}
	a, b, ok := strings.Cut(ends, "-")
	if !ok {
		return bad("missing '-' between the two node sets")
	}
	var r LinkRule
	var err error
	if r.A, err = parseNodeSet(a); err != nil {
		return bad(err.Error())
	}
	if r.B, err = parseNodeSet(b); err != nil {
		return bad(err.Error())
	}
	for _, kv := range strings.Split(assigns, ";") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return bad("field " + strconv.Quote(kv) + " has no '='")
		}
		as := Assign{Field: k}
		switch k {
		case "delay":
			if as.Delay, err = sim.ParseDist(v); err != nil {
				return bad(err.Error())
			}
		case "drop-request", "drop-response", "duplicate", "reset":
			if as.Rate, err = ParseRate(v); err != nil {
				return bad(err.Error())
			}
		default:
			return bad("unknown field " + strconv.Quote(k))
		}
		r.Assign = append(r.Assign, as)
	}
	return r, nil
}

// ParseRate reads a probability in [0, 1].
func ParseRate(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !(v >= 0 && v <= 1) {
		return 0, fmt.Errorf("rate %q is not a probability in [0, 1]", s)
	}
	return v, nil
}

// Partition cuts every link between A and B from From until To.
type Partition struct {
	A, B     NodeSet
	From, To sim.Time
}

func (p Partition) String() string {
	return p.A.String() + "|" + p.B.String() + "@" + dur(p.From) + ".." + dur(p.To)
}

// PartitionSyntax is the accepted form of a partition, for error messages.
const PartitionSyntax = "A|B@FROM..TO, e.g. clients|s1,s2@2s..5s"

// ParsePartition reads "clients|s1,s2@2s..5s".
func ParsePartition(s string) (Partition, error) {
	bad := func(why string) (Partition, error) {
		return Partition{}, fmt.Errorf("%q: %s (accepted: %s)", s, why, PartitionSyntax)
	}
	sides, window, ok := strings.Cut(s, "@")
	if !ok {
		return bad("missing '@' before the time window")
	}
	a, b, ok := strings.Cut(sides, "|")
	if !ok {
		return bad("missing '|' between the two sides")
	}
	var p Partition
	var err error
	if p.A, err = parseNodeSet(a); err != nil {
		return bad(err.Error())
	}
	if p.B, err = parseNodeSet(b); err != nil {
		return bad(err.Error())
	}
	from, to, ok := strings.Cut(window, "..")
	if !ok {
		return bad("window needs FROM..TO")
	}
	if p.From, err = parseTime(from); err != nil {
		return bad(err.Error())
	}
	if p.To, err = parseTime(to); err != nil {
		return bad(err.Error())
	}
	if p.To <= p.From {
		return bad("TO must be after FROM")
	}
	return p, nil
}

// Crash takes Node down at At for Downtime; in-flight work dies and memory is
// lost, durable state survives. Node "any" lets the faults stream choose.
type Crash struct {
	Node     string
	At       sim.Time
	Downtime sim.Duration
}

func (c Crash) String() string {
	return c.Node + "@" + dur(c.At) + "+" + c.Downtime.String()
}

// DefaultDowntime is how long a crashed node stays down when not said.
const DefaultDowntime = time.Second

// CrashSyntax is the accepted form of a crash, for error messages.
const CrashSyntax = "NODE@TIME[+DOWNTIME], e.g. s2@3s+1s or any@1500ms"

// ParseCrash reads "s2@3s+1s", "any@1500ms" (downtime DefaultDowntime).
func ParseCrash(s string) (Crash, error) {
	c, _, why := parseTimed(s)
	if why != "" {
		return Crash{}, fmt.Errorf("%q: %s (accepted: %s)", s, why, CrashSyntax)
	}
	return c, nil
}

// parseTimed reads NODE@TIME[+DURATION]; why says what is wrong, "" if
// nothing.
func parseTimed(s string) (c Crash, hasDown bool, why string) {
	node, when, ok := strings.Cut(s, "@")
	if !ok {
		return c, false, "missing '@' before the time"
	}
	if node != "any" && !validNode(node) {
		return c, false, "bad node " + strconv.Quote(node)
	}
	c = Crash{Node: node, Downtime: DefaultDowntime}
	at, down, hasDown := strings.Cut(when, "+")
	var err error
	if c.At, err = parseTime(at); err != nil {
		return c, false, err.Error()
	}
	if hasDown {
		if c.Downtime, why = parseDowntime(down); why != "" {
			return c, false, why
		}
	}
	return c, hasDown, ""
}

// CrashPoint arms a step a strategy names with Env.Crash: the server
// crashes exactly there, the Nth time it reaches the step, or each time with
// probability Prob.
//
//	s1:after-charge          the first time s1 reaches after-charge
//	s1:after-charge#3+2s     the third time, down for 2s
//	any:after-charge~0.1     each time any server reaches it, with probability 0.1
type CrashPoint struct {
	Node     string // sN, or any
	Point    string
	Nth      int     // the occurrence that crashes (from 1); 0 when Prob is set
	Prob     float64 // per occurrence, when Nth is 0
	Downtime sim.Duration
}

// Fires reports whether spec c crashes server as it reaches point for the
// n-th time, the anyN-th time among all servers; flip decides a random
// spec (Nth 0) with its probability. The simulated and the live servers
// both decide by it.
func (c CrashPoint) Fires(server, point string, n, anyN int, flip func(p float64) bool) bool {
	switch {
	case c.Point != point || c.Node != "any" && c.Node != server:
		return false
	case c.Nth > 0 && c.Node == "any":
		return anyN == c.Nth
	case c.Nth > 0:
		return n == c.Nth
	}
	return flip(c.Prob)
}

func (c CrashPoint) String() string {
	s := c.Node + ":" + c.Point
	if c.Nth > 0 {
		s += "#" + strconv.Itoa(c.Nth)
	} else {
		s += "~" + strconv.FormatFloat(c.Prob, 'g', -1, 64)
	}
	return s + "+" + c.Downtime.String()
}

// CrashPointSyntax is the accepted form of a crash point, for error messages.
const CrashPointSyntax = "NODE:POINT[#N|~P][+DOWNTIME], e.g. s1:after-charge, s1:after-charge#3+2s or any:after-charge~0.1"

// ParseCrashPoint reads "s1:after-charge#3+2s".
func ParseCrashPoint(s string) (CrashPoint, error) {
	bad := func(why string) (CrashPoint, error) {
		return CrashPoint{}, fmt.Errorf("%q: %s (accepted: %s)", s, why, CrashPointSyntax)
	}
	node, rest, ok := strings.Cut(s, ":")
	if !ok {
		return bad("missing ':' between the server and the point")
	}
	if node != "any" && !validServer(node) {
		return bad("bad server " + strconv.Quote(node) + " (want sN or any)")
	}
	c := CrashPoint{Node: node, Nth: 1, Downtime: DefaultDowntime}
	rest, down, hasDown := strings.Cut(rest, "+")
	if hasDown {
		d, why := parseDowntime(down)
		if why != "" {
			return bad(why)
		}
		c.Downtime = d
	}
	if point, n, ok := strings.Cut(rest, "#"); ok {
		nth, okN := api.CanonicalInt(n, 1<<30)
		if !okN {
			return bad("bad occurrence " + strconv.Quote(n) + ", want an integer >= 1")
		}
		rest, c.Nth = point, nth
	} else if point, p, ok := strings.Cut(rest, "~"); ok {
		prob, err := strconv.ParseFloat(p, 64)
		if err != nil || !(prob > 0 && prob <= 1) {
			return bad("bad probability " + strconv.Quote(p) + ", want a number in (0, 1]")
		}
		rest, c.Nth, c.Prob = point, 0, prob
	}
	if !validWorker(rest) {
		return bad("bad point name " + strconv.Quote(rest) + " (lower-case letters, digits and '-')")
	}
	c.Point = rest
	if c.Node == "any" && c.Nth > 0 && c.Nth != 1 {
		return bad("#N needs one server: any counts nothing; use ~P with any")
	}
	return c, nil
}

// PauseSyntax is the accepted form of a pause, for error messages.
const PauseSyntax = "NODE@TIME+LENGTH, e.g. s2@3s+95s"

// ParsePause reads "s2@3s+95s": the process freezes at 3s for 95s.
func ParsePause(s string) (Crash, error) {
	c, hasLength, why := parseTimed(s)
	switch {
	case why != "":
	case !hasLength:
		why = "missing '+LENGTH'"
	default:
		if err := checkTimedTarget(PauseFault, c.Node); err != nil {
			why = err.Error()
		}
	}
	if why != "" {
		return Crash{}, fmt.Errorf("%q: %s (accepted: %s)", s, why, PauseSyntax)
	}
	return c, nil
}

// Plan is everything that goes wrong in a run, how often and when.
type Plan struct {
	Link Link // every link between clients and servers, unless a rule says otherwise
	// ServiceLink is every link between a server and a service (db, kv,
	// gateway, queue), unless a rule says otherwise. A message lost on it
	// breaks the connection: the caller sees a connection error.
	ServiceLink Link
	Links       []LinkRule // per-link overrides, later rules win
	Partitions  []Partition
	Crashes     []Crash      // server crashes (and store restarts) at chosen moments
	CrashEvery  sim.Duration // mean time between random server crashes (0: none)
	// ClientCrashes and ClientCrashEvery do the same for clients.
	ClientCrashes    []Crash
	ClientCrashEvery sim.Duration
	Downtime         sim.Duration // downtime of random crashes
	CrashPoints      []CrashPoint // crashes at steps the strategy names
	Pauses           []Crash      // processes frozen for a while (Downtime is the length)
	Failovers        []sim.Time   // moments the store fails over to its lagging replica

	// Per-call rates of the services' own faults.
	DBDropConnectionRate float64 // per statement inside a transaction
	DBLostCommitAckRate  float64 // per COMMIT
	GatewayTimeoutRate   float64 // per charge: it goes through, the answer never comes
	Gateway500Rate       float64 // per charge: it goes through, the answer is 500

	// Step faults put a crash, a pause or a store restart at a step of
	// the run rather than at a moment; idemsim explore turns them on to
	// choose where one falls (no flag sets them, and at 0 nothing is
	// drawn). At each step of a server's handler (as it is about to make
	// a service call, or to answer) the server crashes for Downtime with
	// probability StepCrashRate, or freezes for StepPause with
	// probability StepPauseRate; as a command reaches the store, the
	// store restarts first (its keys lost, down for Downtime) with
	// probability KVRestartRate. A fired one is logged anchored to its
	// step (Fault.Anchor).
	StepCrashRate, StepPauseRate, KVRestartRate float64
	StepPause                                   sim.Duration

	// Replay, when set, replaces every random fault decision: exactly the
	// listed message faults fire and no random crash is drawn. Timed faults
	// in the list are added to the plan's.
	Replay []Fault
}

func parseTime(s string) (sim.Time, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("malformed time %q, want a duration from the start like 2s or 1500ms", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("negative time %q", s)
	}
	if d > sim.MaxSpan {
		return 0, fmt.Errorf("time %q past the limit of %s", s, sim.MaxSpanText)
	}
	return sim.Time(d), nil
}

// parseDowntime reads how long a crashed node stays down (or a paused one
// frozen); why says what is wrong, "" if nothing.
func parseDowntime(s string) (d sim.Duration, why string) {
	d, err := time.ParseDuration(s)
	switch {
	case err != nil || d <= 0:
		return 0, "malformed downtime " + strconv.Quote(s) + ", want a duration > 0"
	case d > sim.MaxSpan:
		return 0, "downtime " + strconv.Quote(s) + " over the limit of " + sim.MaxSpanText
	}
	return d, ""
}

// Check says what is wrong with a plan built in code, or nil: every
// moment and duration in it must be one its flags and fault lines would
// accept (distributions as sim.ParseDist reads them, times and durations
// at most sim.MaxSpan). Setting names the flag that sets the culprit.
func (p *Plan) Check() (setting string, err error) {
	type delay struct {
		setting string
		d       sim.Dist
	}
	delays := []delay{{"delay", p.Link.Delay}, {"service-delay", p.ServiceLink.Delay}}
	for _, r := range p.Links {
		for _, a := range r.Assign {
			if a.Field == "delay" {
				delays = append(delays, delay{"link", a.Delay})
			}
		}
	}
	for _, v := range delays {
		if err := v.d.Check(); err != nil {
			return v.setting, fmt.Errorf("%v: %v", v.d, err)
		}
	}
	for _, part := range p.Partitions {
		if err := firstErr(checkSpan("time", sim.Duration(part.From)), checkSpan("time", sim.Duration(part.To))); err != nil {
			return "partition", fmt.Errorf("%s: %v", part, err)
		}
	}
	for _, l := range []struct {
		setting string
		list    []Crash
	}{{"crash", p.Crashes}, {"client-crash", p.ClientCrashes}, {"pause", p.Pauses}} {
		for _, c := range l.list {
			if err := c.check(); err != nil {
				return l.setting, fmt.Errorf("%s: %v", c, err)
			}
		}
	}
	for _, v := range []struct {
		setting string
		d       sim.Duration
	}{{"crash-every", p.CrashEvery}, {"client-crash-every", p.ClientCrashEvery}, {"downtime", p.Downtime}} {
		if err := checkSpan("duration", v.d); err != nil {
			return v.setting, err
		}
	}
	for _, cp := range p.CrashPoints {
		if err := checkSpan("downtime", cp.Downtime); err != nil {
			return "crash-at", fmt.Errorf("%s: %v", cp, err)
		}
	}
	for _, v := range []struct {
		setting string
		rate    float64
	}{{"step-crash", p.StepCrashRate}, {"step-pause", p.StepPauseRate}, {"kv-restart", p.KVRestartRate}} {
		if !(v.rate >= 0 && v.rate <= 1) {
			return v.setting, fmt.Errorf("rate %v is not a probability in [0, 1]", v.rate)
		}
	}
	if err := checkSpan("duration", p.StepPause); err != nil {
		return "step-pause", err
	}
	for _, t := range p.Failovers {
		if err := checkSpan("time", sim.Duration(t)); err != nil {
			return "kv-failover", err
		}
	}
	for _, f := range p.Replay {
		if err := f.check(); err != nil {
			return "replay", fmt.Errorf("%q: %v", f, err)
		}
	}
	return "", nil
}

// checkSpan is sim.CheckSpan naming the value: "downtime 200000h0m0s over
// the limit of 100000h".
func checkSpan(what string, d sim.Duration) error {
	if err := sim.CheckSpan(d); err != nil {
		return fmt.Errorf("%s %v %v", what, d, err)
	}
	return nil
}

// check says whether c's moment and downtime are in range.
func (c Crash) check() error {
	return firstErr(checkSpan("time", sim.Duration(c.At)), checkSpan("downtime", c.Downtime))
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func dur(t sim.Time) string { return time.Duration(t).String() }
