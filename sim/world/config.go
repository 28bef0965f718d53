package world

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/db"
	"github.com/idemsim/idemsim/sim/db/sql"
	"github.com/idemsim/idemsim/sim/gateway"
	"github.com/idemsim/idemsim/sim/kv"
	"github.com/idemsim/idemsim/sim/queue"
)

// Balancer is how requests are spread over the servers.
type Balancer string

// The balancers.
const (
	RoundRobin Balancer = "round-robin"
	Random     Balancer = "random"
)

// KeyOnRestart is what a client does with its idempotency key when it
// restarts after a crash in the middle of an operation.
type KeyOnRestart string

// The key policies.
const (
	KeyPersist    KeyOnRestart = "persist"    // the key was stored with the intent
	KeyRegenerate KeyOnRestart = "regenerate" // the key lived in memory: mint a new one
)

// ClientConfig is how every client behaves.
type ClientConfig struct {
	TimeoutPerAttempt sim.Duration
	Attempts          int          // attempt budget per operation, polls included
	BackoffBase       sim.Duration // full jitter: sleep U[0, min(cap, base·2^(n-1)))
	BackoffCap        sim.Duration
	PollInterval      sim.Duration
	Think             sim.Dist // pause before each new operation
	Policy            Policy
	KeyOnRestart      KeyOnRestart
	// IgnoreRetryAfter: the client reads a status by the policy alone. By
	// default an error that carries Retry-After (a 409 for a key still in
	// flight, a 429 for a held lock) means try again after that long,
	// whatever the policy says of its status.
	IgnoreRetryAfter bool
	// NewKeyAfter5xx: after a 5xx the client retries under a new key (the
	// integration habit Stripe's docs call for after a stored 5xx, and a
	// bug where the effect had in fact happened).
	NewKeyAfter5xx bool
	// OpDeadline: the client stops retrying an operation this long after
	// its first attempt (0: only the attempt budget bounds it).
	OpDeadline sim.Duration
	// ReuseKeyRate is the probability that an operation carries the key of
	// the one before it in its queue, with its own payload: the client bug
	// that reuses a key for a new intent.
	ReuseKeyRate float64
	// SamePaymentRate is the probability that an operation asks for the
	// same payment (amount, currency, description) as the one before it: a
	// legitimate second identical payment, under its own key.
	SamePaymentRate float64
	// DeleteRate is the probability that an operation deletes the payment
	// the one before it in its queue created, under the same key (the
	// resource's id for a client-chosen id), once that create is done.
	// Only a strategy with a delete handler accepts it.
	DeleteRate float64
}

// DBConfig is the database node: its isolation level and its timing.
type DBConfig struct {
	// Isolation is the level of a transaction that asks for the default:
	// any PostgreSQL level, or dirty-reads and serializable-2pl, which the
	// engine then runs for READ UNCOMMITTED and SERIALIZABLE.
	Isolation sql.Level
	// SSILocks is what serializable's read locks cover: pages and tables
	// as PostgreSQL takes them (the default), or only the keys looked up.
	SSILocks         db.SSIGranularity
	PoolSize         int      // connections per server
	StatementLatency sim.Dist // the database's own time per statement, on top of the link's
	StatementTimeout sim.Duration
	LockTimeout      sim.Duration
	DeadlockTimeout  sim.Duration
	// ReplicaLag is how far the read replica (Env.Replica) is behind the
	// primary: it has replayed the commits made that long ago.
	ReplicaLag sim.Duration
}

// ServiceConfig is the store, the gateway and the queue.
type ServiceConfig struct {
	KV             kv.Config
	Gateway        gateway.Config
	GatewayTime    sim.Dist     // how long the gateway takes to process a charge
	GatewayTimeout sim.Duration // how long a server waits for the gateway's answer
	Queue          queue.Config
}

// Clock is one node's clock: it reads Offset + Drift·t at true virtual time
// t, so a node that checks a lease or a TTL by its own clock can be wrong.
type Clock struct {
	Node   string
	Offset sim.Duration
	Drift  float64 // 1: a perfect rate
}

