package world

import (
	"fmt"
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

// Validate reports the first thing wrong with c, naming the setting and the
// accepted range.
func (c *Config) Validate() error {
	rate := func(name string, v float64) error {
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("%s %v is not a probability in [0, 1]", name, v)
		}
		return nil
	}
	l := c.Faults.Link
	switch {
	case c.Strategy.Boot == nil:
		return fmt.Errorf("no strategy")
	case c.Servers < 1 || c.Servers > MaxServers:
		return fmt.Errorf("servers %d out of range [1, %d]", c.Servers, MaxServers)
	case c.Clients < 1 || c.Clients > MaxClients:
		return fmt.Errorf("clients %d out of range [1, %d]", c.Clients, MaxClients)
	case c.OpsPerClient < 1 || c.OpsPerClient > MaxOps:
		return fmt.Errorf("ops %d out of range [1, %d]", c.OpsPerClient, MaxOps)
	case c.WorkersPerOp < 1 || c.Clients%c.WorkersPerOp != 0:
		return fmt.Errorf("workers-per-op %d must be >= 1 and divide clients (%d)", c.WorkersPerOp, c.Clients)
	case c.Balancer != RoundRobin && c.Balancer != Random:
		return fmt.Errorf("balancer %q (accepted: %s, %s)", c.Balancer, RoundRobin, Random)
	case c.Client.TimeoutPerAttempt <= 0:
		return fmt.Errorf("timeout %v must be > 0", c.Client.TimeoutPerAttempt)
	case c.Client.Attempts < 1 || c.Client.Attempts > 1000:
		return fmt.Errorf("attempts %d out of range [1, 1000]", c.Client.Attempts)
	case c.Client.BackoffBase < 0 || c.Client.BackoffCap < c.Client.BackoffBase:
		return fmt.Errorf("backoff base %v and cap %v: want 0 <= base <= cap", c.Client.BackoffBase, c.Client.BackoffCap)
	case c.Client.PollInterval <= 0:
		return fmt.Errorf("poll interval %v must be > 0", c.Client.PollInterval)
	case c.Client.KeyOnRestart != KeyPersist && c.Client.KeyOnRestart != KeyRegenerate:
		return fmt.Errorf("key-on-restart %q (accepted: %s, %s)", c.Client.KeyOnRestart, KeyPersist, KeyRegenerate)
	case c.Deadline <= 0:
		return fmt.Errorf("deadline %v must be > 0", c.Deadline)
	case c.Faults.CrashEvery < 0 || c.Faults.ClientCrashEvery < 0:
		return fmt.Errorf("crash intervals must be >= 0")
	case (c.Faults.CrashEvery > 0 || c.Faults.ClientCrashEvery > 0) && c.Faults.Downtime <= 0:
		return fmt.Errorf("downtime %v must be > 0 with random crashes", c.Faults.Downtime)
	}
	for _, err := range []error{
		rate("drop-request", l.DropRequestRate), rate("drop-response", l.DropResponseRate),
		rate("duplicate", l.DuplicateRate), rate("reset", l.ResetRate),
	} {
		if err != nil {
			return err
		}
	}
	for _, cr := range c.Faults.Crashes {
		if cr.Node != "any" && (cr.Node[0] != 's' || atoi(cr.Node[1:]) > c.Servers) {
			return fmt.Errorf("crash %s: no server %s (servers are s1..s%d)", cr, cr.Node, c.Servers)
		}
	}
	for _, cr := range c.Faults.ClientCrashes {
		if cr.Node != "any" && (cr.Node[0] != 'c' || atoi(cr.Node[1:]) > c.Clients) {
			return fmt.Errorf("client-crash %s: no client %s (clients are c1..c%d)", cr, cr.Node, c.Clients)
		}
	}
	return nil
}

func atoi(s string) int {
	n := 0
	for _, ch := range s {
		if ch < '0' || ch > '9' {
			return 1 << 30
		}
		n = n*10 + int(ch-'0')
		if n > 1<<30 {
			return 1 << 30
		}
	}
	return n
}
