// Package shrink makes a failing run small enough to read. It replays the
// run from the faults that fired (so random fault decisions become an
// explicit list) and then removes what the violation does not need, by
// delta debugging: faults, and the attempts they name (a fault moves to an
// earlier attempt), whole client queues, worker slots, operations and
// servers (a random balancer becomes round-robin where it can), and
// finally virtual time after the violation, as long as the shorter run
// shows what its whole run shows. A candidate is kept only when the same
// kind of violation still shows (one of the audit's, or a partition
// porcupine finds illegal); every run it tries is deterministic, so the
// result replays with the same trace hash.
package shrink

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// Size is how big a run is, in the dimensions shrinking reduces.
type Size struct {
	Faults, Clients, Servers, Ops int // Ops: per client
	Deadline                      sim.Duration
}

func (s Size) String() string {
	return fmt.Sprintf("%s, %s, %s, %s per client, deadline %v",
		count(s.Faults, "fault"), count(s.Clients, "client"), count(s.Servers, "server"), count(s.Ops, "op"), s.Deadline)
}

// count is "1 fault", "3 faults".
func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// Result is a shrunk run.
type Result struct {
	Config    world.Config // the minimal run: its faults are Config.Faults.Replay
	Kind      check.Kind   // the violation it keeps
	From, To  Size
	Runs      int    // worlds run while shrinking
	TraceHash uint64 // the minimal run's
	Report    check.Report
	// Exhausted: the budget of runs ran out before shrinking was done, so
	// a larger one may remove more.
	Exhausted bool
	// Stop is why the minimal run stopped (sim.EventLimit or
	// world.MemoryLimit when the run shrunk stopped there too).
	Stop sim.StopReason
}

// ErrNoViolation is returned when the run to shrink shows no violation of
// the kind asked for.
var ErrNoViolation = errors.New("the run shows no violation to shrink")

// MinRuns is the smallest budget Minimize accepts: the failing run, then
// the same run replayed from the faults that fired, before anything can be
// removed.
const MinRuns = 2

// bigRun is the size (Config.HeldBytes) from which a world is run after a
// collection: see Run.
const bigRun = 64 << 20

// Minimize shrinks cfg, a run that shows a violation of kind (the first
// kind it shows, in check.Kinds order then check.NonLinearizable, if kind
// is ""), trying at most maxRuns worlds.
func Minimize(cfg world.Config, kind check.Kind, maxRuns int) (*Result, error) {
	if maxRuns < MinRuns {
		return nil, fmt.Errorf("shrink: a budget of %d runs is too small: the failing run and its replay take %d", maxRuns, MinRuns)
	}
	cfg.KeepTrace = false
	s := &shrinker{maxRuns: maxRuns, runs: 1}
	res, err := s.run(cfg)
	if err != nil {
		return nil, err
	}
	if kind == "" {
		kind = firstKind(res)
	}
	if kind == "" || len(shown(res, kind)) == 0 {
		return nil, fmt.Errorf("%w (of kind %s)", ErrNoViolation, orAny(kind))
	}
	// A run that stopped before it finished (at the event limit, or the
	// memory limit) is shrunk as it is: its candidates may stop there too.
	s.kind, s.cut = kind, world.StoppedShort(res.Stop)
	from, balancer, fired := sizeOf(cfg, len(res.Faults)), cfg.Balancer, len(res.Faults)
	// Replay exactly what fired: random fault decisions are off from here.
	cfg.Faults = explicit(cfg.Faults, res.Faults)
	res = nil // the list is all this shrink keeps of the run
	if !s.holds(&cfg) {
		return nil, fmt.Errorf("shrink: replaying the %d faults that fired does not show the %s again (a replay bug: idemsim run --faults-out, then --replay, should give the same trace hash)", fired, kind)
	}
	for round := 0; round < 4 && s.runs < s.maxRuns; round++ {
		before := sizeOf(cfg, len(cfg.Faults.Replay))
		s.changed = false
		s.reduce(&cfg)
		s.steady(&cfg)
		s.earlierCrashes(&cfg)
		if sizeOf(cfg, len(cfg.Faults.Replay)) == before && !s.changed {
			break
		}
	}
	s.deadline(&cfg, from.Deadline)
	if cfg.Deadline < from.Deadline && s.runs < s.maxRuns {
		// Stopped earlier, the run may no longer need a fault, a client or
		// an operation the whole run needed. One more round finds out; a
		// candidate counts only if its run stopped at the deadline agrees
		// with its whole run, as deadline itself demands (faithful).
		before := sizeOf(cfg, len(cfg.Faults.Replay))
		s.wholeRun = from.Deadline
		s.reduce(&cfg)
		s.wholeRun = 0
		if sizeOf(cfg, len(cfg.Faults.Replay)) != before {
			s.deadline(&cfg, from.Deadline)
		}
	}
	if cfg.Servers == 1 {
		// One server: no balancer chooses, so the original one stays and
		// the minimal run's flags do not name it.
		cfg.Balancer = balancer
	}
	final, err := s.run(cfg)
	if err != nil {
		return nil, err
	}
	if len(shown(final, kind)) == 0 {
		return nil, fmt.Errorf("shrink: the minimal run lost its %s (a nondeterminism bug)", kind)
	}
	return &Result{Config: cfg, Kind: kind, From: from, To: sizeOf(cfg, len(cfg.Faults.Replay)), Runs: s.runs + 1,
		TraceHash: final.TraceHash, Report: check.Audit(final), Exhausted: s.exhausted || s.runs >= s.maxRuns, Stop: final.Stop}, nil
}

