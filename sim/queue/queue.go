package queue

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/idemsim/idemsim/sim"
)

// Limits of Config and ChangeVisibility, as in SQS.
const (
	DefaultVisibilityTimeout = 30 * time.Second
	MaxVisibilityTimeout     = 12 * time.Hour
	MaxMaxReceives           = 1000
)

// Config is how the queue redelivers.
type Config struct {
	// VisibilityTimeout is how long a received message stays invisible
	// before it is delivered again: 0 means DefaultVisibilityTimeout, else
	// up to MaxVisibilityTimeout.
	VisibilityTimeout sim.Duration
	// MaxReceives is SQS's maxReceiveCount: a message delivered that many
	// times and still not acknowledged moves to the dead-letter list when
	// it would be delivered once more. 0 means unlimited, else up to
	// MaxMaxReceives.
	MaxReceives int
}

// DefaultConfig is SQS's default: 30 s visibility, no dead-letter queue.
func DefaultConfig() Config {
	return Config{VisibilityTimeout: DefaultVisibilityTimeout}
}

// Message is one delivery of a message.
type Message struct {
	ID      string // "m1", "m2", ... in order of Send
	Body    string
	Receipt string // "m3#2" for the 2nd delivery of m3; "" in DeadLetters
	// Receives counts deliveries so far, this one included.
	Receives int
	// Tag is the world's attribution of the message to a business
	// operation; the queue stores it and never looks at it.
	Tag    int64
	SentAt sim.Time
}

// Stats counts the queue's traffic.
type Stats struct {
	Sent         int64
	Received     int64 // every delivery, redeliveries included
	Redelivered  int64 // deliveries after the first of a message
	Acked        int64 // acks that deleted a message
	StaleAcks    int64 // acks refused with ErrStaleReceipt
	RepeatedAcks int64 // acks of a message already deleted (not errors)
	DeadLettered int64
}

// The errors of Ack and ChangeVisibility, wrapped with the receipt.
var (
	// ErrStaleReceipt: the message was delivered again since this receipt
	// was issued, so another consumer may be working on it. Real SQS may
	// accept such a receipt; the simulation refuses it to expose the race.
	ErrStaleReceipt   = errors.New("stale receipt: the message was delivered again since")
	ErrUnknownReceipt = errors.New("no such receipt")
	ErrDeadLettered   = errors.New("message moved to the dead-letter list")
	// ErrDeleted: ChangeVisibility of a deleted message (Ack of one is not
	// an error).
	ErrDeleted = errors.New("message already deleted")
	// ErrNotInFlight: ChangeVisibility after the lease lapsed — the message
	// is visible and may be delivered again at any moment, so extending it
	// would hide the race.
	ErrNotInFlight = errors.New("message is visible again: its lease lapsed")
)

type state uint8

const (
	stateQueued state = iota // visible or leased
	stateDeleted
	stateDeadLettered
)

type message struct {
	body      string
	tag       int64
	sentAt    sim.Time
	visibleAt sim.Time // sentAt until the first delivery, then the lease's end
	receives  int
	state     state
	heapIndex int
}

// Queue is one durable queue. Its methods take the broker node's clock
// reading; nothing else advances its state.
type Queue struct {
	cfg      Config
	messages []message // message mN is messages[N-1]; kept after deletion to tell stale from unknown
	// byVisibility holds the numbers of the queued messages, ordered by
	// (visibleAt, number): the delivery order, and NextVisibleAt is its top.
	byVisibility []int
	inFlight     int
	deadLetters  []int
	stats        Stats
}

// New returns an empty queue, or an error naming the first Config field out
// of range.
func New(cfg Config) (*Queue, error) {
	if cfg.VisibilityTimeout < 0 || cfg.VisibilityTimeout > MaxVisibilityTimeout {
		return nil, fmt.Errorf("queue: VisibilityTimeout %v out of range: want 0 (meaning %v) to %v", cfg.VisibilityTimeout, DefaultVisibilityTimeout, MaxVisibilityTimeout)
	}
	if cfg.VisibilityTimeout == 0 {
		cfg.VisibilityTimeout = DefaultVisibilityTimeout
	}
	if cfg.MaxReceives < 0 || cfg.MaxReceives > MaxMaxReceives {
		return nil, fmt.Errorf("queue: MaxReceives %d out of range: want 0 (unlimited) to %d", cfg.MaxReceives, MaxMaxReceives)
	}
	return &Queue{cfg: cfg}, nil
}

