// Package pgqueue is the queue capability of the strategies (api.Queue,
// sim/api/services.go) as a durable queue in a PostgreSQL table, so that a
// strategy written for the simulated broker runs unchanged against a real
// database. It answers as sim/queue does, which its tests check step by
// step: message ids m1, m2, ... in order of Send; a delivery hides its
// message for the visibility timeout and carries the receipt "mN#R" of the
// message's R-th delivery; only the latest delivery's receipt may
// acknowledge or change the visibility, an earlier one fails with
// queue.ErrStaleReceipt; acknowledging twice is not an error; delivery goes
// to the message that became visible first, ties by id; a message out of
// receives (queue.Config.MaxReceives) is dead-lettered when it would be
// delivered once more. The errors wrap the same sentinels of sim/queue.
//
// Receivers take messages with SELECT ... FOR UPDATE SKIP LOCKED, so
// concurrent consumers never take the same delivery. Times are the
// database's clock (now()), so every process sharing the table agrees on
// when a lease ends.
//
// A long poll (Receive with a wait) does not poll the database at a fixed
// rate: Send and ChangeVisibility send a NOTIFY, one listening connection
// per Queue wakes the waiting receivers, and a receiver that found nothing
// sleeps until the next hidden message becomes visible, the end of its
// wait, or a notification, whichever comes first (and at most
// safetyPoll, in case a notification was lost while the listener
// reconnected).
//
// Failures map as in the simulated world: a call past the call timeout is
// api.ErrTimeout, any other failure to reach the database (a broken
// connection, a Queue killed) is api.ErrConnection; the caller cannot tell
// whether the call took effect.
package pgqueue

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/idemsim/idemsim/internal/crash"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/queue"
)

// DefaultCallTimeout bounds each statement unless SetCallTimeout says
// otherwise: no statement of the queue waits for a lock, so a call that
// takes this long has lost its database.
const DefaultCallTimeout = 10 * time.Second

// PoolSize is the number of connections a Queue uses for its calls; long
// polls hold none while they wait. The listener has one more.
const PoolSize = 8

// safetyPoll is the longest a waiting receiver sleeps without trying
// again, and minPoll the shortest: a message that is visible but locked
// by another receiver about to take it is retried after minPoll rather
// than at once.
const (
	safetyPoll = 500 * time.Millisecond
	minPoll    = 2 * time.Millisecond
)

// channel is the NOTIFY channel of the table.
const channel = "q_messages"

// The states of a row, as sim/queue's.
const (
	stateQueued       = 0 // visible or leased
	stateDeleted      = 1 // acknowledged: the id and receive count stay
	stateDeadLettered = 2
)

// schema is the package's own table. A row is kept after its ack, body
// emptied, to tell a repeated ack from an unknown receipt, as the
// simulated queue does. The partial index is the delivery order.
var schema = []string{
	`create table if not exists q_messages (
		n bigserial primary key,
		body text not null,
		tag text not null,
		sent_at timestamptz not null,
		visible_at timestamptz not null,
		receives integer not null default 0,
		state smallint not null default 0)`,
	`create index if not exists q_messages_ready on q_messages (visible_at, n) where state = 0`,
}

// Queue is one durable queue in the table q_messages of a database. Its
// methods are safe for concurrent use; api.Queue handles come from For.
type Queue struct {
	cfg     queue.Config
	pool    *pgxpool.Pool
	timeout atomic.Int64 // time.Duration of each statement

	// ctx ends with Kill or Close: every call and the listener derive
	// from it.
	ctx    context.Context
	cancel context.CancelFunc
	killed atomic.Bool

	conns connSet
	wake  signal

	listenerDone chan *crash.Panic
	stopOnce     sync.Once

	statements atomic.Int64 // statements sent, for the measurement of long polls
}

