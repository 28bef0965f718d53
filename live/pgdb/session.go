package pgdb

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/db/sql"
)

// Fault is a database fault an Injector asks a session to inject: the
// live form of faults.DBDropConnection and faults.DBLostCommitAck.
type Fault uint8

const (
	// NoFault lets the call through.
	NoFault Fault = iota
	// DropConnection (faults.DBDropConnection) breaks the connection
	// before a statement of an open transaction is sent: the statement
	// never runs, PostgreSQL rolls the transaction back when it sees the
	// socket close, and the caller gets 08006.
	DropConnection
	// LostCommitAck (faults.DBLostCommitAck) lets a COMMIT be applied and
	// then breaks the connection: the transaction is committed, and the
	// caller gets 08006 as if the answer had been lost.
	LostCommitAck
)

func (f Fault) String() string {
	switch f {
	case NoFault:
		return "none"
	case DropConnection:
		return "db-drop-connection"
	case LostCommitAck:
		return "db-lost-commit-ack"
	}
	return fmt.Sprintf("Fault(%d)", uint8(f))
}

// Injector decides the fault of one call of a session. It is asked at
// exactly the calls the simulated database asks its fault plan about
// (sim/world/dbnode.go, dbConn.run), so that a fault it answers always
// takes effect:
//
//   - each statement of an open transaction (Tx.Exec, with its query),
//     just before it is sent: DropConnection applies there;
//   - each COMMIT that PostgreSQL applied (query "commit"), once its
//     answer has come: LostCommitAck applies there.
//
// A COMMIT that failed or rolled back a failed transaction is not asked,
// as in the simulation, which is why the answer is read before the
// connection breaks: the caller never sees it. Any other answer than the
// one that applies at the call is ignored.
type Injector func(call int, query string) Fault

// Session is the database as one request handler or one background
// worker sees it (api.DB): every call is numbered, every statement carries
// the session's tag for the effect triggers (effects.go), and an Injector
// may break its connections. DB.Session makes one. A session is used by
// one goroutine at a time.
type Session struct {
	d      *DB
	tag    string
	inject Injector
	link   Link // link.go
	calls  int
	txs    []*Tx // open transactions, for Finish
	waited bool  // the last call waited for a lock (Waited)
}

var _ api.DB = (*Session)(nil)

// Session is a new session for one request handler or worker life, on
// behalf of the operation tag ("" for none), with faults from inject (nil:
// none). The api.DB it returns is a *Session, whose SetTag, Calls and
// Finish the caller reaches by a type assertion.
//
// Calls are numbered from 1 as the simulated world numbers a handler's or
// worker's calls to the database (env.call in sim/world/server.go, called
// from env.exec in sim/world/dbnode.go): each Begin, each Exec of the
// session, and each Exec, Commit and Rollback of its transactions is one
// call, whatever its outcome. Not counted, because the simulation sends
// nothing for them either: a call on a transaction already ended (25P01),
// and a call on a transaction whose connection broke (08006 at once).
func (d *DB) Session(tag string, inject Injector) api.DB {
	return &Session{d: d, tag: tag, inject: inject}
}

// SetTag makes the session act for another operation, as a worker adopts
// the operation of the message it received: the next statement, in an
// open transaction too, carries the new tag.
func (s *Session) SetTag(tag string) { s.tag = tag }

// Tag is the operation the session acts for.
func (s *Session) Tag() string { return s.tag }

// Calls is the number of calls the session has made.
func (s *Session) Calls() int { return s.calls }

// Finish rolls back the transactions the session left open, as the
// simulated world does when a handler returns (env.finish): each rollback
// is a call.
func (s *Session) Finish() {
	for len(s.txs) > 0 {
		_ = s.txs[0].Rollback()
	}
}

// Waited reports whether the session's last call waited for a lock, as
// far as the DB's LockWatch saw (false when it has none).
func (s *Session) Waited() bool { return s.waited }

// next numbers a call.
func (s *Session) next() int {
	s.calls++
	s.waited = false
	return s.calls
}

// Begin implements api.DB: a connection from the pool, in a transaction
// at level (api.DefaultLevel: the pool's Config.Isolation), tagged in the
// same round trip.
func (s *Session) Begin(level api.Level) (api.Tx, error) {
	call := s.next()
	d := s.d
	if level == api.DefaultLevel {
		level = d.level
	}
	if !level.PostgreSQL() {
		return nil, &sql.Error{Code: "0A000", Msg: "isolation " + level.String() + " exists only in the simulation"}
	}
	if s.lost(call, false) {
		return nil, errLinkLost
	}
	ctx, cancel := context.WithTimeout(context.Background(), d.timeout)
	defer cancel()
	conn, err := d.acquire(ctx)
	if err != nil {
		return nil, err
	}
	// Two statements in one simple query: BEGIN opens the block, so the
	// tag is set inside it (a literal, since a simple query takes no
	// parameters).
	lit, err := conn.PgConn().EscapeString(s.tag)
	if err == nil {
		_, err = conn.PgConn().Exec(ctx, BeginSQL(level)+"; select set_config('idemsim.tag', '"+lit+"', false)").ReadAll()
	}
	if err != nil {
		err = convertErr(ctx, err)
	}
	if err = s.lostAnswer(call, conn, err); err != nil {
		d.release(conn, errors.Is(err, api.ErrConnection))
		return nil, err
	}
	tx := &Tx{s: s, conn: conn, tag: s.tag}
	s.txs = append(s.txs, tx)
	return tx, nil
}

