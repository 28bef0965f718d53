package queue_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/queue"
)

// model is the reference: the queue's rules as scans over every message,
// with no heap to keep in order.
type model struct {
	cfg         queue.Config
	messages    []modelMessage
	deadLetters []queue.Message
	stats       queue.Stats
}

type modelMessage struct {
	msg       queue.Message // Receipt unused
	visibleAt sim.Time
	gone      bool // deleted or dead-lettered
	dead      bool
}

func (m *model) send(now sim.Time, body string, tag int64) string {
	id := "m" + strconv.Itoa(len(m.messages)+1)
	m.messages = append(m.messages, modelMessage{msg: queue.Message{ID: id, Body: body, Tag: tag, SentAt: now}, visibleAt: now})
	m.stats.Sent++
	return id
}

func (m *model) receive(now sim.Time) (queue.Message, bool) {
	for {
		best := -1
		for i, x := range m.messages {
			if !x.gone && x.visibleAt <= now && (best < 0 || x.visibleAt < m.messages[best].visibleAt) {
				best = i // ties keep the lower index: the lower ID
			}
		}
		if best < 0 {
			return queue.Message{}, false
		}
		x := &m.messages[best]
		if m.cfg.MaxReceives > 0 && x.msg.Receives >= m.cfg.MaxReceives {
			x.gone, x.dead = true, true
			m.deadLetters = append(m.deadLetters, x.msg)
			m.stats.DeadLettered++
			continue
		}
		x.msg.Receives++
		m.stats.Received++
		if x.msg.Receives > 1 {
			m.stats.Redelivered++
		}
		x.visibleAt = now.Add(m.cfg.VisibilityTimeout)
		out := x.msg
		out.Receipt = out.ID + "#" + strconv.Itoa(out.Receives)
		return out, true
	}
}

// find returns the message of a receipt the model issued, and whether the
// receipt is its latest.
func (m *model) find(receipt string) (*modelMessage, bool) {
	var number, receives int
	if _, err := fmt.Sscanf(receipt, "m%d#%d", &number, &receives); err != nil {
		panic(receipt)
	}
	x := &m.messages[number-1]
	return x, receives == x.msg.Receives
}

func (m *model) ack(receipt string) (bool, error) {
	x, latest := m.find(receipt)
	switch {
	case x.gone && !x.dead:
		m.stats.RepeatedAcks++
		return false, nil
	case x.dead:
		return false, queue.ErrDeadLettered
	case !latest:
		m.stats.StaleAcks++
		return false, queue.ErrStaleReceipt
	}
	x.gone = true
	m.stats.Acked++
	return true, nil
}

func (m *model) changeVisibility(now sim.Time, receipt string, timeout sim.Duration) error {
	x, latest := m.find(receipt)
	switch {
	case x.gone && !x.dead:
		return queue.ErrDeleted
	case x.dead:
		return queue.ErrDeadLettered
	case !latest:
		return queue.ErrStaleReceipt
	case x.visibleAt <= now:
		return queue.ErrNotInFlight
	}
	x.visibleAt = now.Add(timeout)
	return nil
}

func (m *model) counts() (length, inFlight int, next sim.Time, ok bool) {
	for _, x := range m.messages {
		if x.gone {
			continue
		}
		length++
		if x.msg.Receives > 0 {
			inFlight++
		}
		if !ok || x.visibleAt < next {
			next, ok = x.visibleAt, true
		}
	}
	return length, inFlight, next, ok
}

// sentinel is the first of the queue's errors err wraps, for comparing with
// the model.
func sentinel(err error) error {
	for _, s := range []error{queue.ErrStaleReceipt, queue.ErrUnknownReceipt, queue.ErrDeadLettered, queue.ErrDeleted, queue.ErrNotInFlight} {
		if errors.Is(err, s) {
			return s
		}
	}
	return err
}

// Goal: the heap gives the plain rules' answers over long random histories
// of sends, receives, acks with fresh and stale receipts, lease changes,
// dead-lettering and clock steps around the lease. Method: the same random
// operations on the queue and on model, compared after every step.
func TestAgainstModel(t *testing.T) {
	steps := []time.Duration{0, 1, time.Second, 9 * time.Second, 10 * time.Second, 25 * time.Second}
	timeouts := []time.Duration{0, 1, 5 * time.Second, 10 * time.Second, time.Minute}
	for _, cfg := range []queue.Config{{VisibilityTimeout: 10 * time.Second}, {VisibilityTimeout: 10 * time.Second, MaxReceives: 3}, {VisibilityTimeout: 1, MaxReceives: 1}} {
		for seed := uint64(1); seed <= 25; seed++ {
			t.Run(fmt.Sprintf("timeout=%v/max=%d/seed=%d", cfg.VisibilityTimeout, cfg.MaxReceives, seed), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(seed, 1))
				q := newQueue(t, cfg)
				ref := &model{cfg: q.Config()}
				var receipts []string // every receipt issued
				var now sim.Time
				for step := range 500 {
					where := fmt.Sprintf("step %d at %v; %s", step, now, rerun(t))
					switch op := rng.IntN(10); {
					case op < 3:
						body := "b" + strconv.Itoa(step)
						assert.Equal(t, ref.send(now, body, int64(step)), q.Send(now, body, int64(step)), where)
					case op < 6:
						want, wantOK := ref.receive(now)
						got, ok := q.Receive(now)
						require.Equal(t, wantOK, ok, where)
						assert.Equal(t, want, got, where)
						if ok {
							receipts = append(receipts, got.Receipt)
						}
					case op < 8 && len(receipts) > 0:
						// Mostly recent receipts, so most acks are not stale.
						receipt := receipts[len(receipts)-1-rng.IntN(min(len(receipts), 4))]
						wantDeleted, wantErr := ref.ack(receipt)
						deleted, err := q.Ack(now, receipt)
						assert.Equal(t, wantErr, sentinel(err), "ack %s; %s", receipt, where)
						assert.Equal(t, wantDeleted, deleted, "ack %s; %s", receipt, where)
					case op < 9 && len(receipts) > 0:
						receipt := receipts[len(receipts)-1-rng.IntN(min(len(receipts), 4))]
						timeout := timeouts[rng.IntN(len(timeouts))]
						want := ref.changeVisibility(now, receipt, timeout)
						assert.Equal(t, want, sentinel(q.ChangeVisibility(now, receipt, timeout)), "change %s to %v; %s", receipt, timeout, where)
					default:
						now = now.Add(steps[rng.IntN(len(steps))])
					}
					length, inFlight, next, ok := ref.counts()
					assert.Equal(t, length, q.Len(), where)
					assert.Equal(t, inFlight, q.InFlight(), where)
					gotNext, gotOK := q.NextVisibleAt()
					assert.Equal(t, ok, gotOK, where)
					assert.Equal(t, next, gotNext, where)
				}
				assert.Equal(t, ref.deadLetters, append([]queue.Message(nil), q.DeadLetters()...), rerun(t))
				assert.Equal(t, ref.stats, q.Stats(), rerun(t))
			})
		}
	}
}
