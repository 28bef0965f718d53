package queue_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/queue"
)

// rerun is the command that reruns exactly the failing (sub)test; every
// failure message carries it.
func rerun(t testing.TB) string { return testcmd.Rerun(t, "./sim/queue") }

// at is a clock reading d after the start of a run.
func at(d time.Duration) sim.Time { return sim.Time(d) }

func newQueue(t testing.TB, cfg queue.Config) *queue.Queue {
	t.Helper()
	q, err := queue.New(cfg)
	require.NoError(t, err, rerun(t))
	return q
}

// receive receives at now and requires a message.
func receive(t testing.TB, q *queue.Queue, now sim.Time) queue.Message {
	t.Helper()
	m, ok := q.Receive(now)
	require.True(t, ok, "a message is visible at %v; %s", now, rerun(t))
	return m
}

// Goal: messages come out in the order they were sent, ties by ID, each
// delivery carrying what was sent. Method: five sends, two at the same
// instant, then five receives.
func TestFIFO(t *testing.T) {
	q := newQueue(t, queue.DefaultConfig())
	for i, sent := range []time.Duration{0, time.Second, time.Second, 2 * time.Second, 3 * time.Second} {
		id := q.Send(at(sent), "body "+strconv.Itoa(i+1), int64(100+i))
		assert.Equal(t, "m"+strconv.Itoa(i+1), id, rerun(t))
	}
	assert.Equal(t, 5, q.Len(), rerun(t))
	for i := range 5 {
		m := receive(t, q, at(10*time.Second))
		id := "m" + strconv.Itoa(i+1)
		assert.Equal(t, queue.Message{
			ID: id, Body: "body " + strconv.Itoa(i+1), Receipt: id + "#1", Receives: 1, Tag: int64(100 + i),
			SentAt: at([]time.Duration{0, time.Second, time.Second, 2 * time.Second, 3 * time.Second}[i]),
		}, m, rerun(t))
	}
	_, ok := q.Receive(at(10 * time.Second))
	assert.False(t, ok, "all five are leased; "+rerun(t))
	assert.Equal(t, 5, q.InFlight(), rerun(t))
	assert.Equal(t, 5, q.Len(), "leased messages are still in the queue; "+rerun(t))
}

// Goal: a message not acknowledged is delivered again exactly when its
// lease ends, not a nanosecond before, with a new receipt; visibility time
// then ID orders deliveries. Method: a 30 s lease around a later send.
func TestRedeliveryAtBoundary(t *testing.T) {
	q := newQueue(t, queue.Config{VisibilityTimeout: 30 * time.Second})
	q.Send(0, "first", 1)
	first := receive(t, q, at(time.Second))
	q.Send(at(10*time.Second), "second", 2)
	q.Send(at(40*time.Second), "third", 3)

	m := receive(t, q, at(31*time.Second-1))
	assert.Equal(t, "m2", m.ID, "m1's lease still runs; "+rerun(t))
	_, ok := q.Receive(at(31*time.Second - 1))
	assert.False(t, ok, rerun(t))

	again := receive(t, q, at(31*time.Second))
	assert.Equal(t, first.ID, again.ID, rerun(t))
	assert.Equal(t, 2, again.Receives, rerun(t))
	assert.Equal(t, "m1#2", again.Receipt, rerun(t))
	assert.Equal(t, "first", again.Body, rerun(t))

	// At 100 s all three are visible: m3 since 40 s, m2 since its lease
	// ended at 61 s-1ns, m1 since 61 s.
	assert.Equal(t, "m3", receive(t, q, at(100*time.Second)).ID, rerun(t))
	assert.Equal(t, "m2", receive(t, q, at(100*time.Second)).ID, rerun(t))
	assert.Equal(t, "m1", receive(t, q, at(100*time.Second)).ID, rerun(t))
	assert.Equal(t, queue.Stats{Sent: 3, Received: 6, Redelivered: 3}, q.Stats(), rerun(t))
}

