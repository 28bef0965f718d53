package pgqueue_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/livetest"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/live/pgqueue"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/queue"
)

const pkg = "./live/pgqueue"

// lease is the visibility timeout of the sequences, and past a gap that
// outlasts it by a margin no scheduling delay on a loaded machine reaches.
const (
	lease = 500 * time.Millisecond
	past  = 800 * time.Millisecond
)

// step is one call of a sequence, made gap after the previous one.
type step struct {
	gap     time.Duration
	op      string // send, receive, ack, change
	body    string
	wait    time.Duration // receive: the long poll; change: the new timeout
	receipt string
}

func send(body string) step           { return step{op: "send", body: body} }
func receive(wait time.Duration) step { return step{op: "receive", wait: wait} }
func ack(receipt string) step         { return step{op: "ack", receipt: receipt} }
func change(receipt string, d time.Duration) step {
	return step{op: "change", receipt: receipt, wait: d}
}
func after(gap time.Duration, s step) step { s.gap = gap; return s }

type sequence struct {
	name        string
	maxReceives int
	steps       []step
}

var sequences = []sequence{
	{name: "send-receive-ack", steps: []step{
		send("a"), receive(0), ack("m1#1"), ack("m1#1"), receive(0), change("m1#1", time.Second),
	}},
	{name: "receive-twice-before-the-timeout", steps: []step{
		send("a"), receive(0), receive(0), ack("m1#1"), receive(0),
	}},
	{name: "redelivery-after-the-timeout", steps: []step{
		send("a"), receive(0), after(past, receive(0)), ack("m1#1"), change("m1#1", time.Second),
		ack("m1#2"), ack("m1#1"), ack("m1#2"), receive(0),
	}},
	{name: "change-visibility-extends", steps: []step{
		send("a"), receive(0), change("m1#1", 3*lease), after(past, receive(0)),
		after(past, receive(0)), ack("m1#2"),
	}},
	{name: "change-visibility-0-ends-the-lease", steps: []step{
		send("a"), send("b"), receive(0), change("m1#1", 0), receive(0), receive(0), change("m1#1", 0),
		receive(0), ack("m2#1"), ack("m1#2"),
	}},
	{name: "lapsed-lease", steps: []step{
		send("a"), receive(0), after(past, change("m1#1", time.Second)), ack("m1#1"), receive(0),
	}},
	{name: "bad-receipts", steps: []step{
		ack("m1#1"), send("a"), ack("m1#1"), ack("m2#1"), ack("x"), ack("m01#1"), ack("m1#0"), ack("m1#+1"),
		receive(0), ack("m1#2"), change("m1#1", -time.Second), change("m1#1", 13*time.Hour),
		ack("m1#1"), change("m1#1", 0),
	}},
	{name: "long-polls", steps: []step{
		receive(200 * time.Millisecond), send("a"), receive(200 * time.Millisecond),
		receive(200 * time.Millisecond), receive(4 * lease), ack("m1#2"),
	}},
	{name: "fifo", steps: []step{
		send("a"), send("b"), send("c"), receive(0), receive(0), receive(0), ack("m2#1"),
		after(past, send("d")), receive(0), receive(0), receive(0), receive(0),
	}},
	{name: "dead-letter", maxReceives: 2, steps: []step{
		send("a"), receive(0), after(past, receive(0)), after(past, send("b")), receive(0),
		ack("m1#2"), change("m1#2", 0), ack("m2#1"), receive(0),
	}},
}

// side is one implementation the sequences run on.
type side interface {
	advance(gap time.Duration)
	send(body string) string
	receive(wait time.Duration) string
	ack(receipt string) string
	change(receipt string, d time.Duration) string
}

func run(s side, steps []step) []string {
	var out []string
	for i, st := range steps {
		s.advance(st.gap)
		var got string
		switch st.op {
		case "send":
			got = s.send(st.body)
		case "receive":
			got = s.receive(st.wait)
		case "ack":
			got = s.ack(st.receipt)
		case "change":
			got = s.change(st.receipt, st.wait)
		}
		out = append(out, fmt.Sprintf("%d %s %s%s: %s", i, st.op, st.body, st.receipt, got))
	}
	return out
}

// verdict names an error by the sentinel it wraps, so that the two sides'
// wordings (the simulated time, the database's) do not matter.
func verdict(err error) string {
	for _, e := range []struct {
		err  error
		name string
	}{
		{queue.ErrStaleReceipt, "stale"}, {queue.ErrUnknownReceipt, "unknown"}, {queue.ErrDeadLettered, "dead-lettered"},
		{queue.ErrDeleted, "deleted"}, {queue.ErrNotInFlight, "not-in-flight"},
	} {
		if errors.Is(err, e.err) {
			return e.name
		}
	}
	switch {
	case err == nil:
		return "ok"
	case strings.Contains(err.Error(), "out of range"):
		return "out-of-range"
	}
	return "error: " + err.Error()
}

func delivery(m api.Message, ok bool, err error) string {
	if err != nil {
		return verdict(err)
	}
	if !ok {
		return "none"
	}
	return fmt.Sprintf("%s %q receipt %s receives %d", m.ID, m.Body, m.Receipt, m.Receives)
}