// Open connects to the database of dsn, creates the queue's table if it is
// missing, and starts the listener. cfg is sim/queue's, validated and
// defaulted by queue.New; ctx bounds the opening only.
func Open(ctx context.Context, dsn string, cfg queue.Config) (*Queue, error) {
	model, err := queue.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("pgqueue: %w", err)
	}
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("pgqueue: DSN: %w", err)
	}
	root, cancel := context.WithCancel(context.Background())
	q := &Queue{cfg: model.Config(), ctx: root, cancel: cancel, listenerDone: make(chan *crash.Panic, 1)}
	q.timeout.Store(int64(DefaultCallTimeout))
	q.wake.ch = make(chan struct{})
	q.conns.m = map[*trackedConn]struct{}{}
	pc.MaxConns = PoolSize
	pc.MinConns = 0
	pc.ConnConfig.RuntimeParams["application_name"] = "idemsim-pgqueue"
	pc.ConnConfig.RuntimeParams["TimeZone"] = "UTC"
	pc.ConnConfig.DialFunc = q.dial(pc.ConnConfig.DialFunc)
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("pgqueue: %w", err)
	}
	q.pool = pool
	if err := q.createSchema(ctx); err != nil {
		cancel()
		pool.Close()
		return nil, err
	}
	listen, err := pgx.ConnectConfig(ctx, pc.ConnConfig.Copy())
	if err != nil {
		cancel()
		pool.Close()
		return nil, fmt.Errorf("pgqueue: connecting the listener: %w", err)
	}
	if _, err := listen.Exec(ctx, "listen "+channel); err != nil {
		cancel()
		listen.Close(context.Background())
		pool.Close()
		return nil, fmt.Errorf("pgqueue: listen: %w", err)
	}
	go func() {
		q.listenerDone <- crash.Catch(func() { q.listen(listen, pc.ConnConfig) })
	}()
	return q, nil
}

// createSchema creates the table under an advisory lock, so that two
// processes opening the queue at once do not race on the catalog.
func (q *Queue) createSchema(ctx context.Context) error {
	tx, err := q.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgqueue: connecting: %w", err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, "select pg_advisory_xact_lock(hashtext('idemsim q_messages'))"); err != nil {
		return fmt.Errorf("pgqueue: creating the table: %w", err)
	}
	for _, ddl := range schema {
		if _, err := tx.Exec(ctx, ddl); err != nil {
			return fmt.Errorf("pgqueue: creating the table: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgqueue: creating the table: %w", err)
	}
	return nil
}

// Config is the queue's configuration with its defaults filled in.
func (q *Queue) Config() queue.Config { return q.cfg }

// SetCallTimeout sets the bound on each statement (d <= 0:
// DefaultCallTimeout).
func (q *Queue) SetCallTimeout(d time.Duration) {
	if d <= 0 {
		d = DefaultCallTimeout
	}
	q.timeout.Store(int64(d))
}

// Kill closes every connection at once, as the death of the process
// holding the queue would: no Terminate message, no cancel request, so a
// statement the database already received may still apply. Calls in
// flight and later ones fail with api.ErrConnection. Messages this
// process had received come back after their visibility timeout.
func (q *Queue) Kill() {
	q.killed.Store(true)
	q.conns.closeAll()
	q.stop()
}

// Close ends the queue's connections in order; calls after it fail with
// api.ErrConnection.
func (q *Queue) Close() { q.stop() }

// stop ends the calls, the listener and the pool, once, and raises again
// a panic of the listener.
func (q *Queue) stop() {
	var p *crash.Panic
	q.stopOnce.Do(func() {
		q.cancel()
		q.pool.Close()
		p = <-q.listenerDone
	})
	if p != nil {
		panic(p)
	}
}

// For is the api.Queue of one actor working for the operation tag ("" for
// none). Send stores tag with the message, out of the strategy's sight;
// Receive calls adopt with the tag of the message it delivers when that
// tag is not "", so the receiving worker then acts for the operation that
// sent it (the simulated world likewise keeps the worker's operation for a
// message that names none). adopt may be nil.
func (q *Queue) For(tag string, adopt func(tag string)) api.Queue {
	return &handle{q: q, tag: tag, adopt: adopt}
}

type handle struct {
	q     *Queue
	tag   string
	adopt func(string)
}

var _ api.Queue = (*handle)(nil)