// Goal: an ack with the receipt of an earlier delivery is refused and
// named; acking a deleted message is harmless; a lapsed lease's receipt is
// still good if nobody received the message since. Method: deliver twice,
// ack both receipts in both orders.
func TestAcks(t *testing.T) {
	q := newQueue(t, queue.Config{VisibilityTimeout: time.Second})
	q.Send(0, "job", 1)
	first := receive(t, q, 0)
	second := receive(t, q, at(time.Second))

	deleted, err := q.Ack(at(time.Second), first.Receipt)
	assert.ErrorIs(t, err, queue.ErrStaleReceipt, rerun(t))
	assert.ErrorContains(t, err, "m1#1", rerun(t))
	assert.False(t, deleted, rerun(t))
	assert.Equal(t, 1, q.Len(), "a stale ack deletes nothing; "+rerun(t))

	deleted, err = q.Ack(at(time.Second), second.Receipt)
	assert.NoError(t, err, rerun(t))
	assert.True(t, deleted, rerun(t))
	for _, receipt := range []string{second.Receipt, first.Receipt} {
		deleted, err = q.Ack(at(2*time.Second), receipt)
		assert.NoError(t, err, "ack %s of a deleted message; %s", receipt, rerun(t))
		assert.False(t, deleted, rerun(t))
	}
	assert.Zero(t, q.Len(), rerun(t))
	assert.Zero(t, q.InFlight(), rerun(t))
	_, ok := q.Receive(at(time.Hour))
	assert.False(t, ok, "a deleted message is never delivered again; "+rerun(t))

	q.Send(at(time.Hour), "late", 2)
	late := receive(t, q, at(time.Hour))
	deleted, err = q.Ack(at(2*time.Hour), late.Receipt)
	assert.NoError(t, err, "the lease lapsed but nobody received it since; "+rerun(t))
	assert.True(t, deleted, rerun(t))
	assert.Equal(t, queue.Stats{Sent: 2, Received: 3, Redelivered: 1, Acked: 2, StaleAcks: 1, RepeatedAcks: 2}, q.Stats(), rerun(t))
}

// Goal: receipts the queue never issued are refused, named, whatever their
// shape. Method: one message delivered once; a list of near misses.
func TestUnknownReceipts(t *testing.T) {
	q := newQueue(t, queue.DefaultConfig())
	q.Send(0, "job", 1)
	receive(t, q, 0)
	for _, receipt := range []string{"m2#1", "m1#2", "m1#0", "m1#-1", "m1", "#1", "", "m01#1", "m1#01", "x1#1", "m1#1#1", "m+1#1"} {
		t.Run(receipt, func(t *testing.T) {
			_, err := q.Ack(0, receipt)
			assert.ErrorIs(t, err, queue.ErrUnknownReceipt, rerun(t))
			assert.ErrorContains(t, err, strconv.Quote(receipt), rerun(t))
			err = q.ChangeVisibility(0, receipt, time.Minute)
			assert.ErrorIs(t, err, queue.ErrUnknownReceipt, rerun(t))
		})
	}
	assert.Equal(t, 1, q.InFlight(), rerun(t))
}

// Goal: ChangeVisibility moves the end of the current lease to
// now+timeout — longer, shorter or 0 for at once — and refuses receipts
// that no longer hold a lease. Method: receive at 0 with a 30 s lease,
// change at 10 s, then see when the message comes back.
func TestChangeVisibility(t *testing.T) {
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		setup   func(t *testing.T, q *queue.Queue, receipt string) // before the change at 10 s
		wantErr error                                              // a sentinel, or nil
		errText string                                             // else a text the error carries, or ""
		visible time.Duration                                      // when the message is visible again; 0: deleted
	}{
		{"extend", time.Minute, nil, nil, "", 70 * time.Second},
		{"shorten", time.Second, nil, nil, "", 11 * time.Second},
		{"zero", 0, nil, nil, "", 10 * time.Second},
		{"maximum", 12 * time.Hour, nil, nil, "", 12*time.Hour + 10*time.Second},
		{"negative", -1, nil, nil, "timeout -1ns out of range: want 0 to 12h0m0s", 30 * time.Second},
		{"too-long", 12*time.Hour + 1, nil, nil, "out of range: want 0 to 12h0m0s", 30 * time.Second},
		{"deleted", time.Minute, func(t *testing.T, q *queue.Queue, receipt string) {
			_, err := q.Ack(at(5*time.Second), receipt)
			require.NoError(t, err, rerun(t))
		}, queue.ErrDeleted, "", 0},
		{"stale", time.Minute, func(t *testing.T, q *queue.Queue, receipt string) {
			require.NoError(t, q.ChangeVisibility(at(5*time.Second), receipt, 0), rerun(t))
			receive(t, q, at(5*time.Second))
		}, queue.ErrStaleReceipt, "", 35 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := newQueue(t, queue.Config{VisibilityTimeout: 30 * time.Second})
			q.Send(0, "job", 1)
			receipt := receive(t, q, 0).Receipt
			if tc.setup != nil {
				tc.setup(t, q, receipt)
			}
			err := q.ChangeVisibility(at(10*time.Second), receipt, tc.timeout)
			switch {
			case tc.wantErr != nil:
				require.ErrorIs(t, err, tc.wantErr, rerun(t))
				assert.ErrorContains(t, err, receipt, rerun(t))
			case tc.errText != "":
				require.ErrorContains(t, err, tc.errText, rerun(t))
				assert.ErrorContains(t, err, receipt, rerun(t))
			default:
				require.NoError(t, err, rerun(t))
			}
			if tc.visible == 0 {
				assert.Zero(t, q.Len(), rerun(t))
				return
			}
			next, ok := q.NextVisibleAt()
			assert.True(t, ok, rerun(t))
			assert.Equal(t, at(tc.visible), next, rerun(t))
			if tc.visible > 10*time.Second {
				_, ok = q.Receive(at(tc.visible - 1))
				assert.False(t, ok, "still leased a nanosecond before; "+rerun(t))
			}
			receive(t, q, at(tc.visible))
		})
	}
}

