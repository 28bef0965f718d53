package kv

import (
	"fmt"
	"strconv"

	"github.com/idemsim/idemsim/sim"
)

// KeyOverheadBytes is what each key costs beyond its key and value bytes,
// standing in for Redis's dictionary entry, object header and allocator
// slack, so many tiny keys fill memory as they do on a real node.
const KeyOverheadBytes = 50

// EvictionPolicy is what a write does when memory is full (Redis's
// maxmemory-policy). The zero value is NoEviction, Redis's default.
type EvictionPolicy uint8

const (
	// NoEviction refuses a write that would exceed the limit with ErrOOM.
	NoEviction EvictionPolicy = iota
	// AllKeysLRU evicts the least recently read or written keys first.
	AllKeysLRU
	// VolatileTTL evicts keys that have a TTL, shortest remaining TTL first
	// (ties by key), and refuses the write like NoEviction when those are
	// not enough.
	VolatileTTL
	numPolicies
)

var policyNames = [numPolicies]string{"noeviction", "allkeys-lru", "volatile-ttl"}

// PolicyNames lists the accepted policy names, for error and help messages.
const PolicyNames = "noeviction, allkeys-lru, volatile-ttl"

// String is the policy's name in Redis's configuration.
func (p EvictionPolicy) String() string {
	if p < numPolicies {
		return policyNames[p]
	}
	return "EvictionPolicy(" + strconv.Itoa(int(p)) + ")"
}

// ParsePolicy reads a policy by its Redis name.
func ParsePolicy(s string) (EvictionPolicy, error) {
	for p, name := range policyNames {
		if s == name {
			return EvictionPolicy(p), nil
		}
	}
	return 0, fmt.Errorf("unknown eviction policy %q (accepted: %s)", s, PolicyNames)
}

// Config is how the node behaves.
type Config struct {
	MaxMemory int64 // bytes; 0 means unlimited, as Redis's maxmemory 0
	Policy    EvictionPolicy
	// ReplicaLag is how long a write takes to reach the replica: a failover
	// at time t promotes exactly the writes made at or before t-ReplicaLag.
	ReplicaLag sim.Duration
}

func (c Config) validate() error {
	if c.MaxMemory < 0 {
		return fmt.Errorf("kv: MaxMemory is %d; want 0 (unlimited) or more bytes", c.MaxMemory)
	}
	if c.Policy >= numPolicies {
		return fmt.Errorf("kv: Policy is %s; want one of %s", c.Policy, PolicyNames)
	}
	if c.ReplicaLag < 0 {
		return fmt.Errorf("kv: ReplicaLag is %s; want 0 or more", c.ReplicaLag)
	}
	return nil
}