// firstKind is the first kind of violation res shows, in check.Findings
// order ("" if none): the audit's, from one audit, then porcupine's.
func firstKind(res *world.Result) check.Kind {
	found := map[check.Kind]bool{}
	for _, v := range check.Audit(res).Violations {
		found[v.Kind] = true
	}
	for _, k := range check.Findings {
		if found[k] || k == check.NonLinearizable && len(illegal(res)) > 0 {
			return k
		}
	}
	return ""
}

// Run is world.Run for a shrink, whose memory must stay within what one
// run of the world takes: a large world is run after a collection. With
// idemsim's collector (GOGC=400) the heap may otherwise grow to five times
// what the last collection found live, and that collection may have come
// at the peak of the previous run: each run then starts where that one
// left off, and a shrink holds several runs' worth. Small worlds, which a
// shrink runs thousands of, skip it: it would cost more than they take.
func Run(cfg world.Config) (*world.Result, error) {
	MakeRoom(cfg)
	return world.Run(cfg)
}

// MakeRoom collects the garbage before cfg's world runs, if it is large
// (see Run).
func MakeRoom(cfg world.Config) {
	if cfg.HeldBytes() >= bigRun {
		runtime.GC()
	}
}

// run is Run, for the shrinker.
func (s *shrinker) run(cfg world.Config) (*world.Result, error) { return Run(cfg) }

func orAny(k check.Kind) string {
	if k == "" {
		return "any"
	}
	return string(k)
}

func sizeOf(cfg world.Config, nFaults int) Size {
	return Size{Faults: nFaults, Clients: cfg.Clients, Servers: cfg.Servers, Ops: cfg.OpsPerClient, Deadline: cfg.Deadline}
}

// explicit is plan with its random faults off and exactly list to replay;
// what is not a fault (delays, per-link rules, downtime) stays.
func explicit(plan faults.Plan, list []faults.Fault) faults.Plan {
	return faults.Plan{
		Link:        faults.Link{Delay: plan.Link.Delay},
		ServiceLink: faults.Link{Delay: plan.ServiceLink.Delay},
		Links:       plan.Links,
		Downtime:    plan.Downtime,
		Replay:      replayList(list),
	}
}

// replayList is the list of faults that fired, to replay: never nil, since
// a nil list turns random faults back on, and clipped, so that an append
// to it copies it rather than writing into what another list may share.
func replayList(fired []faults.Fault) []faults.Fault {
	if fired == nil {
		return []faults.Fault{}
	}
	return slices.Clip(fired)
}

