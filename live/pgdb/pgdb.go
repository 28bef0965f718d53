// Package pgdb is the database capability of the strategies (api.DB and
// api.Tx, sim/api/services.go) on a real PostgreSQL, through pgx: the same
// statements, the same values and the same SQLSTATEs as the simulated
// database gives them, so that a strategy runs unchanged on either.
//
// Errors follow the simulation's: a database error is a *sql.Error with
// PostgreSQL's SQLSTATE; a connection that broke is a *sql.Error with 08006
// that is also api.ErrConnection; a call that outlived Config.CallTimeout
// is api.ErrTimeout (and 08006, since its connection is given up).
//
// Beyond the plain api.DB, a DB hands out sessions (session.go), one per
// request handler or worker, that tag every statement with the operation
// they work for, number their calls as the simulated world does and inject
// its two database faults; Kill is a crash of the process that owns the
// pool; effects.go records the committed rows of the ledger tables with
// their tags.
package pgdb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/db/sql"
)

// Config is what Open needs.
type Config struct {
	DSN string
	// PoolSize is the number of connections, as idemsim run's --db-pool
	// (a server's pool); Begin and Exec wait for a free one.
	PoolSize int
	// Isolation is the level of Begin(api.DefaultLevel); 0 is read
	// committed, PostgreSQL's default and the simulation's.
	Isolation api.Level
	// CallTimeout bounds each call (a statement, or waiting for a
	// connection and beginning): past it the call fails with
	// api.ErrTimeout. 0 means DefaultCallTimeout.
	CallTimeout time.Duration
}

// DefaultCallTimeout is the bound on a call when Config.CallTimeout is 0:
// long enough for any lock wait the strategies provoke, short enough that
// a wedged test ends.
const DefaultCallTimeout = 30 * time.Second

// DB is a pool of connections to one PostgreSQL database, safe for
// concurrent use. Close it when done: it ends every connection. Its own
// Begin and Exec are those of a session without a tag or faults.
//
// The pool is our own rather than pgxpool's: a crash (Kill) must close the
// connections in use at once and leave them to fail, and pgxpool's Close
// waits for every acquired connection to come back, which a handler that
// died holding a transaction never does.
type DB struct {
	cfg     *pgx.ConnConfig
	level   api.Level
	timeout time.Duration
	slots   chan struct{} // a token per connection open or being opened
	locks   *LockWatch    // nil: statements are not watched for lock waits

	mu     sync.Mutex
	idle   []*pgx.Conn
	open   []*pgx.Conn   // idle or in use
	dead   chan struct{} // closed by Kill or Close: wakes callers waiting for a slot
	killed bool
	closed bool
}

var _ api.DB = (*DB)(nil)

// Open checks cfg and opens one connection, to check the DSN.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if cfg.PoolSize < 1 {
		return nil, fmt.Errorf("pgdb: pool size %d: want at least 1 connection", cfg.PoolSize)
	}
	level := cfg.Isolation
	if level == api.DefaultLevel {
		level = api.ReadCommitted
	}
	if !level.PostgreSQL() {
		return nil, fmt.Errorf("pgdb: isolation %s exists only in the simulation; PostgreSQL has read uncommitted, read committed, repeatable read and serializable", level)
	}
	cc, err := pgx.ParseConfig(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("pgdb: DSN: %w", err)
	}
	// Values print as the simulated database prints them
	// (sql.Value.String) whatever the server's defaults.
	cc.RuntimeParams["TimeZone"] = "UTC"
	cc.RuntimeParams["DateStyle"] = "ISO"
	cc.RuntimeParams["IntervalStyle"] = "postgres"
	timeout := cfg.CallTimeout
	if timeout <= 0 {
		timeout = DefaultCallTimeout
	}
	d := &DB{cfg: cc, level: level, timeout: timeout, slots: make(chan struct{}, cfg.PoolSize), dead: make(chan struct{})}
	conn, err := d.acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("pgdb: connecting: %w", err)
	}
	d.release(conn, false)
	return d, nil
}

// Close closes every connection: the idle ones now, those in use when
// they are given back. A transaction still open is rolled back by the
// server. Calls after Close fail with api.ErrConnection.
func (d *DB) Close() {
	d.mu.Lock()
	idle := d.idle
	d.idle = nil
	d.open = without(d.open, idle)
	if !d.closed && !d.killed {
		close(d.dead)
	}
	d.closed = true
	d.mu.Unlock()
	for _, c := range idle {
		closeConn(c)
	}
}