// Send implements api.Queue.
func (h *handle) Send(body string) (string, error) {
	var n int64
	err := h.q.query("send", func(ctx context.Context, c *pgxpool.Conn) error {
		return c.QueryRow(ctx, `with m as (
				insert into q_messages (body, tag, sent_at, visible_at) values ($1, $2, now(), now()) returning n)
			select n, pg_notify('`+channel+`', '') from m`, body, h.tag).Scan(&n, nil)
	})
	if err != nil {
		return "", err
	}
	return messageID(n), nil
}

// Receive implements api.Queue: a long poll of up to wait (wait <= 0: one
// try).
func (h *handle) Receive(wait sim.Duration) (api.Message, bool, error) {
	q := h.q
	deadline := time.Now().Add(wait)
	for {
		woken := q.wake.wait()
		msg, tag, ok, err := q.receiveOnce()
		if err != nil || ok {
			if ok && tag != "" && h.adopt != nil {
				h.adopt(tag)
			}
			return msg, ok, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return api.Message{}, false, nil
		}
		sleep := min(left, safetyPoll)
		next, queued, err := q.untilVisible()
		if err != nil {
			return api.Message{}, false, err
		}
		if queued {
			sleep = max(min(sleep, next), minPoll)
		}
		timer := time.NewTimer(sleep)
		select {
		case <-woken:
		case <-timer.C:
		case <-q.ctx.Done():
		}
		timer.Stop()
	}
}

// receiveOnce delivers the message visible first, dead-lettering on the
// way any that is out of receives, as queue.Queue.Receive does: one
// statement per message met, each taking its row with SKIP LOCKED. Under
// contention it may find nothing while a message is visible (the row it
// picked was taken meanwhile, and LIMIT does not look further), as a
// short poll of SQS may: a receiver that waits tries again.
func (q *Queue) receiveOnce() (msg api.Message, tag string, ok bool, err error) {
	for {
		var (
			n          int64
			state      int16
			body, mtag string
			receives   int
			found      bool
		)
		err := q.query("receive", func(ctx context.Context, c *pgxpool.Conn) error {
			// The verdict reads the row as locked (m), never an older
			// version a concurrent receiver has since changed.
			err := c.QueryRow(ctx, `with next as (
					select n from q_messages where state = 0 and visible_at <= now()
					order by visible_at, n limit 1 for update skip locked)
				update q_messages m set
					state = case when $2::int > 0 and m.receives >= $2::int then 2 else 0 end,
					receives = case when $2::int > 0 and m.receives >= $2::int then m.receives else m.receives + 1 end,
					visible_at = case when $2::int > 0 and m.receives >= $2::int then m.visible_at
						else now() + $1::bigint * interval '1 microsecond' end
				from next where m.n = next.n
				returning m.n, m.state, m.body, m.tag, m.receives`, q.cfg.VisibilityTimeout.Microseconds(), q.cfg.MaxReceives).
				Scan(&n, &state, &body, &mtag, &receives)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			found = err == nil
			return err
		})
		if err != nil || !found {
			return api.Message{}, "", false, err
		}
		if state == stateDeadLettered {
			continue
		}
		id := messageID(n)
		return api.Message{ID: id, Body: body, Receipt: id + "#" + strconv.Itoa(receives), Receives: receives}, mtag, true, nil
	}
}

// untilVisible is how long until the next queued message becomes visible
// by the database's clock (0 or less: it is already); queued is false
// when no message is queued.
func (q *Queue) untilVisible() (d time.Duration, queued bool, err error) {
	var micros *int64
	err = q.query("receive", func(ctx context.Context, c *pgxpool.Conn) error {
		return c.QueryRow(ctx, `select (extract(epoch from min(visible_at) - clock_timestamp()) * 1000000)::bigint
			from q_messages where state = 0`).Scan(&micros)
	})
	if err != nil || micros == nil {
		return 0, false, err
	}
	return time.Duration(*micros) * time.Microsecond, true, nil
}