type shrinker struct {
	kind    check.Kind
	maxRuns int
	runs    int
	// exhausted: a run was refused for want of budget.
	exhausted bool
	// cut: the run being shrunk stopped before it finished (cut), so a
	// candidate may stop that way too; else a candidate that does (one
	// that runs away) is refused.
	cut     bool
	changed bool // a timing was made constant this round
	// wholeRun, when set, is the deadline of the run being shrunk before
	// deadline cut it: a candidate stopped earlier must show nothing its
	// run to wholeRun does not.
	wholeRun sim.Duration
	// judge, when set, decides a candidate in place of one deterministic
	// run (MinimizeTolerant: reruns of a world that is not deterministic).
	judge func(*world.Config) bool
}

// holds runs cfg and reports whether it still shows the violation (and,
// stopped before s.wholeRun, agrees with its whole run: faithful); if it
// does, cfg's fault list becomes the faults that fired (a fault that no
// longer names anything is dropped).
func (s *shrinker) holds(cfg *world.Config) bool {
	if s.judge != nil {
		return s.judge(cfg)
	}
	if !s.spend() {
		return false
	}
	res, err := s.run(*cfg)
	if err != nil || world.StoppedShort(res.Stop) && !s.cut {
		return false // a candidate the world refuses, or one that runs away
	}
	if len(shown(res, s.kind)) == 0 || s.wholeRun > cfg.Deadline && !s.faithful(*cfg, res, s.wholeRun) {
		return false
	}
	// The run is done with: its list becomes the candidate's.
	cfg.Faults.Replay = replayList(res.Faults)
	return true
}

// spend counts a run against the budget, or reports that none is left.
func (s *shrinker) spend() bool {
	if s.runs >= s.maxRuns {
		s.exhausted = true
		return false
	}
	s.runs++
	return true
}

// faithful reports whether res, cfg's run stopped at its deadline, tells
// what the same run to the later deadline whole tells (agree).
func (s *shrinker) faithful(cfg world.Config, res *world.Result, whole sim.Duration) bool {
	if !s.spend() {
		return false
	}
	cfg.Deadline = whole
	all, err := s.run(cfg)
	return err == nil && s.agree(findings(res), findings(all))
}

// agree reports whether a run stopped early, which shows the violations
// cut, tells the same story as its whole run, which shows all, for the
// operations it keeps (those with a violation of s.kind, of which there
// must be one). Stopping early must not invent a violation (a payment
// still to come reads as lost), nor hide one (an operation whose client
// would give up reads as unfinished, not stuck, and a failure the audit
// names would look like one only porcupine sees). So every violation the
// cut run shows, of any kind, the whole run shows, and every violation
// the whole run shows of a kept operation, the cut run shows.
func (s *shrinker) agree(cut, all []violationKey) bool {
	kept := map[api.OpID]bool{}
	for _, v := range cut {
		if v.kind == s.kind {
			kept[v.op] = true
		}
		if !slices.Contains(all, v) {
			return false
		}
	}
	for _, v := range all {
		if kept[v.op] && !slices.Contains(cut, v) {
			return false
		}
	}
	return len(kept) > 0
}

// reduce is one pass of every reduction of the run's size: faults, the
// attempts they name, the balancer, queues, worker slots, operations and
// servers.
func (s *shrinker) reduce(cfg *world.Config) {
	s.faultList(cfg)
	s.attempts(cfg)
	s.balancer(cfg)
	s.queues(cfg)
	s.slots(cfg)
	s.ops(cfg)
	s.servers(cfg)
}

// try applies layout l to base and, if the violation holds, makes the
// result cfg. Candidates are built from the pass's starting point, so that
// ddmin's item numbers keep their meaning after a success renumbers cfg.
func (s *shrinker) try(cfg *world.Config, base world.Config, l layout) bool {
	c, ok := l.apply(base)
	if !ok || !s.holds(&c) {
		return false
	}
	*cfg = c
	return true
}

// balancer tries round-robin in place of a random balancer. A random
// choice draws from the network's stream, so it moves whenever a client,
// an operation or a latency goes, and the retry that reached another
// server may reach the same one; round-robin sends the attempts of a
// lone client to s1, s2, ... in turn, whatever else the run holds, and
// reads more easily in a timeline. The servers are tried renamed in turn
// (s1 as s2, s2 as s3, ...) with their faults, so that the first request
// can meet the server the violation needs, whichever that was.
func (s *shrinker) balancer(cfg *world.Config) {
	if cfg.Balancer != world.Random || cfg.Servers < 2 {
		return
	}
	base := *cfg
	base.Balancer = world.RoundRobin
	for r := range base.Servers {
		l := identity(base)
		l.rotate = r
		if s.try(cfg, base, l) {
			s.changed = true
			return
		}
	}
}