// Kill is a crash of the process that owns the pool: every connection,
// idle or in use, is cut at once, without the goodbye a Close sends.
// Calls in progress fail with api.ErrConnection (08006), and PostgreSQL
// rolls back the transactions they had open when it notices the closed
// socket (at once for an idle backend, within
// client_connection_check_interval for one running a statement). Kill
// does not wait for any of it. Every call after Kill fails with
// api.ErrConnection; the pool stays dead (a restarted server opens a new
// one).
func (d *DB) Kill() {
	d.mu.Lock()
	if d.killed {
		d.mu.Unlock()
		return
	}
	if !d.closed {
		close(d.dead)
	}
	d.killed = true
	all, idle := d.open, d.idle
	d.open, d.idle = nil, nil
	d.mu.Unlock()
	for _, c := range all {
		cut(c)
	}
	// No caller holds an idle connection: end its pgx state too.
	for _, c := range idle {
		closeConn(c)
	}
}

// Begin implements api.DB: a connection from the pool, in a transaction
// at level (api.DefaultLevel: Config.Isolation).
func (d *DB) Begin(level api.Level) (api.Tx, error) { return d.untagged().Begin(level) }

// Exec implements api.DB: one statement in its own transaction.
func (d *DB) Exec(query string, args ...api.Value) (api.Result, error) {
	return d.untagged().Exec(query, args...)
}

// untagged is a session for one call of the DB's own Begin or Exec. It
// clears the tag a session may have left on the connection, so that
// nothing the DB does directly is attributed to an operation.
func (d *DB) untagged() *Session { return &Session{d: d} }

// heard is a call's answer as its caller gets it: none, but a broken
// connection, when the pool was killed while the call was in flight. A
// crashed process never reads the answer to a statement it sent, even
// one that arrived as Kill cut the sockets (the statement may still have
// applied: the caller cannot know).
func (d *DB) heard(res api.Result, err error) (api.Result, error) {
	d.mu.Lock()
	killed := d.killed
	d.mu.Unlock()
	if killed {
		return api.Result{}, d.errDown()
	}
	return res, err
}

// errDown is the answer to a call on a pool that is killed or closed.
func (d *DB) errDown() error {
	d.mu.Lock()
	killed := d.killed
	d.mu.Unlock()
	why := "the pool is closed"
	if killed {
		why = "the pool was killed (a crash)"
	}
	return fmt.Errorf("%w: %w", api.ErrConnection, &sql.Error{Code: sql.CodeConnectionFailure, Msg: "connection lost: " + why})
}

// acquire takes an idle connection, opens one if the pool is not full, or
// waits for one until ctx ends.
func (d *DB) acquire(ctx context.Context) (*pgx.Conn, error) {
	select {
	case <-d.dead:
		return nil, d.errDown()
	default:
	}
	select {
	case d.slots <- struct{}{}:
	case <-d.dead:
		return nil, d.errDown()
	case <-ctx.Done():
		return nil, convertErr(ctx, ctx.Err())
	}
	d.mu.Lock()
	if d.killed || d.closed {
		d.mu.Unlock()
		<-d.slots
		return nil, d.errDown()
	}
	if n := len(d.idle); n > 0 {
		c := d.idle[n-1]
		d.idle = d.idle[:n-1]
		d.mu.Unlock()
		return c, nil
	}
	d.mu.Unlock()
	c, err := pgx.ConnectConfig(ctx, d.cfg)
	if err != nil {
		<-d.slots
		return nil, convertErr(ctx, err)
	}
	d.mu.Lock()
	down := d.killed || d.closed
	if !down {
		d.open = append(d.open, c)
	}
	d.mu.Unlock()
	if down {
		closeConn(c)
		<-d.slots
		return nil, d.errDown()
	}
	return c, nil
}

// release gives a connection back. One that broke, was cut, or is left
// inside a transaction is closed instead (the server rolls back what it
// had open), as is every connection of a pool that is down.
func (d *DB) release(c *pgx.Conn, broken bool) {
	d.mu.Lock()
	keep := !broken && !d.killed && !d.closed && !c.IsClosed() && c.PgConn().TxStatus() == 'I'
	if keep {
		d.idle = append(d.idle, c)
	} else {
		d.open = without(d.open, []*pgx.Conn{c})
	}
	d.mu.Unlock()
	if !keep {
		closeConn(c)
	}
	<-d.slots
}

// cut closes a connection's socket under whoever is using it: the
// process's side of the connection is gone, and the goroutine using it
// fails on its next read or write. Closing a net.Conn is safe while
// another goroutine reads it; pgx's own state is left to that goroutine.
func cut(c *pgx.Conn) { _ = c.PgConn().Conn().Close() }

// closeConn ends a connection nobody else is using, politely when its
// socket still works.
func closeConn(c *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = c.Close(ctx)
}