// Goal: a lease that lapsed cannot be extended: the message may be
// delivered again at any moment. Method: extend twice, then change
// visibility exactly when the lease ends.
func TestChangeVisibilityAfterLapse(t *testing.T) {
	q := newQueue(t, queue.Config{VisibilityTimeout: 30 * time.Second})
	q.Send(0, "job", 1)
	m := receive(t, q, 0)
	require.NoError(t, q.ChangeVisibility(at(29*time.Second), m.Receipt, 30*time.Second), rerun(t))
	err := q.ChangeVisibility(at(59*time.Second-1), m.Receipt, 30*time.Second)
	assert.NoError(t, err, "the extended lease, to 59 s, still runs; "+rerun(t))
	err = q.ChangeVisibility(at(89*time.Second-1), m.Receipt, time.Minute)
	assert.ErrorIs(t, err, queue.ErrNotInFlight, "the lease ended at this very instant; "+rerun(t))
	assert.ErrorContains(t, err, "m1#1", rerun(t))
}

// Goal: a message delivered MaxReceives times and still not acknowledged
// moves to the dead-letter list at the receive that would deliver it once
// more; until then its last receipt still acknowledges it. Method:
// MaxReceives 2, a 10 s lease.
func TestDeadLetters(t *testing.T) {
	q := newQueue(t, queue.Config{VisibilityTimeout: 10 * time.Second, MaxReceives: 2})
	q.Send(0, "poison", 7)
	q.Send(0, "good", 8)
	assert.Equal(t, "m1#1", receive(t, q, 0).Receipt, rerun(t))
	assert.Equal(t, "m2#1", receive(t, q, 0).Receipt, rerun(t))
	assert.Equal(t, "m1#2", receive(t, q, at(10*time.Second)).Receipt, rerun(t))
	last := receive(t, q, at(10*time.Second))
	assert.Equal(t, "m2#2", last.Receipt, rerun(t))

	next, ok := q.NextVisibleAt()
	assert.True(t, ok, rerun(t))
	assert.Equal(t, at(20*time.Second), next, "m1 reappears, only to be dead-lettered; "+rerun(t))

	// m2's lease has lapsed too, but its last receipt still deletes it.
	deleted, err := q.Ack(at(25*time.Second), last.Receipt)
	require.NoError(t, err, rerun(t))
	assert.True(t, deleted, rerun(t))
	assert.Equal(t, 1, q.Len(), "m1 waits in the queue until a receive; "+rerun(t))

	_, ok = q.Receive(at(25 * time.Second))
	assert.False(t, ok, rerun(t))
	assert.Equal(t, []queue.Message{{ID: "m1", Body: "poison", Receives: 2, Tag: 7}}, q.DeadLetters(), rerun(t))
	assert.Zero(t, q.Len(), rerun(t))
	assert.Zero(t, q.InFlight(), rerun(t))
	_, ok = q.NextVisibleAt()
	assert.False(t, ok, rerun(t))

	_, err = q.Ack(at(26*time.Second), "m1#2")
	assert.ErrorIs(t, err, queue.ErrDeadLettered, rerun(t))
	assert.ErrorContains(t, err, "m1#2", rerun(t))
	assert.ErrorIs(t, q.ChangeVisibility(at(26*time.Second), "m1#2", 0), queue.ErrDeadLettered, rerun(t))
	assert.Equal(t, queue.Stats{Sent: 2, Received: 4, Redelivered: 2, Acked: 1, DeadLettered: 1}, q.Stats(), rerun(t))
}

