package world

import (
	"fmt"
	"strconv"
	"time"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
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
}

// Config is one run: the world, the strategy under test, and the faults.
type Config struct {
	Seed         uint64
	Strategy     Strategy
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
	Faults       faults.Plan
	Deadline     sim.Duration // virtual time after which the run stops
	MaxEvents    uint64
	KeepTrace    bool // keep the trace's records to print them
}

// Limits on the size of a world.
const (
	MaxServers = 1000
	MaxClients = 10000
	MaxOps     = 32767
)

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
		Faults: faults.Plan{
			Link:     faults.Link{Delay: sim.LogNormal(5*time.Millisecond, 0.5)},
			Downtime: faults.DefaultDowntime,
		},
		Deadline:  24 * time.Hour,
		MaxEvents: sim.DefaultMaxEvents,
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
// accepted range.
func (c *Config) Validate() error {
	rate := func(name string, v float64) error {
		if !(v >= 0 && v <= 1) {
			return bad(name, "%v is not a probability in [0, 1]", v)
		}
		return nil
	}
	l := c.Faults.Link
	switch {
	case c.Strategy.Boot == nil:
		return bad("strategy", "no strategy")
	case c.Servers < 1 || c.Servers > MaxServers:
		return bad("servers", "%d out of range [1, %d]", c.Servers, MaxServers)
	case c.Clients < 1 || c.Clients > MaxClients:
		return bad("clients", "%d out of range [1, %d]", c.Clients, MaxClients)
	case c.OpsPerClient < 1 || c.OpsPerClient > MaxOps:
		return bad("ops", "%d out of range [1, %d]", c.OpsPerClient, MaxOps)
	case c.WorkersPerOp < 1 || c.Clients%c.WorkersPerOp != 0:
		return bad("workers-per-op", "%d must be >= 1 and divide clients (%d)", c.WorkersPerOp, c.Clients)
	case c.Balancer != RoundRobin && c.Balancer != Random:
		return bad("balancer", "%q (accepted: %s, %s)", c.Balancer, RoundRobin, Random)
	case c.Client.TimeoutPerAttempt <= 0:
		return bad("timeout", "%v must be > 0", c.Client.TimeoutPerAttempt)
	case c.Client.Attempts < 1 || c.Client.Attempts > 1000:
		return bad("attempts", "%d out of range [1, 1000]", c.Client.Attempts)
	case c.Client.BackoffBase < 0 || c.Client.BackoffCap < c.Client.BackoffBase:
		return bad("backoff-base", "%v with backoff-cap %v: want 0 <= base <= cap", c.Client.BackoffBase, c.Client.BackoffCap)
	case c.Client.PollInterval <= 0:
		return bad("poll-interval", "%v must be > 0", c.Client.PollInterval)
	case c.Client.KeyOnRestart != KeyPersist && c.Client.KeyOnRestart != KeyRegenerate:
		return bad("key-on-restart", "%q (accepted: %s, %s)", c.Client.KeyOnRestart, KeyPersist, KeyRegenerate)
	case c.Deadline <= 0:
		return bad("deadline", "%v must be > 0", c.Deadline)
	case c.Faults.CrashEvery < 0:
		return bad("crash-every", "%v must be >= 0", c.Faults.CrashEvery)
	case c.Faults.ClientCrashEvery < 0:
		return bad("client-crash-every", "%v must be >= 0", c.Faults.ClientCrashEvery)
	case (c.Faults.CrashEvery > 0 || c.Faults.ClientCrashEvery > 0) && c.Faults.Downtime <= 0:
		return bad("downtime", "%v must be > 0 with random crashes", c.Faults.Downtime)
	}
	for _, err := range []error{
		rate("drop-request", l.DropRequestRate), rate("drop-response", l.DropResponseRate),
		rate("duplicate", l.DuplicateRate), rate("reset", l.ResetRate),
	} {
		if err != nil {
			return err
		}
	}
	return c.validateNodes()
}

// validateNodes checks that every node the fault plan names exists.
func (c *Config) validateNodes() error {
	p := &c.Faults
	crash := func(setting string, cr faults.Crash) error {
		kind, prefix, n := "server", byte('s'), c.Servers
		if setting == "client-crash" {
			kind, prefix, n = "client", 'c', c.Clients
		}
		if cr.Node != "any" && !c.isNode(cr.Node, prefix) {
			return bad(setting, "%s: no %s %s (%ss are %c1..%c%d)", cr, kind, cr.Node, kind, prefix, prefix, n)
		}
		return nil
	}
	set := func(setting, what string, s faults.NodeSet) error {
		for _, name := range s {
			switch name {
			case "*", "clients", "servers":
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
		case f.Kind == faults.PartitionFault:
			err = firstError(set("partition", f.Partition.String(), f.Partition.A), set("partition", f.Partition.String(), f.Partition.B))
		case f.Kind.OnMessage() && !c.isNode(f.Msg.Caller, 'c'):
			err = bad("replay", "%q: no client %s (clients are c1..c%d)", f, f.Msg.Caller, c.Clients)
		}
		if err != nil {
			return &ConfigError{Setting: "replay", Msg: err.(*ConfigError).Msg}
		}
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
	return fmt.Sprintf("c1..c%d, s1..s%d", c.Clients, c.Servers)
}

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