// Ack implements api.Queue, as queue.Queue.Ack.
func (h *handle) Ack(receipt string) error {
	q := h.q
	n, r, err := parseReceipt("ack", receipt)
	if err != nil {
		return err
	}
	var acked bool
	err = q.query("ack", func(ctx context.Context, c *pgxpool.Conn) error {
		tag, err := c.Exec(ctx, `update q_messages set state = 1, body = '' where n = $1 and state = 0 and receives = $2`, n, r)
		acked = tag.RowsAffected() == 1
		return err
	})
	if err != nil || acked {
		return err
	}
	row, err := q.row("ack", n)
	if err != nil {
		return err
	}
	return row.refuse("ack", receipt, r, false)
}

// ChangeVisibility implements api.Queue, as queue.Queue.ChangeVisibility:
// 0 makes the message visible at once.
func (h *handle) ChangeVisibility(receipt string, timeout sim.Duration) error {
	q := h.q
	if timeout < 0 || timeout > queue.MaxVisibilityTimeout {
		return fmt.Errorf("pgqueue: change visibility of %q: timeout %v out of range: want 0 to %v", receipt, timeout, queue.MaxVisibilityTimeout)
	}
	const verb = "change visibility of"
	n, r, err := parseReceipt(verb, receipt)
	if err != nil {
		return err
	}
	var changed bool
	err = q.query("change visibility", func(ctx context.Context, c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, `with m as (
				update q_messages set visible_at = now() + $3::bigint * interval '1 microsecond'
				where n = $1 and state = 0 and receives = $2 and visible_at > now() returning n)
			select pg_notify('`+channel+`', '') from m`, n, r, timeout.Microseconds())
		if err != nil {
			return err
		}
		changed = rows.Next()
		rows.Close()
		return rows.Err()
	})
	if err != nil || changed {
		return err
	}
	row, err := q.row(verb, n)
	if err != nil {
		return err
	}
	return row.refuse(verb, receipt, r, true)
}

// row is what the refusal of a receipt depends on.
type row struct {
	found    bool
	state    int16
	receives int
	visible  bool // the lease has ended (visible_at <= now())
	at       time.Time
}

func (q *Queue) row(verb string, n int64) (row, error) {
	var r row
	err := q.query(verb, func(ctx context.Context, c *pgxpool.Conn) error {
		err := c.QueryRow(ctx, `select state, receives, visible_at <= now(), visible_at from q_messages where n = $1`, n).
			Scan(&r.state, &r.receives, &r.visible, &r.at)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		r.found = err == nil
		return err
	})
	return r, err
}

// refuse is the answer to a receipt of delivery r that the conditional
// update did not apply, in the order sim/queue checks: unknown, deleted
// (no error for an ack), dead-lettered, stale, lease lapsed (for a change
// of visibility).
func (m row) refuse(verb, receipt string, r int, change bool) error {
	switch {
	case !m.found || r > m.receives:
		return fmt.Errorf("pgqueue: %s %q: %w", verb, receipt, queue.ErrUnknownReceipt)
	case m.state == stateDeleted && !change:
		return nil
	case m.state == stateDeleted:
		return fmt.Errorf("pgqueue: %s %s: %w", verb, receipt, queue.ErrDeleted)
	case m.state == stateDeadLettered:
		return fmt.Errorf("pgqueue: %s %s: %w", verb, receipt, queue.ErrDeadLettered)
	case r < m.receives:
		return fmt.Errorf("pgqueue: %s %s: %w (latest is #%d)", verb, receipt, queue.ErrStaleReceipt, m.receives)
	case change && m.visible:
		return fmt.Errorf("pgqueue: %s %s: %w at %s", verb, receipt, queue.ErrNotInFlight, m.at.UTC().Format(time.RFC3339Nano))
	}
	// The row changed between the update and this read in a way that
	// cannot happen (receives only grow, a message never comes back
	// from deleted or dead-lettered); say so rather than guess.
	return fmt.Errorf("pgqueue: %s %s: %w: the message changed while it was being checked", verb, receipt, api.ErrConnection)
}