// Config is one run: the world, the strategy under test, and the faults.
type Config struct {
	Seed     uint64
	Strategy api.Strategy
	// Switches override the strategy's default switches, each NAME=VALUE
	// as api.Switches.Set reads it ("lease=5s").
	Switches []string
	// Charge: the business operation charges the gateway before it
	// records the payment (api.Settings.Charge).
	Charge       bool
	Servers      int
	Balancer     Balancer
	Clients      int
	OpsPerClient int
	// WorkersPerOp clients consume each queue, so each business operation is
	// submitted by that many clients at once with the same key (two workers
	// handed the same queue message).
	WorkersPerOp int
	Client       ClientConfig
	ServiceTime  sim.Dist // a server's work per request before the handler decides
	DB           DBConfig
	Services     ServiceConfig
	Clocks       []Clock // nodes whose clocks are off; the rest read true time
	Faults       faults.Plan
	Deadline     sim.Duration // virtual time after which the run stops
	// Settle is how long a strategy's background workers may go on after
	// the last client finished (jobs to finish, reapers to run); then the
	// run stops, since such workers would poll forever.
	Settle    sim.Duration
	MaxEvents uint64
	KeepTrace bool // keep the trace's records to print them
	// TimeScale is the factor Scaled multiplied the world's long
	// durations by (zero: none), and ScaledSpans what it changed, for the
	// summary.
	TimeScale   TimeScale
	ScaledSpans []ScaledSpan
	// LogStatements collects every statement the strategy's handlers and
	// workers send to the database, with its answer and whether it waited
	// for a lock, in Result.Statements. It observes only: a run logs the
	// same trace with it or without it.
	LogStatements bool
}

// Limits on the size of a world. What a run holds is bounded by HeldBytes,
// which MaxRunBytes limits; the limits on servers, clients and operations
// per client bound each flag by itself.
const (
	MaxServers  = 1000
	MaxClients  = 10000
	MaxOps      = 32767
	MaxPoolSize = 10000
)

// What a run holds, at most: the live heap once the run and both oracles
// are done, as BenchmarkRunMemory (sim/world/memory_test.go) measures it
// in the worlds that hold the most, rounded up with room to spare. The
// world counts what it holds as it goes by these figures (World.held),
// and TestRunMemoryWithinBound checks that no such world holds more than
// its count says.
const (
	// BytesPerOp is an operation with its first attempt: its workload
	// entry, outcome and history entry, the rows, versions and
	// transactions its database work leaves, its gateway charge, and the
	// oracles' share. The most measured, 7.8 KiB: async-202-dual-write at
	// serializable, charging, its request duplicated.
	BytesPerOp = 10 << 10
	// BytesPerAttempt is a further attempt's history entry, with the
	// oracles' share of it.
	BytesPerAttempt = 256
	// BytesPerExecution is a further request a server handles (a retry,
	// a duplicate): the rows and transactions it leaves, its gateway
	// charge. The most measured, 1.7 KiB: naive, charging.
	BytesPerExecution = 2 << 10
	// BytesPerFault is a fault that fired, in the run's list of them.
	BytesPerFault = 320
	// BytesPerRecord is a trace record kept to print it (--trace, --out):
	// 48 bytes, in a list that grows by a quarter at a time.
	BytesPerRecord = 64
	// TraceBytesPerOp is what a kept trace adds per operation with its
	// first attempt: 80 records, the most measured (async-202-dual-write).
	TraceBytesPerOp = 80 * BytesPerRecord
	// MaxRunBytes bounds what a run holds: its operations before it
	// starts (HeldBytes), and all it holds as it goes. The collector lets
	// the heap grow past what is live (GOGC is 400 for idemsim): see
	// docs/running.md, "What a run may hold", for the peak.
	MaxRunBytes = 1 << 30
)

// maxRunBytes is MaxRunBytes, which tests lower to reach the bound with
// small worlds.
var maxRunBytes uint64 = MaxRunBytes

// HeldBytes is what the run's operations hold, each with its first
// attempt (and its trace, when kept): Validate refuses a run whose
// operations alone would pass MaxRunBytes. Further attempts, the requests
// they make a server handle, the faults that fire and the trace records
// kept add to it as the run goes, and the world stops a run when the
// whole passes the bound (MemoryLimit).
func (c *Config) HeldBytes() uint64 {
	return c.totalOps() * c.bytesPerOp()
}

// bytesPerOp is what one operation holds by HeldBytes's count.
func (c *Config) bytesPerOp() uint64 {
	if c.KeepTrace || c.LogStatements {
		// A statement log takes about what a trace takes.
		return BytesPerOp + TraceBytesPerOp
	}
	return BytesPerOp
}

