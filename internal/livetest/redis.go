package livetest

import (
	"context"
	"testing"

	"github.com/idemsim/idemsim/live/instance"
)

// RedisServer is where Debian's redis-server package puts the server, which
// make live-deps installs.
const RedisServer = instance.RedisServer

// Redis is a throwaway redis-server on a loopback port, with persistence
// off, owned by one test.
type Redis struct {
	t    testing.TB
	inst *instance.Redis
}

// StartRedis starts an empty redis-server for t on a free loopback port
// (live/instance does the work) and stops it when t ends. Without
// redis-server it skips t loudly (fails under CI=true).
func StartRedis(t testing.TB) *Redis {
	t.Helper()
	Need(t, "Redis", RedisServer)
	inst, err := instance.StartRedis(context.Background(), t.TempDir())
	if err != nil {
		t.Fatalf("livetest: %v", err)
	}
	t.Cleanup(func() { _ = inst.Stop() })
	return &Redis{t: t, inst: inst}
}

// Addr is the server's host:port.
func (r *Redis) Addr() string { return r.inst.Addr() }

// Restart kills the server if it runs and starts it again, empty, on the
// same port: the store restart fault. After Kill it ends the downtime.
func (r *Redis) Restart() {
	r.t.Helper()
	if err := r.inst.Restart(); err != nil {
		r.t.Fatalf("livetest: %v", err)
	}
}

// Kill stops the server and leaves it down, its keys lost, until Restart:
// the downtime of a store restart, when every command fails to connect.
func (r *Redis) Kill() { r.inst.Kill() }
