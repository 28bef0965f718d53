package sim

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
)

// Stream names one source of nondeterminism. Each stream has its own PRNG
// keyed by the run's seed and the stream's name, so a new draw in one
// component never shifts the draws of another (pebble's per-fault PRNGs).
type Stream uint8

// The streams of a run. Fault decisions draw only from StreamFaults, so a
// recorded fault list can replace them without disturbing latencies, jitter or
// the workload.
const (
	StreamNetwork  Stream = iota // per-message latency, balancer choice
	StreamFaults                 // drop, duplicate, reset, crash moments
	StreamWorkload               // operations, amounts, idempotency keys
	StreamJitter                 // client backoff jitter and think time
	StreamSchedule               // order of events at the same instant
	StreamService                // server service time
	// Each service node draws its latencies from one stream and its fault
	// decisions from another, so replaying a fault list (which skips the
	// fault draws) leaves its latencies where they were.
	StreamDB            // database statement latency
	StreamDBFaults      // dropped connections, lost commit acknowledgements
	StreamKV            // store command latency
	StreamKVFaults      // store faults drawn at random
	StreamGateway       // gateway processing time
	StreamGatewayFaults // gateway timeouts and 500s while charging
	StreamQueue         // broker latency
	StreamQueueFaults   // broker faults drawn at random
	StreamCrashPoints   // crash points armed with a probability
	numStreams
)

var streamNames = [numStreams]string{
	"network", "faults", "workload", "jitter", "schedule", "service",
	"db", "db-faults", "kv", "kv-faults", "gateway", "gateway-faults", "queue", "queue-faults", "crash-points",
}

func (s Stream) String() string {
	if s < numStreams {
		return streamNames[s]
	}
	return fmt.Sprintf("stream(%d)", uint8(s))
}

// Chooser makes every nondeterministic choice of a run. Seeded drives it from
// the seed's streams; an enumerator or a recorded list of choices can drive it
// instead to explore or replay a scenario.
type Chooser interface {
	// Flip reports whether an event of probability p happens. Callers skip
	// the call when p is 0 or 1, so such flips are not choice points.
	Flip(s Stream, p float64) bool
	// Pick returns one of n > 1 alternatives, in [0, n).
	Pick(s Stream, n int) int
	// Quantile returns a number in [0, 1) that continuous distributions
	// invert; an enumerator can return chosen quantiles.
	Quantile(s Stream) float64
	// Bits returns 64 bits for identifiers such as idempotency keys.
	Bits(s Stream) uint64
}

// Seeded is the Chooser of random runs: one PCG per stream, each seeded from
// the run seed and the stream's name.
type Seeded struct {
	streams [numStreams]rand.PCG
}

// NewSeeded returns the chooser for seed.
func NewSeeded(seed uint64) *Seeded {
	c := &Seeded{}
	for i := range c.streams {
		h := fnvString(streamNames[i])
		c.streams[i].Seed(splitmix(seed^h), splitmix(h+seed*0x9e3779b97f4a7c15))
	}
	return c
}

// Flip implements Chooser.
func (c *Seeded) Flip(s Stream, p float64) bool { return c.Quantile(s) < p }

// Pick implements Chooser.
func (c *Seeded) Pick(s Stream, n int) int {
	// Lemire's multiply-shift; the bias for the small n used here is below
	// 2^-40 and, being deterministic, harmless.
	hi, _ := bits.Mul64(c.streams[s].Uint64(), uint64(n))
	return int(hi)
}

// Quantile implements Chooser.
func (c *Seeded) Quantile(s Stream) float64 {
	return float64(c.streams[s].Uint64()>>11) * 0x1p-53
}

// Bits implements Chooser.
func (c *Seeded) Bits(s Stream) uint64 { return c.streams[s].Uint64() }

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

func fnvString(s string) uint64 {
	h := uint64(0xcbf29ce484222325)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 0x100000001b3
	}
	return h
}