// totalOps is clients x operations per client: every client's operations,
// those workers share counted once per worker.
func (c *Config) totalOps() uint64 {
	return uint64(max(c.Clients, 0)) * uint64(max(c.OpsPerClient, 0))
}

// DefaultEventsPerOp sizes the default event limit: a run that needs more
// events than this per operation, plus a million, is stuck in a loop (a
// crash every nanosecond) and stops with a clear message.
const DefaultEventsPerOp = 2000

// EventLimit is the run's bound on events: MaxEvents if set, else a million
// plus DefaultEventsPerOp per operation.
func (c *Config) EventLimit() uint64 {
	if c.MaxEvents > 0 {
		return c.MaxEvents
	}
	return BaseEvents + DefaultEventsPerOp*uint64(c.Clients)*uint64(c.OpsPerClient)
}

// Defaults returns the built-in world: 3 servers behind a round-robin
// balancer, 16 clients with 50 operations each, lognormal latency (median
// 5ms), a 1s timeout per attempt, 8 attempts with full-jitter backoff, and no
// faults.
func Defaults() Config {
	return Config{
		Seed:         1,
		Servers:      3,
		Balancer:     RoundRobin,
		Clients:      16,
		OpsPerClient: 50,
		WorkersPerOp: 1,
		Client: ClientConfig{
			TimeoutPerAttempt: time.Second,
			Attempts:          8,
			BackoffBase:       100 * time.Millisecond,
			BackoffCap:        5 * time.Second,
			PollInterval:      500 * time.Millisecond,
			Think:             sim.Exp(500 * time.Millisecond),
			Policy:            DefaultPolicy(),
			KeyOnRestart:      KeyPersist,
		},
		ServiceTime: sim.LogNormal(2*time.Millisecond, 0.5),
		DB: DBConfig{
			Isolation:        sql.ReadCommitted,
			PoolSize:         10,
			StatementLatency: sim.Const(0),
			DeadlockTimeout:  time.Second,
		},
		Services: ServiceConfig{
			KV:             kv.Config{Policy: kv.NoEviction},
			Gateway:        gateway.DefaultConfig(),
			GatewayTime:    sim.LogNormal(200*time.Millisecond, 0.5),
			GatewayTimeout: 10 * time.Second,
			Queue:          queue.DefaultConfig(),
		},
		Faults: faults.Plan{
			Link:        faults.Link{Delay: sim.LogNormal(5*time.Millisecond, 0.5)},
			ServiceLink: faults.Link{Delay: sim.LogNormal(250*time.Microsecond, 0.3)},
			Downtime:    faults.DefaultDowntime,
		},
		Deadline: 24 * time.Hour,
		Settle:   time.Minute,
	}
}

// ConfigError is a setting of a Config that is out of range. Setting is the
// setting's name as the command line spells its flag.
type ConfigError struct {
	Setting string
	Msg     string
}

func (e *ConfigError) Error() string { return e.Setting + ": " + e.Msg }

func bad(setting, format string, args ...any) error {
	return &ConfigError{Setting: setting, Msg: fmt.Sprintf(format, args...)}
}