// Config returns the queue's configuration with defaults filled in.
func (q *Queue) Config() Config { return q.cfg }

// Send stores a message at now, visible at once, and returns its ID. The
// queue is durable: a message leaves only by Ack or dead-lettering.
func (q *Queue) Send(now sim.Time, body string, tag int64) string {
	q.messages = append(q.messages, message{body: body, tag: tag, sentAt: now, visibleAt: now})
	number := len(q.messages)
	q.push(number)
	q.stats.Sent++
	return messageID(number)
}

// Receive delivers the visible message that became visible first (ties by
// ID) and hides it until now+VisibilityTimeout; a message is visible from
// the instant its lease ends. A message out of receives met on the way moves
// to the dead-letter list instead, as in SQS. ok is false when no message is
// visible at now.
func (q *Queue) Receive(now sim.Time) (delivery Message, ok bool) {
	for len(q.byVisibility) > 0 {
		number := q.byVisibility[0]
		m := &q.messages[number-1]
		if m.visibleAt > now {
			return Message{}, false
		}
		if q.cfg.MaxReceives > 0 && m.receives >= q.cfg.MaxReceives {
			q.remove(number)
			m.state = stateDeadLettered
			q.inFlight--
			q.deadLetters = append(q.deadLetters, number)
			q.stats.DeadLettered++
			continue
		}
		m.receives++
		if m.receives == 1 {
			q.inFlight++
		} else {
			q.stats.Redelivered++
		}
		q.stats.Received++
		m.visibleAt = now.Add(q.cfg.VisibilityTimeout)
		q.fix(0)
		return q.view(number, true), true
	}
	return Message{}, false
}

// Ack deletes the message of receipt (SQS DeleteMessage). deleted is false,
// with no error, when the message was deleted already: acknowledging twice is
// harmless, as in SQS. A receipt whose lease lapsed is still accepted as long
// as no later delivery of the message happened (as in SQS); one from an
// earlier delivery is refused with ErrStaleReceipt.
func (q *Queue) Ack(now sim.Time, receipt string) (deleted bool, err error) {
	m, number, err := q.lookup("ack", receipt)
	if err != nil {
		return false, err
	}
	if m.state == stateDeleted {
		q.stats.RepeatedAcks++
		return false, nil
	}
	if err := q.check("ack", receipt, m); err != nil {
		if errors.Is(err, ErrStaleReceipt) {
			q.stats.StaleAcks++
		}
		return false, err
	}
	q.remove(number)
	m.state = stateDeleted
	m.body = "" // the ID and receive count stay, to tell a repeated ack from an unknown one
	q.inFlight--
	q.stats.Acked++
	return true, nil
}

// ChangeVisibility sets the lease of receipt's message to end at now+timeout
// (0 to 12 h): a long job extends it, 0 makes the message visible at once.
// Only the latest delivery's receipt may, and only while its lease runs.
func (q *Queue) ChangeVisibility(now sim.Time, receipt string, timeout sim.Duration) error {
	if timeout < 0 || timeout > MaxVisibilityTimeout {
		return fmt.Errorf("queue: change visibility of %q: timeout %v out of range: want 0 to %v", receipt, timeout, MaxVisibilityTimeout)
	}
	m, _, err := q.lookup("change visibility of", receipt)
	if err != nil {
		return err
	}
	if m.state == stateDeleted {
		return fmt.Errorf("queue: change visibility of %s: %w", receipt, ErrDeleted)
	}
	if err := q.check("change visibility of", receipt, m); err != nil {
		return err
	}
	if m.visibleAt <= now {
		return fmt.Errorf("queue: change visibility of %s: %w at %v", receipt, ErrNotInFlight, m.visibleAt)
	}
	m.visibleAt = now.Add(timeout)
	q.fix(m.heapIndex)
	return nil
}

// NextVisibleAt is the earliest time a queued message is or becomes
// visible, so the world can wake a long-polling receiver then; ok is false
// when the queue is empty. After a Receive at now found nothing, every
// message is invisible and this is when the first reappears (a message out
// of receives reappears only to be dead-lettered by that Receive).
func (q *Queue) NextVisibleAt() (at sim.Time, ok bool) {
	if len(q.byVisibility) == 0 {
		return 0, false
	}
	return q.messages[q.byVisibility[0]-1].visibleAt, true
}

