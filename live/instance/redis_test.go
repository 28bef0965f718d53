package instance_test

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/livetest"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/live/instance"
)

// Goal: StartRedis gives a server that answers on loopback, Kill leaves it
// down, Restart brings it back on the same port as a new process, and Stop
// leaves no process behind. Method: PING it around each step and check the
// pids with signal 0 at the end; the start time is logged.
func TestRedisLifecycle(t *testing.T) {
	rerun := testcmd.Rerun(t, "./live/instance")
	livetest.Need(t, "Redis", instance.RedisServer)
	start := time.Now()
	r, err := instance.StartRedis(context.Background(), t.TempDir())
	require.NoError(t, err, rerun)
	t.Logf("Redis up in %v at %s", time.Since(start).Round(time.Millisecond), r.Addr())
	defer r.Stop()
	require.NoError(t, r.Ping(), rerun)
	pids := []int{r.Pid()}
	addr := r.Addr()

	r.Kill()
	assert.Error(t, r.Ping(), "down after Kill; "+rerun)
	assert.Zero(t, r.Pid(), "no process after Kill; "+rerun)

	require.NoError(t, r.Restart(), rerun)
	assert.Equal(t, addr, r.Addr(), "same address after a restart; "+rerun)
	require.NoError(t, r.Ping(), rerun)
	pids = append(pids, r.Pid())
	assert.NotEqual(t, pids[0], pids[1], "a restart is a new process; "+rerun)

	require.NoError(t, r.Stop(), rerun)
	for _, pid := range pids {
		// Signal 0 checks for the process without touching it; the pid was
		// waited for, so it cannot be a zombie of ours.
		err := syscall.Kill(pid, 0)
		assert.True(t, errors.Is(err, syscall.ESRCH), "redis-server pid %d still exists after Stop (%v); %s", pid, err, rerun)
	}
}
