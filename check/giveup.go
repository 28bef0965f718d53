package check

import (
	"strconv"
	"strings"
	"time"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// GiveUp is why a client ran out of attempts on an operation (a stuck or
// an unconfirmed one), read from what its requests were answered and
// what happened to the servers that handled its operation: a class, for
// counting, and the particulars.
type GiveUp struct {
	Class  GiveUpClass
	Detail string
}

func (g GiveUp) String() string {
	if g.Detail == "" {
		return string(g.Class)
	}
	return string(g.Class) + " (" + g.Detail + ")"
}

// GiveUpClass is the kind of reason a client gave up.
type GiveUpClass string

// The classes of GiveUp. The first three are a key that stayed in
// progress, told apart by what became of the request holding it; the
// others are answers that never let the client finish.
const (
	// A request of the operation was on a server that crashed: whatever
	// it held (a key in progress, a lock) stays held until a lease or a
	// TTL frees it, if there is one.
	HeldByCrashed GiveUpClass = "key held by a crashed request"
	// A request of the operation was on a server that froze.
	HeldByPaused GiveUpClass = "key held by a paused request"
	// Every answer said the key is in progress, and no server handling the
	// operation crashed or froze: the first request was slow, or its
	// failure left the key held.
	HeldInProgress GiveUpClass = "key held in progress"
	// The work was accepted (202) and polled, and never finished: its job
	// was never sent, or never ran to the end.
	NeverDone GiveUpClass = "accepted, never done"
	// No attempt was answered: requests or responses lost, servers down.
	NoAnswer GiveUpClass = "no answer"
	// The answers were server errors (5xx) to the end.
	ServerErrors GiveUpClass = "server errors"
	// The client ran out of attempts on answers it reads as "try again"
	// that are none of the above.
	Refused GiveUpClass = "refused"
)

// ClassCount is how many operations gave up for one class of reason.
type ClassCount struct {
	Class GiveUpClass
	Count int
}

func tally(counts []ClassCount, c GiveUpClass) []ClassCount {
	for i := range counts {
		if counts[i].Class == c {
			counts[i].Count++
			return counts
		}
	}
	return append(counts, ClassCount{c, 1})
}

// giveUps explains give-ups in one run.
type giveUps struct {
	res      *world.Result
	attempts map[string][]world.Attempt // by client and operation
	stops    []serverStop               // crashes and pauses of servers
	lease    sim.Duration
	leases   bool // the strategy has a lease switch
}

// serverStop is a server crash or pause, from the faults that fired.
type serverStop struct {
	node     string
	at       sim.Time
	downtime sim.Duration
	paused   bool
}

func newGiveUps(res *world.Result) *giveUps {
	g := &giveUps{res: res, attempts: make(map[string][]world.Attempt)}
	for _, a := range res.History {
		k := a.Client + " " + a.Op.String()
		g.attempts[k] = append(g.attempts[k], a)
	}
	for _, f := range res.Faults {
		switch f.Kind {
		case faults.CrashFault, faults.PauseFault:
			if strings.HasPrefix(f.Crash.Node, "s") {
				g.stops = append(g.stops, serverStop{f.Crash.Node, f.Crash.At, f.Crash.Downtime, f.Kind == faults.PauseFault})
			}
		case faults.CrashAtFault:
			g.stops = append(g.stops, serverStop{f.Point.Node, f.At, f.Point.Downtime, false})
		}
	}
	for _, sw := range res.Config.Strategy.Switches {
		g.leases = g.leases || sw == api.SwitchLease
	}
	if st, err := res.Config.Settings(); err == nil {
		g.lease = st.Lease
	}
	return g
}

// of explains why the client of o (which ran out of attempts) did.
func (g *giveUps) of(o world.Outcome) *GiveUp {
	own := g.attempts[o.Client+" "+o.Op.String()]
	var answered, inProgress, accepted, serverErrors int
	for _, a := range own {
		switch {
		case a.TimedOut:
			continue
		case a.Status == api.StatusAccepted:
			accepted++
		case inProgressStatus(a.Status):
			inProgress++
		case a.Status >= 500:
			serverErrors++
		}
		answered++
	}
	span := o.End.Sub(o.Start)
	tried := plural(len(own), "attempt") + " over " + span.Round(time.Millisecond).String()
	switch {
	case answered == 0:
		return &GiveUp{Class: NoAnswer, Detail: tried + ", none answered"}
	case accepted > 0 && accepted+serverErrors == answered:
		return &GiveUp{Class: NeverDone, Detail: strconv.Itoa(accepted) + " of " + tried + " answered 202"}
	case inProgress > 0:
		class, holder := HeldInProgress, ""
		if s, ok := g.stopOf(o.Op, o.End); ok {
			class = HeldByCrashed
			what := "crashed"
			if s.paused {
				class, what = HeldByPaused, "froze"
			}
			holder = "; " + s.node + " " + what + " at " + s.at.String() + " handling it"
		}
		return &GiveUp{Class: class, Detail: strconv.Itoa(inProgress) + " of " + tried + " told in progress" + holder + "; " + g.leaseText(span)}
	case serverErrors == answered:
		return &GiveUp{Class: ServerErrors, Detail: strconv.Itoa(serverErrors) + " of " + tried + " answered 5xx"}
	}
	return &GiveUp{Class: Refused, Detail: tried + ", the last answered " + strconv.Itoa(lastStatus(own))}
}

// stopOf finds the first crash or pause of a server while it held a request
// of op: after the request reached it (its call), before the client gave up
// (by), and, when the request was answered, before the answer.
func (g *giveUps) stopOf(op api.OpID, by sim.Time) (serverStop, bool) {
	var found serverStop
	ok := false
	for _, a := range g.res.History {
		if a.Op != op {
			continue
		}
		for _, s := range g.stops {
			if s.node != a.Server || s.at < a.Call || s.at > by || !a.TimedOut && s.at > a.Return {
				continue
			}
			if !ok || s.at < found.at {
				found, ok = s, true
			}
		}
	}
	return found, ok
}

// leaseText says what frees a key held in progress, against how long the
// client kept trying.
func (g *giveUps) leaseText(span sim.Duration) string {
	switch {
	case !g.leases:
		return "the strategy has no lease"
	case g.lease == 0:
		return "no lease frees it (lease=none)"
	case g.lease > span:
		return "its lease of " + g.lease.String() + " outlasts the client's " + span.Round(time.Millisecond).String() + " of retries"
	}
	return "its lease of " + g.lease.String() + " expired within the client's retries, and still no retry finished it"
}

// inProgressStatus: the answers strategies give a request whose key another
// request holds (409 in progress, 423 locked, 429 with Retry-After).
func inProgressStatus(status int) bool {
	return status == api.StatusConflict || status == api.StatusLocked || status == api.StatusTooManyRequests
}

func lastStatus(attempts []world.Attempt) int {
	for i := len(attempts) - 1; i >= 0; i-- {
		if !attempts[i].TimedOut {
			return attempts[i].Status
		}
	}
	return 0
}
