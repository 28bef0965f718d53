package pgqueue_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/crash"
	"github.com/idemsim/idemsim/internal/livetest"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/live/pgqueue"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/queue"
)

// taken is one delivery a consumer got.
type taken struct {
	msg api.Message
	tag string
}

// Goal: consumers in separate processes draining one queue at once never
// get the same message twice while they acknowledge within the lease
// (SKIP LOCKED), and each acts for the operation that sent the message.
// Method: 200 messages, each sent for an operation of its own; 4 queues
// opened on the same table (as 4 processes) receive with long polls and
// acknowledge until all 200 are acknowledged (each bounded in calls); every
// message must be delivered once, as its first delivery, with its body,
// and adopted with its sender's tag.
func TestConcurrentConsumers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	rerun := testcmd.Rerun(t, pkg)
	pg := livetest.StartPostgres(t)
	dsn := newSchema(t, connect(t, pg.DSN, rerun), pg.DSN, "drain", rerun)
	const messages, consumers = 200, 4
	producer := open(t, dsn, queue.DefaultConfig(), rerun)
	for i := 1; i <= messages; i++ {
		id, err := producer.For(fmt.Sprintf("o%d.1", i), nil).Send(fmt.Sprintf("body %d", i))
		require.NoError(t, err, rerun)
		require.Equal(t, fmt.Sprintf("m%d", i), id, rerun)
	}
	var acked atomic.Int64
	got := make([][]taken, consumers)
	errs := make([]error, consumers)
	panics := make([]*crash.Panic, consumers)
	start := time.Now()
	var wg sync.WaitGroup
	for c := range consumers {
		q := open(t, dsn, queue.DefaultConfig(), rerun)
		wg.Add(1)
		go func() {
			defer wg.Done()
			panics[c] = crash.Catch(func() { errs[c] = drain(q, &got[c], &acked, messages) })
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	for c := range consumers {
		require.Nil(t, panics[c], "consumer %d; %s", c, rerun)
		require.NoError(t, errs[c], "consumer %d; %s", c, rerun)
	}
	seen := map[string]int{}
	for c := range consumers {
		for _, d := range got[c] {
			seen[d.msg.ID]++
			var n int
			_, err := fmt.Sscanf(d.msg.ID, "m%d", &n)
			require.NoError(t, err, rerun)
			assert.Equal(t, fmt.Sprintf("body %d", n), d.msg.Body, rerun)
			assert.Equal(t, fmt.Sprintf("o%d.1", n), d.tag, "the adopted tag; "+rerun)
			assert.Equal(t, 1, d.msg.Receives, "%s delivered before; %s", d.msg.ID, rerun)
		}
	}
	assert.Len(t, seen, messages, "messages delivered; "+rerun)
	for id, n := range seen {
		assert.Equal(t, 1, n, "deliveries of %s; %s", id, rerun)
	}
	_, ok, err := producer.For("", nil).Receive(0)
	require.NoError(t, err, rerun)
	assert.False(t, ok, "the queue is empty; "+rerun)
	t.Logf("%d consumers drained %d messages in %v (%.0f messages/s); per consumer: %d %d %d %d",
		consumers, messages, elapsed.Round(time.Millisecond), messages/elapsed.Seconds(),
		len(got[0]), len(got[1]), len(got[2]), len(got[3]))
}

// drain receives and acknowledges until total messages are acknowledged
// by all consumers, within a bound on its calls.
func drain(q *pgqueue.Queue, out *[]taken, acked *atomic.Int64, total int) error {
	var tag string
	h := q.For("", func(t string) { tag = t })
	for calls := 0; calls < 4*total; calls++ {
		if acked.Load() == int64(total) {
			return nil
		}
		tag = ""
		m, ok, err := h.Receive(100 * time.Millisecond)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		*out = append(*out, taken{msg: m, tag: tag})
		if err := h.Ack(m.Receipt); err != nil {
			return err
		}
		acked.Add(1)
	}
	return fmt.Errorf("still %d messages unacknowledged after %d calls", int64(total)-acked.Load(), 4*total)
}

// Goal: a consumer that dies holding a message loses it only for the
// visibility timeout: another consumer then gets it as its second
// delivery, for the same operation, and the dead consumer's receipt is
// stale. Method: two queues on one table; the first receives and is
// killed (its calls then fail with api.ErrConnection, a long poll in
// flight included); the second finds nothing before the lease ends and
// gets the message with a long poll after it.
func TestKilledConsumer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	rerun := testcmd.Rerun(t, pkg)
	pg := livetest.StartPostgres(t)
	dsn := newSchema(t, connect(t, pg.DSN, rerun), pg.DSN, "kill", rerun)
	cfg := queue.Config{VisibilityTimeout: lease}
	dying := open(t, dsn, cfg, rerun)
	other := open(t, dsn, cfg, rerun)
	_, err := dying.For("o1.1", nil).Send("job")
	require.NoError(t, err, rerun)
	worker := dying.For("", nil)
	m, ok, err := worker.Receive(0)
	require.NoError(t, err, rerun)
	require.True(t, ok, rerun)
	require.Equal(t, "m1#1", m.Receipt, rerun)

	// A long poll of the dying process is in flight when it dies.
	polled := make(chan error, 1)
	waiting := dying.For("", nil)
	go func() {
		var err error
		if p := crash.Catch(func() { _, _, err = waiting.Receive(10 * time.Second) }); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
		polled <- err
	}()
	time.Sleep(50 * time.Millisecond) // let it start waiting; either way it must fail below
	dying.Kill()
	assert.ErrorIs(t, <-polled, api.ErrConnection, "the long poll in flight; "+rerun)
	assert.ErrorIs(t, worker.Ack(m.Receipt), api.ErrConnection, "an ack after the kill; "+rerun)
	_, err = worker.Send("more")
	assert.ErrorIs(t, err, api.ErrConnection, "a send after the kill; "+rerun)

	var tag string
	h := other.For("", func(t string) { tag = t })
	_, ok, err = h.Receive(0)
	require.NoError(t, err, rerun)
	assert.False(t, ok, "hidden while the dead consumer's lease runs; "+rerun)
	again, ok, err := h.Receive(10 * lease)
	require.NoError(t, err, rerun)
	require.True(t, ok, "redelivered after the lease; "+rerun)
	assert.Equal(t, api.Message{ID: "m1", Body: "job", Receipt: "m1#2", Receives: 2}, again, rerun)
	assert.Equal(t, "o1.1", tag, "adopted for the sender's operation; "+rerun)
	assert.ErrorIs(t, h.Ack(m.Receipt), queue.ErrStaleReceipt, "the dead consumer's receipt; "+rerun)
	assert.NoError(t, h.Ack(again.Receipt), rerun)
}

