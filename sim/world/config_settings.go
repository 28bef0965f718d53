package world

import (
	"fmt"
	"strings"
	"time"

	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/queue"
)

// The scalar settings of a Config, each named as the command line spells
// its flag, with the values it accepts. They are the one statement of
// those bounds: Validate checks a Config against them, and the run
// command builds its flags from them, its help printing each range and
// each default (read from Defaults).

// IntSetting is an integer setting and its range [Lo, Hi].
type IntSetting struct {
	Name   string
	Lo, Hi int
	Field  func(*Config) *int
}

// MaxAttempts bounds a client's attempt budget per operation.
const MaxAttempts = 1000

// IntSettings are the integer settings Validate checks by range.
var IntSettings = []IntSetting{
	{"servers", 1, MaxServers, func(c *Config) *int { return &c.Servers }},
	{"clients", 1, MaxClients, func(c *Config) *int { return &c.Clients }},
	{"ops", 1, MaxOps, func(c *Config) *int { return &c.OpsPerClient }},
	{"attempts", 1, MaxAttempts, func(c *Config) *int { return &c.Client.Attempts }},
	{"db-pool", 1, MaxPoolSize, func(c *Config) *int { return &c.DB.PoolSize }},
}

// WorkersPerOp is the range of workers-per-op, which must also divide
// clients (Validate checks both together).
var WorkersPerOp = IntSetting{"workers-per-op", 1, MaxClients, func(c *Config) *int { return &c.WorkersPerOp }}

// QueueMaxReceives is the range of queue-max-receives (0: never
// dead-letter), which the queue itself checks when Validate builds it.
var QueueMaxReceives = IntSetting{"queue-max-receives", 0, queue.MaxMaxReceives, func(c *Config) *int { return &c.Services.Queue.MaxReceives }}

// check is the setting's range error for c, or nil.
func (s IntSetting) check(c *Config) error {
	if v := *s.Field(c); v < s.Lo || v > s.Hi {
		return bad(s.Name, "%d out of range [%d, %d]", v, s.Lo, s.Hi)
	}
	return nil
}

// DurationSetting is a duration setting: > 0, or >= 0 with ZeroOK, and
// at most Max.
type DurationSetting struct {
	Name   string
	ZeroOK bool
	// Zero says what 0 means, in Validate's message ("none"); "" when
	// the message says nothing of it.
	Zero    string
	Max     time.Duration
	MaxText string
	Field   func(*Config) *time.Duration
	// Needed, when set, is the only condition under which Validate checks
	// the lower bound, and When says it in the message: a downtime
	// matters only with random crashes.
	Needed func(*Config) bool
	When   string
	// InPlan: the fault plan's own check (faults.Plan.Check) bounds it
	// from above.
	InPlan bool
}

// Accepts is the range as the help prints it: "> 0, at most 100000h".
func (s DurationSetting) Accepts() string {
	if s.ZeroOK {
		return ">= 0, at most " + s.MaxText
	}
	return "> 0, at most " + s.MaxText
}

// span is a DurationSetting up to sim.MaxSpan.
func span(name string, zeroOK bool, zero string, field func(*Config) *time.Duration) DurationSetting {
	return DurationSetting{Name: name, ZeroOK: zeroOK, Zero: zero, Max: sim.MaxSpan, MaxText: sim.MaxSpanText, Field: field}
}

func inPlan(s DurationSetting) DurationSetting {
	s.InPlan = true
	return s
}