// queues removes whole queues (and their clients).
func (s *shrinker) queues(cfg *world.Config) {
	base := *cfg
	ddmin(seq(base.Clients/base.WorkersPerOp), func(kept []int) bool {
		return len(kept) > 0 && s.try(cfg, base, identity(base).withQueues(kept))
	})
}

// slots removes workers that share a queue.
func (s *shrinker) slots(cfg *world.Config) {
	base := *cfg
	ddmin(seq(base.WorkersPerOp), func(kept []int) bool {
		return len(kept) > 0 && s.try(cfg, base, identity(base).withSlots(kept))
	})
}

// ops removes operations, at the same positions in every queue.
func (s *shrinker) ops(cfg *world.Config) {
	base := *cfg
	ddmin(seq(base.OpsPerClient), func(kept []int) bool {
		return len(kept) > 0 && s.try(cfg, base, identity(base).withOps(kept))
	})
}

// faultList removes faults.
func (s *shrinker) faultList(cfg *world.Config) {
	base := *cfg
	ddmin(seq(len(base.Faults.Replay)), func(kept []int) bool {
		c := base
		c.Faults.Replay = make([]faults.Fault, len(kept))
		for i, k := range kept {
			c.Faults.Replay[i] = base.Faults.Replay[k-1]
		}
		if !s.holds(&c) {
			return false
		}
		*cfg = c
		return true
	})
}

// servers tries fewer servers, fewest first.
func (s *shrinker) servers(cfg *world.Config) {
	base := *cfg
	for n := 1; n < base.Servers; n++ {
		for _, fold := range []bool{true, false} {
			l := identity(base)
			l.servers, l.fold = n, fold
			if s.try(cfg, base, l) {
				return
			}
		}
	}
}

// Timings are the run's random durations the shrinker tries to make
// constant, each by itself: a timeline of round numbers reads more easily,
// and constant timing lets unrelated clients and faults go without moving
// the ones that matter.
var Timings = []struct {
	Name string
	Of   func(*world.Config) *sim.Dist
}{
	{"think", func(c *world.Config) *sim.Dist { return &c.Client.Think }},
	{"delay", func(c *world.Config) *sim.Dist { return &c.Faults.Link.Delay }},
	{"service-delay", func(c *world.Config) *sim.Dist { return &c.Faults.ServiceLink.Delay }},
	{"service-time", func(c *world.Config) *sim.Dist { return &c.ServiceTime }},
	{"gateway-time", func(c *world.Config) *sim.Dist { return &c.Services.GatewayTime }},
	{"db-latency", func(c *world.Config) *sim.Dist { return &c.DB.StatementLatency }},
}

// steady makes each timing constant at its typical value (think time also
// at zero), keeping each change the violation survives.
func (s *shrinker) steady(cfg *world.Config) {
	for i, t := range Timings {
		d := *t.Of(cfg)
		if d.Kind == sim.DistConst {
			continue
		}
		tries := []sim.Dist{sim.Const(typical(d))}
		if i == 0 {
			tries = append([]sim.Dist{sim.Const(0)}, tries...)
		}
		for _, to := range tries {
			c := *cfg
			*t.Of(&c) = to
			if s.holds(&c) {
				*cfg, s.changed = c, true
				break
			}
		}
	}
}

// typical is a distribution's middle, to the microsecond: the median of a
// log-normal, the mean of an exponential, the midpoint of a uniform.
func typical(d sim.Dist) sim.Duration {
	v := d.Min
	switch d.Kind {
	case sim.DistLogNormal:
		v = d.Median
	case sim.DistUniform:
		v = (d.Min + d.Max) / 2
	}
	return v.Round(time.Microsecond)
}