// parseReceipt reads "mN#R", refusing anything sim/queue would not have
// issued (no sign, no leading zero, N and R at least 1).
func parseReceipt(verb, receipt string) (n int64, r int, err error) {
	id, delivery, found := strings.Cut(receipt, "#")
	digits, isMessage := strings.CutPrefix(id, "m")
	n, err1 := strconv.ParseInt(digits, 10, 64)
	r, err2 := strconv.Atoi(delivery)
	if !found || !isMessage || err1 != nil || err2 != nil || n < 1 || r < 1 ||
		messageID(n)+"#"+strconv.Itoa(r) != receipt {
		return 0, 0, fmt.Errorf("pgqueue: %s %q: %w", verb, receipt, queue.ErrUnknownReceipt)
	}
	return n, r, nil
}

func messageID(n int64) string { return "m" + strconv.FormatInt(n, 10) }

// query runs f on a pooled connection within the call timeout and maps
// its failure to api.ErrTimeout or api.ErrConnection.
func (q *Queue) query(what string, f func(context.Context, *pgxpool.Conn) error) error {
	if q.ctx.Err() != nil {
		return fmt.Errorf("%w: pgqueue %s: the queue is closed", api.ErrConnection, what)
	}
	ctx, cancel := context.WithTimeout(q.ctx, time.Duration(q.timeout.Load()))
	defer cancel()
	q.statements.Add(1)
	c, err := q.pool.Acquire(ctx)
	if err == nil {
		err = f(ctx, c)
		c.Release()
	}
	if err == nil {
		return nil
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || (q.ctx.Err() == nil && pgconn.Timeout(err)) {
		return fmt.Errorf("%w: pgqueue %s: %s", api.ErrTimeout, what, oneLine(err))
	}
	return fmt.Errorf("%w: pgqueue %s: %s", api.ErrConnection, what, oneLine(err))
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", " ") }

// listen wakes the waiting receivers at each notification. When its
// connection breaks it wakes them too (they try again, and meanwhile poll
// every safetyPoll) and connects again, until the queue stops.
func (q *Queue) listen(conn *pgx.Conn, cfg *pgx.ConnConfig) {
	for {
		_, err := conn.WaitForNotification(q.ctx)
		q.wake.fire()
		if err == nil {
			continue
		}
		conn.Close(context.Background())
		conn = nil
		for conn == nil {
			timer := time.NewTimer(safetyPoll)
			select {
			case <-q.ctx.Done():
				timer.Stop()
				return
			case <-timer.C:
			}
			c, err := pgx.ConnectConfig(q.ctx, cfg.Copy())
			if err != nil {
				continue
			}
			if _, err := c.Exec(q.ctx, "listen "+channel); err != nil {
				c.Close(context.Background())
				continue
			}
			conn = c
			q.wake.fire() // a notification may have been lost meanwhile
		}
	}
}

// signal wakes every receiver waiting on the channel wait returned.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

func (s *signal) wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ch
}

func (s *signal) fire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.ch)
	s.ch = make(chan struct{})
}

// dial wraps pgx's dialer: it keeps every connection so that Kill can
// close them at once, and refuses to dial once killed — pgx dials to send
// a cancel request when a connection fails, which a dead process would
// not do.
func (q *Queue) dial(next pgconn.DialFunc) pgconn.DialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if q.killed.Load() {
			return nil, errors.New("pgqueue: the queue was killed")
		}
		c, err := next(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return q.conns.add(c), nil
	}
}

// connSet is the open connections of a Queue.
type connSet struct {
	mu sync.Mutex
	m  map[*trackedConn]struct{}
}

type trackedConn struct {
	net.Conn
	set *connSet
}

func (s *connSet) add(c net.Conn) net.Conn {
	t := &trackedConn{Conn: c, set: s}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[t] = struct{}{}
	return t
}

func (t *trackedConn) Close() error {
	t.set.mu.Lock()
	delete(t.set.m, t)
	t.set.mu.Unlock()
	return t.Conn.Close()
}

// closeAll closes every connection; the order does not matter, each is
// closed whatever the others do.
func (s *connSet) closeAll() {
	s.mu.Lock()
	conns := make([]net.Conn, 0, len(s.m))
	for t := range s.m {
		conns = append(conns, t.Conn)
	}
	clear(s.m)
	s.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}