// Len is the number of messages in the queue: sent, neither deleted nor
// dead-lettered, visible or not.
func (q *Queue) Len() int { return len(q.byVisibility) }

// InFlight is the number of messages delivered at least once and not yet
// deleted or dead-lettered. A message whose lease lapsed stays counted until
// then: its consumer may still be working on it.
func (q *Queue) InFlight() int { return q.inFlight }

// DeadLetters lists the dead-lettered messages in the order they moved, with
// no receipt (they can no longer be acknowledged).
func (q *Queue) DeadLetters() []Message {
	out := make([]Message, 0, len(q.deadLetters))
	for _, number := range q.deadLetters {
		out = append(out, q.view(number, false))
	}
	return out
}

// Stats returns the counters so far.
func (q *Queue) Stats() Stats { return q.stats }

func (q *Queue) view(number int, withReceipt bool) Message {
	m := &q.messages[number-1]
	id := messageID(number)
	out := Message{ID: id, Body: m.body, Receives: m.receives, Tag: m.tag, SentAt: m.sentAt}
	if withReceipt {
		out.Receipt = id + "#" + strconv.Itoa(m.receives)
	}
	return out
}

// lookup finds the message a receipt names, or ErrUnknownReceipt for one
// the queue never issued.
func (q *Queue) lookup(verb, receipt string) (*message, int, error) {
	id, delivery, found := strings.Cut(receipt, "#")
	digits, isMessage := strings.CutPrefix(id, "m")
	number, err1 := strconv.Atoi(digits)
	receives, err2 := strconv.Atoi(delivery)
	if !found || !isMessage || err1 != nil || err2 != nil || number < 1 || number > len(q.messages) ||
		receives < 1 || receives > q.messages[number-1].receives || messageID(number)+"#"+strconv.Itoa(receives) != receipt {
		return nil, 0, fmt.Errorf("queue: %s %q: %w", verb, receipt, ErrUnknownReceipt)
	}
	return &q.messages[number-1], number, nil
}

// check refuses a receipt of a dead-lettered message or of an earlier
// delivery.
func (q *Queue) check(verb, receipt string, m *message) error {
	if m.state == stateDeadLettered {
		return fmt.Errorf("queue: %s %s: %w", verb, receipt, ErrDeadLettered)
	}
	_, delivery, _ := strings.Cut(receipt, "#")
	if receives, _ := strconv.Atoi(delivery); receives < m.receives {
		return fmt.Errorf("queue: %s %s: %w (latest is #%d)", verb, receipt, ErrStaleReceipt, m.receives)
	}
	return nil
}

func messageID(number int) string { return "m" + strconv.Itoa(number) }

// The heap of queued messages by (visibleAt, number).

func (q *Queue) less(i, j int) bool {
	a, b := q.byVisibility[i], q.byVisibility[j]
	ta, tb := q.messages[a-1].visibleAt, q.messages[b-1].visibleAt
	return ta < tb || ta == tb && a < b
}

func (q *Queue) swap(i, j int) {
	h := q.byVisibility
	h[i], h[j] = h[j], h[i]
	q.messages[h[i]-1].heapIndex = i
	q.messages[h[j]-1].heapIndex = j
}

func (q *Queue) push(number int) {
	q.byVisibility = append(q.byVisibility, number)
	i := len(q.byVisibility) - 1
	q.messages[number-1].heapIndex = i
	q.up(i)
}

func (q *Queue) remove(number int) {
	i := q.messages[number-1].heapIndex
	last := len(q.byVisibility) - 1
	if i != last {
		q.swap(i, last)
	}
	q.byVisibility = q.byVisibility[:last]
	q.messages[number-1].heapIndex = -1
	if i != last {
		q.fix(i)
	}
}

func (q *Queue) fix(i int) {
	if !q.down(i) {
		q.up(i)
	}
}

func (q *Queue) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !q.less(i, parent) {
			return
		}
		q.swap(i, parent)
		i = parent
	}
}

// down sifts element i down and reports whether it moved.
func (q *Queue) down(i int) bool {
	start, n := i, len(q.byVisibility)
	for {
		child := 2*i + 1
		if child >= n {
			break
		}
		if right := child + 1; right < n && q.less(right, child) {
			child = right
		}
		if !q.less(child, i) {
			break
		}
		q.swap(i, child)
		i = child
	}
	return i > start
}