// BeginSQL is BEGIN at level, spelt as the simulated world spells it, so
// that an Injector keyed on query text sees the same text in both.
func BeginSQL(level api.Level) string {
	return "begin transaction isolation level " + level.String()
}

// Exec implements api.DB: one statement in its own transaction, on a
// connection tagged in the same round trip. A drop never hits it: it is
// not inside a transaction block, as in the simulation.
func (s *Session) Exec(query string, args ...api.Value) (api.Result, error) {
	call := s.next()
	d := s.d
	if s.lost(call, false) {
		return api.Result{}, errLinkLost
	}
	ctx, cancel := context.WithTimeout(context.Background(), d.timeout)
	defer cancel()
	conn, err := d.acquire(ctx)
	if err != nil {
		return api.Result{}, err
	}
	tag := s.tag
	done := d.watch(conn)
	res, err := run(ctx, conn, &tag, query, args)
	s.waited = done()
	res, err = d.heard(res, err)
	if err = s.lostAnswer(call, conn, err); errors.Is(err, errLinkLost) {
		res = api.Result{}
	}
	d.release(conn, errors.Is(err, api.ErrConnection))
	return res, err
}

// Tx is an open transaction of a session, on one pooled connection.
type Tx struct {
	s      *Session
	conn   *pgx.Conn // nil once committed or rolled back
	tag    string    // the tag the connection holds
	broken bool      // the connection broke: the server rolled back
}

var _ api.Tx = (*Tx)(nil)

// The simulation's answers for the faults and for a transaction whose
// connection broke (sim/world/dbnode.go).
var (
	errDropped       = connectionLost("the connection dropped; the transaction was rolled back")
	errCommitAckLost = connectionLost("the connection was lost after COMMIT was sent")
	errBroken        = connectionLost("the connection is broken")
)

func connectionLost(msg string) error {
	return fmt.Errorf("%w: %w", api.ErrConnection, &sql.Error{Code: sql.CodeConnectionFailure, Msg: msg})
}

// Exec implements api.Tx. A DropConnection from the Injector cuts the
// connection instead of sending the statement.
func (t *Tx) Exec(query string, args ...api.Value) (api.Result, error) {
	if t.conn == nil {
		return api.Result{}, errTxDone
	}
	if t.broken {
		return api.Result{}, errBroken
	}
	s := t.s
	call := s.next()
	if s.lost(call, false) {
		// Lost on its way: PostgreSQL never sees it, so no fault of the
		// database's own is decided for it, as in the simulation.
		cut(t.conn)
		t.broken = true
		return api.Result{}, errLinkLost
	}
	if s.inject != nil && s.inject(call, query) == DropConnection {
		cut(t.conn)
		t.broken = true
		return api.Result{}, errDropped
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.d.timeout)
	defer cancel()
	var tag *string
	if t.tag != s.tag {
		tag = &s.tag
		t.tag = s.tag
	}
	done := s.d.watch(t.conn)
	res, err := run(ctx, t.conn, tag, query, args)
	s.waited = done()
	res, err = s.d.heard(res, err)
	if err = s.lostAnswer(call, t.conn, err); errors.Is(err, errLinkLost) {
		res = api.Result{}
	}
	if errors.Is(err, api.ErrConnection) {
		t.broken = true
	}
	return res, err
}

// Commit implements api.Tx. A transaction that had failed is rolled back
// by COMMIT, which PostgreSQL reports only by its command tag: the caller
// gets 25P02, as from the simulation. A COMMIT that committed may then
// lose its answer to a LostCommitAck.
func (t *Tx) Commit() error {
	tag, err := t.end("commit", func(call int) bool {
		return t.s.inject != nil && t.s.inject(call, "commit") == LostCommitAck
	})
	if err == nil && tag.String() == "ROLLBACK" {
		return &sql.Error{Code: sql.CodeInFailedTransaction, Msg: "COMMIT rolled back: the transaction had failed"}
	}
	return err
}

// Rollback implements api.Tx.
func (t *Tx) Rollback() error {
	_, err := t.end("rollback", nil)
	return err
}

// end sends COMMIT or ROLLBACK and gives the connection back (a broken
// one is closed instead). lose, asked after a COMMIT that committed, says
// whether its answer is lost: the connection is then cut and the caller
// told it broke.
func (t *Tx) end(stmt string, lose func(call int) bool) (pgconn.CommandTag, error) {
	if t.conn == nil {
		return pgconn.CommandTag{}, errTxDone
	}
	s := t.s
	conn := t.conn
	t.conn = nil
	for i, x := range s.txs {
		if x == t {
			s.txs = append(s.txs[:i], s.txs[i+1:]...)
			break
		}
	}
	if t.broken {
		s.d.release(conn, true)
		return pgconn.CommandTag{}, errBroken
	}
	call := s.next()
	if s.lost(call, false) {
		cut(conn)
		s.d.release(conn, true)
		t.broken = true
		return pgconn.CommandTag{}, errLinkLost
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.d.timeout)
	defer cancel()
	done := s.d.watch(conn)
	tag, err := conn.Exec(ctx, stmt)
	s.waited = done()
	_, err = s.d.heard(api.Result{}, convertErr(ctx, err))
	if err == nil && tag.String() == "COMMIT" && lose != nil && lose(call) {
		cut(conn)
		t.broken = true
		err = errCommitAckLost
	} else if err = s.lostAnswer(call, conn, err); errors.Is(err, errLinkLost) {
		tag = pgconn.CommandTag{}
	}
	t.broken = t.broken || errors.Is(err, api.ErrConnection)
	s.d.release(conn, t.broken)
	return tag, err
}