// earlierCrashes moves each crash at a named step to an earlier time the
// step is reached (#1 before #3), which may let operations go.
func (s *shrinker) earlierCrashes(cfg *world.Config) {
	for i := 0; i < len(cfg.Faults.Replay); i++ {
		f := cfg.Faults.Replay[i]
		if f.Kind != faults.CrashAtFault {
			continue
		}
		for nth := 1; nth < f.Point.Nth; nth++ {
			c := *cfg
			c.Faults.Replay = slices.Clone(cfg.Faults.Replay)
			c.Faults.Replay[i].Point.Nth = nth
			if s.holds(&c) {
				*cfg = c
				break
			}
		}
	}
}

// deadline finds, to the millisecond, the earliest deadline at which the
// run stopped there still shows the violation and agrees with its run to
// whole, the deadline shrinking started from. The search takes a deadline
// that agrees to agree when later too; where it does not (an effect that
// lands in between), the search may settle later than it could, never on
// a deadline that does not agree: the one it keeps is checked.
func (s *shrinker) deadline(cfg *world.Config, whole sim.Duration) {
	if !s.spend() {
		return
	}
	c := *cfg
	c.Deadline = whole
	full, err := s.run(c)
	if err != nil {
		return
	}
	all, end := findings(full), full.End
	full = nil
	ok := func(d sim.Duration) bool {
		if !s.spend() {
			return false
		}
		c := *cfg
		c.Deadline = d
		res, err := s.run(c)
		return err == nil && s.agree(findings(res), all)
	}
	hi := (min(cfg.Deadline, end.Sub(0)) + time.Millisecond).Truncate(time.Millisecond)
	lo := sim.Duration(0)
	for hi-lo > time.Millisecond && s.runs < s.maxRuns {
		mid := (lo + (hi-lo)/2).Truncate(time.Millisecond)
		if mid <= lo {
			break
		}
		if ok(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	if hi < cfg.Deadline && ok(hi) {
		cfg.Deadline = hi
	}
}

// violationKey is what identifies a violation across a run and its
// prefix: its kind and operation.
type violationKey struct {
	kind check.Kind
	op   api.OpID
}

// shown lists the violations of kind a run shows: the audit's, or for
// check.NonLinearizable one per operation of each partition porcupine
// finds illegal (a search that ran out of time finds nothing).
func shown(res *world.Result, kind check.Kind) []violationKey {
	var out []violationKey
	if kind != check.NonLinearizable {
		for _, v := range check.Audit(res).Violations {
			if v.Kind == kind {
				out = append(out, violationKey{v.Kind, v.Op})
			}
		}
		return out
	}
	return illegal(res)
}

// findings lists every violation a run shows, of every kind either oracle
// names: the audit's, then porcupine's.
func findings(res *world.Result) []violationKey {
	var out []violationKey
	for _, v := range check.Audit(res).Violations {
		out = append(out, violationKey{v.Kind, v.Op})
	}
	return append(out, illegal(res)...)
}

// illegal is one check.NonLinearizable violation per operation of each
// partition porcupine finds illegal (none for a contract porcupine has no
// specification of).
func illegal(res *world.Result) []violationKey {
	lin, err := check.Linearize(res, 0)
	if err != nil {
		return nil
	}
	var out []violationKey
	for _, op := range lin.IllegalOps() {
		out = append(out, violationKey{check.NonLinearizable, op})
	}
	return out
}

// seq is 1..n.
func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

// ddmin is Zeller's delta debugging by complements: it removes ever
// smaller chunks of items while test accepts what is left, down to single
// items, and returns what is left (1-minimal: no single item can go).
// test is called on candidates only; it keeps its own state on success.
func ddmin(items []int, test func([]int) bool) []int {
	n := 2
	for len(items) >= 2 {
		chunk := (len(items) + n - 1) / n
		reduced := false
		for lo := 0; lo < len(items); lo += chunk {
			hi := min(lo+chunk, len(items))
			rest := slices.Concat(items[:lo], items[hi:])
			if test(rest) {
				items, n, reduced = rest, max(n-1, 2), true
				break
			}
		}
		if !reduced {
			if chunk == 1 {
				break
			}
			n = min(2*n, len(items))
		}
	}
	if len(items) == 1 && test(nil) {
		return nil
	}
	return items
}