// Validate reports the first thing wrong with c, naming the setting and the
// accepted range. The scalar settings' ranges are the tables of
// config_settings.go.
func (c *Config) Validate() error {
	if c.Strategy.Boot == nil {
		return bad("strategy", "no strategy")
	}
	for _, s := range IntSettings {
		if err := s.check(c); err != nil {
			return err
		}
	}
	switch {
	case c.HeldBytes() > maxRunBytes:
		return c.heldError()
	case c.WorkersPerOp < WorkersPerOp.Lo || c.Clients%c.WorkersPerOp != 0:
		return bad("workers-per-op", "%d must be >= %d and divide clients (%d)", c.WorkersPerOp, WorkersPerOp.Lo, c.Clients)
	case c.Balancer != RoundRobin && c.Balancer != Random:
		return bad("balancer", "%q (accepted: %s, %s)", c.Balancer, RoundRobin, Random)
	case c.Client.KeyOnRestart != KeyPersist && c.Client.KeyOnRestart != KeyRegenerate:
		return bad("key-on-restart", "%q (accepted: %s, %s)", c.Client.KeyOnRestart, KeyPersist, KeyRegenerate)
	case c.DB.Isolation < sql.ReadCommitted || c.DB.Isolation > sql.Serializable2PL:
		return bad("isolation", "%v (accepted: %s)", c.DB.Isolation, strings.Join(sql.LevelNames(), ", "))
	}
	for _, s := range DurationSettings {
		if err := s.checkLow(c); err != nil {
			return err
		}
	}
	if c.Client.BackoffCap < c.Client.BackoffBase {
		return bad("backoff-base", "%v with backoff-cap %v: want 0 <= base <= cap", c.Client.BackoffBase, c.Client.BackoffCap)
	}
	for _, s := range RateSettings {
		if err := s.check(c); err != nil {
			return err
		}
	}
	if err := c.validateSpans(); err != nil {
		return err
	}
	for _, err := range []error{c.validateClocks(), c.validateCrashPoints(), c.validateServices(), c.validateStrategy()} {
		if err != nil {
			return err
		}
	}
	return c.validateNodes()
}

// heldError says how much more than MaxRunBytes the run's operations
// hold, and how many fit.
func (c *Config) heldError() error {
	each := "with its first attempt"
	fit := ""
	if c.KeepTrace {
		each, fit = "with its first attempt and its trace", " with the trace kept"
	}
	return bad("ops", "clients x ops = %d x %d = %d operations may hold %s (%s each, %s), over the limit of %s (accepted: clients x ops at most %d%s)",
		c.Clients, c.OpsPerClient, c.totalOps(), FormatBytes(c.HeldBytes()), FormatBytes(c.bytesPerOp()), each, FormatBytes(maxRunBytes), maxRunBytes/c.bytesPerOp(), fit)
}

// FormatBytes is n in the largest binary unit that leaves at least 1, to
// one decimal: 8 KiB, 1.5 GiB.
func FormatBytes(n uint64) string {
	units := []string{"bytes", "KiB", "MiB", "GiB", "TiB"}
	v, u := float64(n), 0
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) + " " + units[u]
}

// validateNodes checks that every node the fault plan names exists.
func (c *Config) validateNodes() error {
	p := &c.Faults
	crash := func(setting string, cr faults.Crash) error {
		switch {
		case setting == "client-crash" && cr.Node != "any" && !c.isNode(cr.Node, 'c'):
			return bad(setting, "%s: no client %s (clients are c1..c%d)", cr, cr.Node, c.Clients)
		case setting == "crash" && cr.Node != "any" && cr.Node != "kv" && !c.isNode(cr.Node, 's'):
			return bad(setting, "%s: no server %s (servers are s1..s%d; kv restarts the store)", cr, cr.Node, c.Servers)
		case setting == "pause" && !c.isNode(cr.Node, 's') && !c.isNode(cr.Node, 'c'):
			return bad(setting, "%s: no server or client %s (this run has %s)", cr, cr.Node, c.describeNodes())
		}
		return nil
	}
	set := func(setting, what string, s faults.NodeSet) error {
		for _, name := range s {
			switch name {
			case "*", "clients", "servers", "services":
				continue
			}
			if _, ok := api.ParseService(name); ok {
				continue
			}
			if !c.isNode(name, name[0]) {
				return bad(setting, "%s: no node %s (this run has %s)", what, name, c.describeNodes())
			}
		}
		return nil
	}
	for _, cr := range p.Crashes {
		if err := crash("crash", cr); err != nil {
			return err
		}
	}
	for _, cr := range p.ClientCrashes {
		if err := crash("client-crash", cr); err != nil {
			return err
		}
	}
	for _, cr := range p.Pauses {
		if err := crash("pause", cr); err != nil {
			return err
		}
	}
	for _, r := range p.Links {
		if err := firstError(set("link", r.String(), r.A), set("link", r.String(), r.B)); err != nil {
			return err
		}
	}
	for _, part := range p.Partitions {
		if err := firstError(set("partition", part.String(), part.A), set("partition", part.String(), part.B)); err != nil {
			return err
		}
	}
	for _, f := range p.Replay {
		var err error
		switch {
		case f.Kind == faults.CrashFault:
			err = crash("crash", f.Crash)
		case f.Kind == faults.ClientCrashFault:
			err = crash("client-crash", f.Crash)
		case f.Kind == faults.PauseFault:
			err = crash("pause", f.Crash)
		case f.Kind == faults.PartitionFault:
			err = firstError(set("partition", f.Partition.String(), f.Partition.A), set("partition", f.Partition.String(), f.Partition.B))
		case f.Kind == faults.CrashAtFault:
			err = c.checkCrashPoint(f.Point)
		case f.Kind.OnMessage() && f.Msg.Worker != "" && !c.isNode(f.Msg.Caller, 's'):
			err = bad("replay", "%q: no server %s (servers are s1..s%d)", f, f.Msg.Caller, c.Servers)
		case f.Kind.OnMessage() && f.Msg.Worker == "" && !c.isNode(f.Msg.Caller, 'c'):
			err = bad("replay", "%q: no client %s (clients are c1..c%d)", f, f.Msg.Caller, c.Clients)
		case f.Kind.OnMessage() && f.Msg.Worker == "" && !c.isOp(f.Msg.Op):
			err = bad("replay", "%q: no operation %s (this run has o1.1..o%d.%d)", f, f.Msg.Op, c.Clients/max(1, c.WorkersPerOp), c.OpsPerClient)
		}
		if err == nil && f.Anchored() && (!c.isNode(f.Anchor.Caller, 'c') || !c.isOp(f.Anchor.Op)) {
			err = bad("replay", "%q: no request %s in this run (it has %s, operations o1.1..o%d.%d)", f, f.Anchor, c.describeNodes(), c.Clients/max(1, c.WorkersPerOp), c.OpsPerClient)
		}
		if err != nil {
			return &ConfigError{Setting: "replay", Msg: err.(*ConfigError).Msg}
		}
	}
	return nil
}