// Goal: NextVisibleAt is when the first queued message is or becomes
// visible, through sends, leases, acks and lease changes.
func TestNextVisibleAt(t *testing.T) {
	q := newQueue(t, queue.Config{VisibilityTimeout: 30 * time.Second})
	next := func() any {
		at, ok := q.NextVisibleAt()
		if !ok {
			return "empty"
		}
		return at
	}
	assert.Equal(t, "empty", next(), rerun(t))
	q.Send(at(5*time.Second), "a", 1)
	assert.Equal(t, at(5*time.Second), next(), "a sent message is visible at once; "+rerun(t))
	a := receive(t, q, at(10*time.Second))
	assert.Equal(t, at(40*time.Second), next(), rerun(t))
	q.Send(at(20*time.Second), "b", 2)
	assert.Equal(t, at(20*time.Second), next(), rerun(t))
	b := receive(t, q, at(20*time.Second))
	assert.Equal(t, at(40*time.Second), next(), rerun(t))
	require.NoError(t, q.ChangeVisibility(at(25*time.Second), a.Receipt, time.Minute), rerun(t))
	assert.Equal(t, at(50*time.Second), next(), "b's lease ends first now; "+rerun(t))
	_, err := q.Ack(at(26*time.Second), b.Receipt)
	require.NoError(t, err, rerun(t))
	assert.Equal(t, at(85*time.Second), next(), rerun(t))
	_, err = q.Ack(at(26*time.Second), a.Receipt)
	require.NoError(t, err, rerun(t))
	assert.Equal(t, "empty", next(), rerun(t))
}

// Goal: order and counts hold for many messages. Method: 10,000 sends,
// every one received in order, two in three acknowledged; the rest come
// back after the lease in the same order.
func TestManyMessages(t *testing.T) {
	const n = 10000
	q := newQueue(t, queue.Config{VisibilityTimeout: time.Minute})
	for i := range n {
		q.Send(at(time.Duration(i)*time.Millisecond), strconv.Itoa(i), int64(i))
	}
	var kept []string
	for i := range n {
		m := receive(t, q, at(time.Hour))
		require.Equal(t, "m"+strconv.Itoa(i+1), m.ID, rerun(t))
		if i%3 == 0 {
			kept = append(kept, m.ID)
			continue
		}
		_, err := q.Ack(at(time.Hour), m.Receipt)
		require.NoError(t, err, rerun(t))
	}
	assert.Equal(t, len(kept), q.Len(), rerun(t))
	assert.Equal(t, len(kept), q.InFlight(), rerun(t))
	_, ok := q.Receive(at(time.Hour + time.Minute - 1))
	assert.False(t, ok, rerun(t))
	for _, id := range kept {
		m := receive(t, q, at(time.Hour+time.Minute))
		require.Equal(t, id, m.ID, rerun(t))
		require.Equal(t, 2, m.Receives, rerun(t))
	}
	stats := q.Stats()
	assert.Equal(t, int64(n), stats.Sent, rerun(t))
	assert.Equal(t, int64(n+len(kept)), stats.Received, rerun(t))
	assert.Equal(t, int64(n-len(kept)), stats.Acked, rerun(t))
}

// Goal: New refuses out-of-range fields with one line naming the field and
// the accepted range, and fills the defaults.
func TestNewValidates(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   queue.Config
		field string
		rng   string
	}{
		{"negative-timeout", queue.Config{VisibilityTimeout: -1}, "VisibilityTimeout", "to 12h0m0s"},
		{"long-timeout", queue.Config{VisibilityTimeout: 13 * time.Hour}, "VisibilityTimeout", "to 12h0m0s"},
		{"negative-receives", queue.Config{MaxReceives: -1}, "MaxReceives", "0 (unlimited) to 1000"},
		{"many-receives", queue.Config{MaxReceives: 1001}, "MaxReceives", "0 (unlimited) to 1000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := queue.New(tc.cfg)
			require.Error(t, err, rerun(t))
			assert.Contains(t, err.Error(), tc.field, rerun(t))
			assert.Contains(t, err.Error(), tc.rng, rerun(t))
			assert.NotContains(t, err.Error(), "\n", rerun(t))
		})
	}
	q := newQueue(t, queue.Config{})
	assert.Equal(t, queue.DefaultConfig(), q.Config(), rerun(t))
	assert.Equal(t, 30*time.Second, q.Config().VisibilityTimeout, rerun(t))
	newQueue(t, queue.Config{VisibilityTimeout: 12 * time.Hour, MaxReceives: 1000})
}
