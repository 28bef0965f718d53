package pgqueue

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/crash"
	"github.com/idemsim/idemsim/internal/livetest"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/queue"
)

// Goal: a long poll does not busy-wait the database: while nothing
// happens it tries again only every safetyPoll, and a Send wakes it
// through NOTIFY rather than at its next try. Method: a receiver waits on
// an empty queue while another handle sends after an idle spell; the
// statements the queue sent meanwhile are counted against the bound
// safetyPoll allows, and the figures (statements, wake-up delay) are
// logged. The bound holds on any machine: a slow one sleeps longer and
// sends fewer.
func TestLongPollSleeps(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	rerun := testcmd.Rerun(t, "./live/pgqueue")
	pg := livetest.StartPostgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	q, err := Open(ctx, pg.DSN, queue.DefaultConfig())
	require.NoError(t, err, rerun)
	defer q.Close()
	const idle = 700 * time.Millisecond
	type result struct {
		msg  api.Message
		ok   bool
		err  error
		at   time.Time
		oops *crash.Panic
	}
	done := make(chan result, 1)
	go func() {
		var r result
		r.oops = crash.Catch(func() { r.msg, r.ok, r.err = q.For("", nil).Receive(5 * time.Second) })
		r.at = time.Now()
		done <- r
	}()
	time.Sleep(idle)
	idleStatements := q.statements.Load()
	sentAt := time.Now()
	_, err = q.For("o1.1", nil).Send("wake")
	require.NoError(t, err, rerun)
	r := <-done
	require.Nil(t, r.oops, rerun)
	require.NoError(t, r.err, rerun)
	assert.True(t, r.ok, "the long poll got the message; "+rerun)
	assert.Equal(t, "m1", r.msg.ID, rerun)
	// Each try is a receive and a look at the next visible time.
	bound := 2 * (int64(idle/safetyPoll) + 2)
	assert.LessOrEqual(t, idleStatements, bound, "statements while idle for %v; %s", idle, rerun)
	t.Logf("idle %v: %d statements; woken %v after the send returned", idle, idleStatements, r.at.Sub(sentAt).Round(100*time.Microsecond))
}