// simulated is sim/queue on virtual time: each call a microsecond after
// the previous one, as each statement comes after the last on the real
// clock, plus the step's gap; a long poll ends when the first hidden
// message becomes visible or the wait is over, as the world's broker
// (sim/world/services.go) answers it.
type simulated struct {
	q   *queue.Queue
	now sim.Time
}

func (s *simulated) advance(gap time.Duration) { s.now = s.now.Add(gap + time.Microsecond) }
func (s *simulated) send(body string) string   { return s.q.Send(s.now, body, 0) }
func (s *simulated) receive(wait time.Duration) string {
	m, ok := s.q.Receive(s.now)
	if !ok && wait > 0 {
		if at, queued := s.q.NextVisibleAt(); queued && at <= s.now.Add(wait) {
			s.now = at
			m, ok = s.q.Receive(s.now)
		} else {
			s.now = s.now.Add(wait)
		}
	}
	return delivery(api.Message{ID: m.ID, Body: m.Body, Receipt: m.Receipt, Receives: m.Receives}, ok, nil)
}
func (s *simulated) ack(receipt string) string {
	_, err := s.q.Ack(s.now, receipt)
	return verdict(err)
}
func (s *simulated) change(receipt string, d time.Duration) string {
	return verdict(s.q.ChangeVisibility(s.now, receipt, d))
}

// live is a pgqueue on the real clock.
type live struct{ q api.Queue }

func (l live) advance(gap time.Duration) { time.Sleep(gap) }
func (l live) send(body string) string {
	id, err := l.q.Send(body)
	if err != nil {
		return verdict(err)
	}
	return id
}
func (l live) receive(wait time.Duration) string { return delivery(l.q.Receive(wait)) }
func (l live) ack(receipt string) string         { return verdict(l.q.Ack(receipt)) }
func (l live) change(receipt string, d time.Duration) string {
	return verdict(l.q.ChangeVisibility(receipt, d))
}

// Goal: pgqueue answers every call as the simulated queue does: ids,
// bodies, receipts, receive counts, which message a receive delivers and
// when, and which error each bad receipt gets. Method: each sequence runs
// on sim/queue with virtual time advanced by the sequence's gaps and on
// pgqueue in a schema of its own on a throwaway PostgreSQL 15 (the
// sequences in parallel, the gaps slept), and the answers are compared
// step by step.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	rerun := testcmd.Rerun(t, pkg)
	pg := livetest.StartPostgres(t)
	admin := connect(t, pg.DSN, rerun)
	for i, seq := range sequences {
		dsn := newSchema(t, admin, pg.DSN, fmt.Sprintf("c%d", i), rerun)
		t.Run(seq.name, func(t *testing.T) {
			t.Parallel()
			rerun := testcmd.Rerun(t, pkg)
			cfg := queue.Config{VisibilityTimeout: lease, MaxReceives: seq.maxReceives}
			model, err := queue.New(cfg)
			require.NoError(t, err, rerun)
			want := run(&simulated{q: model}, seq.steps)
			q := open(t, dsn, cfg, rerun)
			got := run(live{q.For("", nil)}, seq.steps)
			assert.Equal(t, want, got, "the simulated queue's answers, then pgqueue's; %s", rerun)
		})
	}
}

func connect(t *testing.T, dsn, rerun string) *pgx.Conn {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err, rerun)
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// newSchema creates a schema and returns a DSN whose tables live there,
// so that each test has a queue table of its own in one database.
func newSchema(t *testing.T, admin *pgx.Conn, dsn, name, rerun string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := admin.Exec(ctx, "create schema "+name)
	require.NoError(t, err, rerun)
	return dsn + " search_path=" + name
}

func open(t *testing.T, dsn string, cfg queue.Config, rerun string) *pgqueue.Queue {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	q, err := pgqueue.Open(ctx, dsn, cfg)
	require.NoError(t, err, rerun)
	t.Cleanup(q.Close)
	return q
}

// Goal: a configuration sim/queue refuses is refused with its one-line
// reason before any connection. Method: out-of-range fields, and a DSN
// that does not parse.
func TestOpenRefuses(t *testing.T) {
	rerun := testcmd.Rerun(t, pkg)
	for _, c := range []struct {
		name string
		dsn  string
		cfg  queue.Config
		want string
	}{
		{"negative visibility", "host=127.0.0.1", queue.Config{VisibilityTimeout: -time.Second}, "VisibilityTimeout -1s out of range"},
		{"visibility too long", "host=127.0.0.1", queue.Config{VisibilityTimeout: 13 * time.Hour}, "VisibilityTimeout 13h0m0s out of range"},
		{"max receives", "host=127.0.0.1", queue.Config{MaxReceives: -1}, "MaxReceives -1 out of range"},
		{"dsn", "port=notanumber", queue.Config{}, "pgqueue: DSN"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := pgqueue.Open(context.Background(), c.dsn, c.cfg)
			require.Error(t, err, rerun)
			assert.Contains(t, err.Error(), c.want, rerun)
			assert.NotContains(t, err.Error(), "\n", "one line; "+rerun)
		})
	}
}