// DurationSettings are the duration settings, in the order Validate
// checks them.
var DurationSettings = []DurationSetting{
	span("timeout", false, "", func(c *Config) *time.Duration { return &c.Client.TimeoutPerAttempt }),
	span("backoff-base", true, "", func(c *Config) *time.Duration { return &c.Client.BackoffBase }),
	span("backoff-cap", true, "", func(c *Config) *time.Duration { return &c.Client.BackoffCap }),
	span("poll-interval", false, "", func(c *Config) *time.Duration { return &c.Client.PollInterval }),
	span("op-deadline", true, "none", func(c *Config) *time.Duration { return &c.Client.OpDeadline }),
	span("deadline", false, "", func(c *Config) *time.Duration { return &c.Deadline }),
	span("settle", true, "", func(c *Config) *time.Duration { return &c.Settle }),
	span("db-statement-timeout", true, "none", func(c *Config) *time.Duration { return &c.DB.StatementTimeout }),
	span("db-replica-lag", true, "the replica is current", func(c *Config) *time.Duration { return &c.DB.ReplicaLag }),
	span("db-lock-timeout", true, "none", func(c *Config) *time.Duration { return &c.DB.LockTimeout }),
	span("deadlock-timeout", false, "", func(c *Config) *time.Duration { return &c.DB.DeadlockTimeout }),
	span("kv-replica-lag", true, "", func(c *Config) *time.Duration { return &c.Services.KV.ReplicaLag }),
	span("gateway-call-timeout", false, "", func(c *Config) *time.Duration { return &c.Services.GatewayTimeout }),
	span("gateway-key-retention", true, "forever", func(c *Config) *time.Duration { return &c.Services.Gateway.KeyRetention }),
	inPlan(span("crash-every", true, "none", func(c *Config) *time.Duration { return &c.Faults.CrashEvery })),
	inPlan(span("client-crash-every", true, "none", func(c *Config) *time.Duration { return &c.Faults.ClientCrashEvery })),
	{Name: "downtime", Max: sim.MaxSpan, MaxText: sim.MaxSpanText, Field: func(c *Config) *time.Duration { return &c.Faults.Downtime },
		Needed: func(c *Config) bool { return c.Faults.CrashEvery > 0 || c.Faults.ClientCrashEvery > 0 }, When: " with random crashes", InPlan: true},
	// 0 is the queue's own default (queue.DefaultVisibilityTimeout), which
	// a Config built in code may leave; the flag takes a duration > 0.
	{Name: "queue-visibility", Max: queue.MaxVisibilityTimeout, MaxText: strings.TrimSuffix(queue.MaxVisibilityTimeout.String(), "0m0s"),
		Field: func(c *Config) *time.Duration { return &c.Services.Queue.VisibilityTimeout }, Needed: func(*Config) bool { return false }},
}

// checkLow is the setting's lower-bound error for c, or nil.
func (s DurationSetting) checkLow(c *Config) error {
	d := *s.Field(c)
	switch {
	case s.Needed != nil && !s.Needed(c):
		return nil
	case !s.ZeroOK && d <= 0:
		return bad(s.Name, "%v must be > 0%s", d, s.When)
	case s.ZeroOK && d < 0 && s.Zero != "":
		return bad(s.Name, "%v must be >= 0 (0: %s)", d, s.Zero)
	case s.ZeroOK && d < 0:
		return bad(s.Name, "%v must be >= 0%s", d, s.When)
	}
	return nil
}

// checkMax is the setting's upper-bound error for c, or nil. A setting
// with a maximum of its own, short of sim.MaxSpan, states its whole range.
func (s DurationSetting) checkMax(c *Config) error {
	d := *s.Field(c)
	switch {
	case s.InPlan:
		return nil
	case s.Max != sim.MaxSpan && (d < 0 || d > s.Max):
		return bad(s.Name, "%v out of range (accepted: a duration > 0 up to %v)", d, s.MaxText)
	case d > s.Max:
		return bad(s.Name, "%v is over the limit of %s (accepted: a duration up to %s)", d, s.MaxText, s.MaxText)
	}
	return nil
}

// RateSetting is a probability, in [0, 1].
type RateSetting struct {
	Name  string
	Field func(*Config) *float64
}

