package livetest

import (
	"errors"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
)

// Goal: StartRedis gives a server that answers on loopback, Restart brings
// it back on the same port, and the test's end leaves no process behind.
// Method: start one in a subtest, PING it before and after Restart (the pid
// must change), then check after the subtest that neither pid is alive.
func TestStartRedisRestartAndCleanup(t *testing.T) {
	var pids []int
	t.Run("server", func(t *testing.T) {
		r := StartRedis(t)
		require.NoError(t, ping(r.Addr()), testcmd.Rerun(t, "./internal/livetest"))
		pids = append(pids, r.cmd.Process.Pid)
		addr := r.Addr()
		r.Restart()
		assert.Equal(t, addr, r.Addr(), "same address after a restart\n%s", testcmd.Rerun(t, "./internal/livetest"))
		require.NoError(t, ping(r.Addr()), testcmd.Rerun(t, "./internal/livetest"))
		pids = append(pids, r.cmd.Process.Pid)
		assert.NotEqual(t, pids[0], pids[1], "a restart is a new process\n%s", testcmd.Rerun(t, "./internal/livetest"))
	})
	if len(pids) < 2 {
		return // no redis-server: the subtest said so
	}
	for _, pid := range pids {
		// Signal 0 checks for the process without touching it; the pid was
		// waited for, so it cannot be a zombie of ours.
		err := syscall.Kill(pid, 0)
		assert.True(t, errors.Is(err, syscall.ESRCH), "redis-server pid %d still exists after the test (%v)\n%s", pid, err, testcmd.Rerun(t, "./internal/livetest"))
	}
}