// Goal: a call the database does not answer within the call timeout fails
// with api.ErrTimeout, and one whose connection the server ends fails with
// api.ErrConnection and not ErrTimeout; the queue works again afterwards.
// Method: an administrator's transaction locks the queue's table, so the
// queue's statements wait: with a short call timeout a Send times out;
// with a long one, the administrator terminates the waiting backend.
func TestFailures(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	rerun := testcmd.Rerun(t, pkg)
	pg := livetest.StartPostgres(t)
	admin := connect(t, pg.DSN, rerun)
	dsn := newSchema(t, admin, pg.DSN, "fail", rerun)
	q := open(t, dsn, queue.DefaultConfig(), rerun)
	h := q.For("o1.1", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	lock := func(t *testing.T, rerun string) func() {
		tx, err := admin.Begin(ctx)
		require.NoError(t, err, rerun)
		_, err = tx.Exec(ctx, "lock table fail.q_messages in access exclusive mode")
		require.NoError(t, err, rerun)
		return func() { require.NoError(t, tx.Rollback(ctx), rerun) }
	}

	t.Run("timeout", func(t *testing.T) {
		rerun := testcmd.Rerun(t, pkg)
		unlock := lock(t, rerun)
		q.SetCallTimeout(300 * time.Millisecond)
		_, err := h.Send("x")
		q.SetCallTimeout(0)
		unlock()
		assert.ErrorIs(t, err, api.ErrTimeout, rerun)
		_, err = h.Send("y")
		assert.NoError(t, err, "after the lock: "+rerun)
	})

	t.Run("connection", func(t *testing.T) {
		rerun := testcmd.Rerun(t, pkg)
		unlock := lock(t, rerun)
		sent := make(chan error, 1)
		go func() {
			var err error
			if p := crash.Catch(func() { _, err = h.Send("z") }); p != nil {
				err = fmt.Errorf("panic: %v", p)
			}
			sent <- err
		}()
		terminated := false
		for tries := 0; tries < 200 && !terminated; tries++ {
			err := admin.QueryRow(ctx, `select count(*) > 0 from (select pg_terminate_backend(pid) from pg_stat_activity
				where application_name = 'idemsim-pgqueue' and wait_event_type = 'Lock') t`).Scan(&terminated)
			require.NoError(t, err, rerun)
			if !terminated {
				time.Sleep(10 * time.Millisecond)
			}
		}
		require.True(t, terminated, "the send waited on the lock; "+rerun)
		err := <-sent
		unlock()
		assert.ErrorIs(t, err, api.ErrConnection, rerun)
		assert.NotErrorIs(t, err, api.ErrTimeout, rerun)
		_, err = h.Send("after")
		assert.NoError(t, err, "with a new connection; "+rerun)
	})
}