// RateSettings are the probabilities of a Config, in the order Validate
// checks them.
var RateSettings = []RateSetting{
	{"reuse-key", func(c *Config) *float64 { return &c.Client.ReuseKeyRate }},
	{"same-payment", func(c *Config) *float64 { return &c.Client.SamePaymentRate }},
	{"delete-after", func(c *Config) *float64 { return &c.Client.DeleteRate }},
	{"drop-request", func(c *Config) *float64 { return &c.Faults.Link.DropRequestRate }},
	{"drop-response", func(c *Config) *float64 { return &c.Faults.Link.DropResponseRate }},
	{"duplicate", func(c *Config) *float64 { return &c.Faults.Link.DuplicateRate }},
	{"reset", func(c *Config) *float64 { return &c.Faults.Link.ResetRate }},
	{"db-drop-connection", func(c *Config) *float64 { return &c.Faults.DBDropConnectionRate }},
	{"db-lost-commit-ack", func(c *Config) *float64 { return &c.Faults.DBLostCommitAckRate }},
	{"gateway-timeout", func(c *Config) *float64 { return &c.Faults.GatewayTimeoutRate }},
	{"gateway-500", func(c *Config) *float64 { return &c.Faults.Gateway500Rate }},
}

func (s RateSetting) check(c *Config) error {
	if v := *s.Field(c); !(v >= 0 && v <= 1) {
		return bad(s.Name, "%v is not a probability in [0, 1]", v)
	}
	return nil
}

// DistSetting is a distribution of durations; sim.Dist.Check says what it
// accepts.
type DistSetting struct {
	Name  string
	Field func(*Config) *sim.Dist
	// InPlan: the fault plan's own check (faults.Plan.Check) covers it,
	// as part of a link's settings.
	InPlan bool
}

// DistSettings are the distributions of a Config, in the order Validate
// checks them.
var DistSettings = []DistSetting{
	{Name: "think", Field: func(c *Config) *sim.Dist { return &c.Client.Think }},
	{Name: "service-time", Field: func(c *Config) *sim.Dist { return &c.ServiceTime }},
	{Name: "db-latency", Field: func(c *Config) *sim.Dist { return &c.DB.StatementLatency }},
	{Name: "gateway-time", Field: func(c *Config) *sim.Dist { return &c.Services.GatewayTime }},
	{Name: "service-delay", Field: func(c *Config) *sim.Dist { return &c.Faults.ServiceLink.Delay }, InPlan: true},
	{Name: "delay", Field: func(c *Config) *sim.Dist { return &c.Faults.Link.Delay }, InPlan: true},
}

func (s DistSetting) check(c *Config) error {
	if d := *s.Field(c); !s.InPlan {
		if err := d.Check(); err != nil {
			return bad(s.Name, "%v: %v (accepted: %s)", d, err, sim.DistSyntax)
		}
	}
	return nil
}

// IntNamed, DurationNamed, RateNamed and DistNamed find a setting of the
// tables above by name. Each panics on a name no table holds: a mistake
// in the code that asks, which its first use shows.
func IntNamed(name string) IntSetting {
	return named(append(IntSettings[:len(IntSettings):len(IntSettings)], WorkersPerOp, QueueMaxReceives), name, func(s IntSetting) string { return s.Name })
}

// DurationNamed: see IntNamed.
func DurationNamed(name string) DurationSetting {
	return named(DurationSettings, name, func(s DurationSetting) string { return s.Name })
}

// RateNamed: see IntNamed.
func RateNamed(name string) RateSetting {
	return named(RateSettings, name, func(s RateSetting) string { return s.Name })
}

// DistNamed: see IntNamed.
func DistNamed(name string) DistSetting {
	return named(DistSettings, name, func(s DistSetting) string { return s.Name })
}

func named[T any](all []T, name string, nameOf func(T) string) T {
	for _, s := range all {
		if nameOf(s) == name {
			return s
		}
	}
	panic(fmt.Sprintf("world: no setting %q", name))
}

// MinDrift and MaxDrift bound a clock's rate, exclusive: a clock that
// runs at half speed or double is past any drift a real one shows.
const (
	MinDrift = 0.5
	MaxDrift = 2
)

// BaseEvents is the event limit's allowance beyond DefaultEventsPerOp per
// operation (EventLimit).
const BaseEvents = 1_000_000

// DurationText prints a duration as one would type it: without its zero
// units (24h, 1m30s, 0) and with us for microseconds.
func DurationText(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return strings.ReplaceAll(s, "µs", "us")
}

// DistText prints a distribution as one would type it (DurationText's
// durations).
func DistText(d sim.Dist) string { return strings.ReplaceAll(d.String(), "µs", "us") }