func without(all, drop []*pgx.Conn) []*pgx.Conn {
	out := all[:0]
	for _, c := range all {
		gone := false
		for _, x := range drop {
			gone = gone || c == x
		}
		if !gone {
			out = append(out, c)
		}
	}
	return out
}

// errTxDone is the simulation's answer to a transaction used after its
// end (sim/world/dbnode.go).
var errTxDone = &sql.Error{Code: "25P01", Msg: "the transaction has already been committed or rolled back"}

// setTagSQL sets the tag the effect triggers read (effects.go) for the
// rest of the connection's session, or until the transaction it runs in
// rolls back.
const setTagSQL = "select set_config('idemsim.tag', $1, false)"

// run runs one statement and reads its whole result. With tag, it first
// sets the connection's tag to *tag in the same round trip: a pgx batch
// is one pipeline ending in one Sync, so outside a transaction block the
// two statements also share one implicit transaction, and a statement
// that fails takes the setting with it (the next use sets it again).
func run(ctx context.Context, conn *pgx.Conn, tag *string, query string, args []api.Value) (api.Result, error) {
	pargs := make([]any, len(args))
	for i, a := range args {
		pargs[i] = toPG(a)
	}
	var rows pgx.Rows
	var err error
	if tag != nil {
		b := &pgx.Batch{}
		b.Queue(setTagSQL, *tag)
		b.Queue(query, pargs...)
		br := conn.SendBatch(ctx, b)
		defer br.Close()
		if _, err := br.Exec(); err != nil {
			return api.Result{}, convertErr(ctx, err)
		}
		rows, err = br.Query()
	} else {
		rows, err = conn.Query(ctx, query, pargs...)
	}
	if err != nil {
		return api.Result{}, convertErr(ctx, err)
	}
	defer rows.Close()
	var res api.Result
	fields := rows.FieldDescriptions()
	if len(fields) > 0 {
		res.Cols = make([]string, len(fields))
		for i, f := range fields {
			res.Cols[i] = f.Name
		}
	}
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return api.Result{}, convertErr(ctx, err)
		}
		row := make([]api.Value, len(vals))
		for i, v := range vals {
			if row[i], err = fromPG(v); err != nil {
				return api.Result{}, fmt.Errorf("pgdb: column %s: %w", res.Cols[i], err)
			}
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return api.Result{}, convertErr(ctx, err)
	}
	if tag := rows.CommandTag(); tag.Insert() || tag.Update() || tag.Delete() {
		res.Affected = int(tag.RowsAffected())
	}
	return res, nil
}

// toPG is a value as a pgx argument.
func toPG(v api.Value) any {
	switch v.Kind {
	case sql.IntKind:
		return v.Int
	case sql.TextKind:
		return v.Text
	case sql.BoolKind:
		return v.Bool()
	case sql.TimeKind:
		return time.UnixMicro(v.UnixMicro()).UTC()
	case sql.IntervalKind:
		return pgtype.Interval{Days: v.Days, Microseconds: v.Int, Valid: true}
	}
	return nil
}

// fromPG is a value pgx decoded, as the simulated database holds it.
func fromPG(v any) (api.Value, error) {
	switch x := v.(type) {
	case nil:
		return api.Null(), nil
	case int64:
		return api.Int(x), nil
	case int32:
		return api.Int(int64(x)), nil
	case int16:
		return api.Int(int64(x)), nil
	case string:
		return api.Text(x), nil
	case bool:
		return api.Bool(x), nil
	case time.Time:
		return sql.TimestampValue(x.UnixMicro()), nil
	case pgtype.Interval:
		if !x.Valid {
			return api.Null(), nil
		}
		if x.Months != 0 {
			return api.Value{}, fmt.Errorf("interval of %d months: the simulated database has no months", x.Months)
		}
		return sql.IntervalValue(x.Days, x.Microseconds), nil
	}
	return api.Value{}, fmt.Errorf("a %T value: the simulated database has integers, text, booleans, timestamptz and intervals", v)
}

// convertErr maps pgx's errors to the simulation's (see the package
// comment); nil stays nil.
func convertErr(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Severity != "FATAL" && pe.Severity != "PANIC" {
		return &sql.Error{Code: pe.Code, Msg: pe.Message}
	}
	// A FATAL error ends the session (57P01 when an administrator or a
	// restart terminates it): to the caller, the connection is lost.
	lost := &sql.Error{Code: sql.CodeConnectionFailure, Msg: "connection lost: " + oneLine(err.Error())}
	if ctx.Err() != nil || pgconn.Timeout(err) {
		return fmt.Errorf("%w: %w", api.ErrTimeout, lost)
	}
	return fmt.Errorf("%w: %w", api.ErrConnection, lost)
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }
