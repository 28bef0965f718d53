// Package kv is the state of idemsim's simulated Redis node — string keys
// with TTLs on virtual time, a memory limit with eviction, no persistence,
// and an asynchronous replica that a failover promotes — so strategies that
// keep idempotency keys or locks in Redis meet its real failure modes. It
// is a pure state machine whose every command takes the node's clock
// reading, so the world that wraps it in messages and faults stays
// deterministic.
package kv
