package gen

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
)

// Goal: the lock model knows that a statement which surely fails aborts
// its transaction at once, as PostgreSQL does: the session's locks are
// freed at the error (a session queued on them goes on), and its later
// statements neither wait nor hold until it ends. Method: drive the model
// by hand through two sessions: t1 locks k1, t2 queues on k1, then t1 runs
// a failing statement (or, as the control, a statement that succeeds).
func TestFailedTransactionFreesItsLocks(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fails    bool
		released bool
	}{
		{"failing statement", true, true},
		{"successful statement", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rerun := testcmd.Rerun(t, "./sim/db/script/gen")
			g := newGen(1, 0, Config{Features: AllFeatures})
			g.present[keyItem("k1")] = true
			t1, t2 := g.sessions[0], g.sessions[1]
			begin := stmt{text: "begin", kind: kBegin}
			lock := lockRow("select key from idempotency_keys where key = 'k1' for update", keyItem("k1"))
			g.apply(t1, begin, false)
			g.apply(t2, begin, false)
			g.apply(t1, lock, false)
			ok, mayBlock := g.admissible(t2, lock)
			require.True(t, ok, rerun)
			require.True(t, mayBlock, "t2 queues on t1's row; %s", rerun)
			g.apply(t2, lock, mayBlock)
			require.True(t, t2.blocked, rerun)

			g.apply(t1, stmt{text: "select 1", kind: kRead, fails: tc.fails}, false)
			assert.Equal(t, tc.released, !t2.blocked, "t2 goes on at t1's error; %s", rerun)
			assert.Equal(t, tc.fails, t1.failed, rerun)
			if tc.fails {
				assert.Empty(t, t1.held, "t1 holds nothing after its error; %s", rerun)
				// t2 now holds k1, yet t1's statements get 25P02 without waiting.
				ok, mayBlock = g.admissible(t1, lock)
				assert.True(t, ok && !mayBlock, "t1's statements after the error do not wait; %s", rerun)
				g.apply(t1, lock, mayBlock)
				assert.Empty(t, t1.held, "nor hold; %s", rerun)
				g.apply(t1, stmt{text: "rollback", kind: kEnd}, false)
				assert.False(t, t1.failed, "a new transaction starts clean; %s", rerun)
			}
		})
	}
}