// isOp reports whether o is an operation of this world.
func (c *Config) isOp(o api.OpID) bool {
	return o.Queue >= 1 && int(o.Queue) <= c.Clients/max(1, c.WorkersPerOp) && o.Index >= 1 && int(o.Index) <= c.OpsPerClient
}

// CheckOp reports whether o names an operation of this world, naming the
// range if not (for --trace-op).
func (c *Config) CheckOp(o api.OpID) error {
	if c.isOp(o) {
		return nil
	}
	return bad("trace-op", "no operation %s (this run has o1.1..o%d.%d)", o, c.Clients/max(1, c.WorkersPerOp), c.OpsPerClient)
}

// checkCrashPoint checks that the point's server exists and that the
// strategy names the point.
func (c *Config) checkCrashPoint(cp faults.CrashPoint) error {
	if cp.Node != "any" && !c.isNode(cp.Node, 's') {
		return bad("crash-at", "%s: no server %s (servers are s1..s%d)", cp, cp.Node, c.Servers)
	}
	for _, name := range c.Strategy.CrashPoints {
		if name == cp.Point {
			return nil
		}
	}
	if len(c.Strategy.CrashPoints) == 0 {
		return bad("crash-at", "%s: strategy %s names no crash point", cp, c.Strategy.Name)
	}
	return bad("crash-at", "%s: strategy %s names no point %q (accepted: %s)", cp, c.Strategy.Name, cp.Point, strings.Join(c.Strategy.CrashPoints, ", "))
}

func (c *Config) validateCrashPoints() error {
	for _, cp := range c.Faults.CrashPoints {
		if err := c.checkCrashPoint(cp); err != nil {
			return err
		}
	}
	return nil
}

// validateSpans checks that every duration and distribution of the world
// and its fault plan is one the flags accept: at most sim.MaxSpan (so that
// a run's clock never comes near the end of int64), the queue's visibility
// timeout at most its own maximum.
func (c *Config) validateSpans() error {
	for _, s := range DurationSettings {
		if err := s.checkMax(c); err != nil {
			return err
		}
	}
	if w := c.Services.Gateway.Window; w > sim.MaxSpan {
		return bad("gateway", "%v is over the limit of %s (accepted: a duration up to %s)", w, sim.MaxSpanText, sim.MaxSpanText)
	}
	for _, s := range DistSettings {
		if err := s.check(c); err != nil {
			return err
		}
	}
	for _, cl := range c.Clocks {
		if cl.Offset < -sim.MaxSpan || cl.Offset > sim.MaxSpan {
			return bad("clock-skew", "%s: offset %v out of range (accepted: -%s to +%s)", cl.Node, cl.Offset, sim.MaxSpanText, sim.MaxSpanText)
		}
	}
	if setting, err := c.Faults.Check(); err != nil {
		return bad(setting, "%v", err)
	}
	return nil
}

