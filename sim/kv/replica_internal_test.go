package kv

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim"
)

// Goal: the pending log is bounded by the lag window, not by the run: the
// applied prefix is dropped as the clock passes it. (Internal: the log's
// size is not visible from outside.)
// Method: 100,000 INCRs, 10 per millisecond, with a 10ms lag (a window of
// 100 writes); the log may hold the window plus the applied prefix that
// waits to be slid away (up to 1024 entries, or as many as are pending).
func TestPendingLogIsBoundedByTheLag(t *testing.T) {
	repro := testcmd.Rerun(t, "./sim/kv")
	s, err := New(Config{ReplicaLag: 10 * time.Millisecond})
	require.NoError(t, err, repro)
	longest := 0
	for i := range 100_000 {
		now := sim.Time(i) * sim.Time(100*time.Microsecond)
		_, err := s.Incr(now, "n")
		require.NoError(t, err, repro)
		longest = max(longest, len(s.replica.pending))
		window := len(s.replica.pending) - s.replica.head
		require.LessOrEqual(t, window, 101, "pending writes after INCR %d\n%s", i, repro)
	}
	assert.LessOrEqual(t, longest, 1024+2*101, repro)
	assert.Greater(t, longest, 101, "the applied prefix is slid away in batches, not one by one\n%s", repro)
}