// validateServices checks the services' own settings by building them.
func (c *Config) validateServices() error {
	if _, err := kv.New(c.Services.KV); err != nil {
		return bad("kv-maxmemory", "%v", err)
	}
	if _, err := gateway.New(c.Services.Gateway); err != nil {
		return bad("gateway", "%v", err)
	}
	if _, err := queue.New(c.Services.Queue); err != nil {
		return bad("queue-max-receives", "%v", err)
	}
	return nil
}

// validateClocks checks that each skewed clock belongs to a server or a
// service, once, and runs forward.
func (c *Config) validateClocks() error {
	seen := map[string]bool{}
	for _, cl := range c.Clocks {
		_, service := api.ParseService(cl.Node)
		switch {
		case !service && !c.isNode(cl.Node, 's'):
			return bad("clock-skew", "no server or service %s (servers are s1..s%d; services db, kv, gateway, queue)", cl.Node, c.Servers)
		case seen[cl.Node]:
			return bad("clock-skew", "node %s given twice", cl.Node)
		case !(cl.Drift > MinDrift && cl.Drift < MaxDrift):
			return bad("clock-drift", "%s: drift %v out of range (%v, %v)", cl.Node, cl.Drift, MinDrift, MaxDrift)
		}
		seen[cl.Node] = true
	}
	return nil
}

// isNode reports whether name is a node of this world whose name starts with
// prefix (c1..cN for clients, s1..sN for servers).
func (c *Config) isNode(name string, prefix byte) bool {
	if len(name) < 2 || name[0] != prefix {
		return false
	}
	n, err := strconv.Atoi(name[1:])
	if err != nil || strconv.Itoa(n) != name[1:] || n < 1 {
		return false
	}
	if prefix == 'c' {
		return n <= c.Clients
	}
	return prefix == 's' && n <= c.Servers
}

func (c *Config) describeNodes() string {
	return fmt.Sprintf("c1..c%d, s1..s%d, db, kv, gateway, queue", c.Clients, c.Servers)
}

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Charges reports whether the run's business operation charges the
// gateway: the run asks for it (Charge), or the strategy always does.
func (c *Config) Charges() bool { return c.Charge || c.Strategy.AlwaysCharges }

// Settings are what the strategy's Boot reads: the isolation level and the
// strategy's default switches with the run's overrides.

func (c *Config) Settings() (api.Settings, error) {
	st := api.Settings{Isolation: c.DB.Isolation, Charge: c.Charge, Switches: c.Strategy.Defaults}
	for _, s := range c.Switches {
		if err := st.Switches.Set(s, c.Strategy.Switches); err != nil {
			return st, err
		}
	}
	return st, nil
}

// validateStrategy checks the switches and that the strategy can run at
// the isolation level.
func (c *Config) validateStrategy() error {
	st, err := c.Settings()
	if err != nil {
		return bad("switch", "strategy %s: %v", c.Strategy.Name, err)
	}
	for _, v := range []struct {
		sw api.Switch
		d  sim.Duration
	}{{api.SwitchRetention, st.Switches.Retention}, {api.SwitchLease, st.Switches.Lease}} {
		if v.d > sim.MaxSpan {
			return bad("switch", "strategy %s: %s %v is over the limit of %s (accepted: %s)", c.Strategy.Name, v.sw, v.d, sim.MaxSpanText, api.SwitchSyntax[v.sw])
		}
	}
	if ls := c.Strategy.Levels; ls != nil && !slices.Contains(ls, c.DB.Isolation) {
		var names []string
		for _, l := range ls {
			names = append(names, l.Slug())
		}
		return bad("isolation", "strategy %s cannot run at %s (accepted: %s)", c.Strategy.Name, c.DB.Isolation.Slug(), strings.Join(names, ", "))
	}
	if c.Client.DeleteRate > 0 && !c.Strategy.Deletes() {
		return bad("delete-after", "strategy %s has no delete handler (accepted: a strategy whose resource can be deleted, such as client-id)", c.Strategy.Name)
	}
	return nil
}
