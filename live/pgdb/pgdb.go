// Package pgdb is the database capability of the strategies (api.DB and
// api.Tx, sim/api/services.go) on a real PostgreSQL, through pgx: the same
// statements, the same values and the same SQLSTATEs as the simulated
// database gives them, so that a strategy runs unchanged on either.
//
// Errors follow the simulation's: a database error is a *sql.Error with
// PostgreSQL's SQLSTATE; a connection that broke is a *sql.Error with 08006
// that is also api.ErrConnection; a call that outlived Config.CallTimeout
// is api.ErrTimeout (and 08006, since its connection is given up).
package pgdb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

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

// DB is a pool of connections to one PostgreSQL database. Close it when
// done: it ends every connection.
type DB struct {
	pool    *pgxpool.Pool
	level   api.Level
	timeout time.Duration
}

var _ api.DB = (*DB)(nil)

// Open connects the pool (it opens one connection to check the DSN).
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
	pc, err := pgxpool.ParseConfig(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("pgdb: DSN: %w", err)
	}
	pc.MaxConns = int32(cfg.PoolSize)
	pc.MinConns = 0
	// Values print as the simulated database prints them
	// (sql.Value.String) whatever the server's defaults.
	pc.ConnConfig.RuntimeParams["TimeZone"] = "UTC"
	pc.ConnConfig.RuntimeParams["DateStyle"] = "ISO"
	pc.ConnConfig.RuntimeParams["IntervalStyle"] = "postgres"
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("pgdb: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgdb: connecting: %w", err)
	}
	timeout := cfg.CallTimeout
	if timeout <= 0 {
		timeout = DefaultCallTimeout
	}
	return &DB{pool: pool, level: level, timeout: timeout}, nil
}

// Close closes every connection; a transaction still open is rolled back
// by the server. pgxpool's background health check ends with it.
func (d *DB) Close() { d.pool.Close() }

// Begin implements api.DB: a connection from the pool, in a transaction
// at level (api.DefaultLevel: Config.Isolation).
func (d *DB) Begin(level api.Level) (api.Tx, error) {
	if level == api.DefaultLevel {
		level = d.level
	}
	if !level.PostgreSQL() {
		return nil, &sql.Error{Code: "0A000", Msg: "isolation " + level.String() + " exists only in the simulation"}
	}
	ctx, cancel := context.WithTimeout(context.Background(), d.timeout)
	defer cancel()
	conn, err := d.pool.Acquire(ctx)
	if err != nil {
		return nil, convertErr(ctx, err)
	}
	if _, err := conn.Exec(ctx, "begin isolation level "+level.String()); err != nil {
		conn.Release()
		return nil, convertErr(ctx, err)
	}
	return &Tx{d: d, conn: conn}, nil
}

// Exec implements api.DB: one statement in its own transaction.
func (d *DB) Exec(query string, args ...api.Value) (api.Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d.timeout)
	defer cancel()
	conn, err := d.pool.Acquire(ctx)
	if err != nil {
		return api.Result{}, convertErr(ctx, err)
	}
	defer conn.Release()
	return run(ctx, conn.Conn(), query, args)
}

// Tx is an open transaction on one pooled connection.
type Tx struct {
	d    *DB
	conn *pgxpool.Conn // nil once committed or rolled back
}

var _ api.Tx = (*Tx)(nil)

// errTxDone is the simulation's answer to a transaction used after its
// end (sim/world/dbnode.go).
var errTxDone = &sql.Error{Code: "25P01", Msg: "the transaction has already been committed or rolled back"}

// Exec implements api.Tx.
func (t *Tx) Exec(query string, args ...api.Value) (api.Result, error) {
	if t.conn == nil {
		return api.Result{}, errTxDone
	}
	ctx, cancel := context.WithTimeout(context.Background(), t.d.timeout)
	defer cancel()
	return run(ctx, t.conn.Conn(), query, args)
}

// Commit implements api.Tx. A transaction that had failed is rolled back
// by COMMIT, which PostgreSQL reports only by its command tag: the caller
// gets 25P02, as from the simulation.
func (t *Tx) Commit() error {
	tag, err := t.end("commit")
	if err == nil && tag.String() == "ROLLBACK" {
		return &sql.Error{Code: sql.CodeInFailedTransaction, Msg: "COMMIT rolled back: the transaction had failed"}
	}
	return err
}

// Rollback implements api.Tx.
func (t *Tx) Rollback() error {
	_, err := t.end("rollback")
	return err
}

// end sends COMMIT or ROLLBACK and gives the connection back; a broken
// one, or one left inside a transaction, pgxpool closes instead.
func (t *Tx) end(stmt string) (pgconn.CommandTag, error) {
	if t.conn == nil {
		return pgconn.CommandTag{}, errTxDone
	}
	ctx, cancel := context.WithTimeout(context.Background(), t.d.timeout)
	defer cancel()
	conn := t.conn
	t.conn = nil
	defer conn.Release()
	tag, err := conn.Exec(ctx, stmt)
	return tag, convertErr(ctx, err)
}

// run runs one statement and reads its whole result.
func run(ctx context.Context, conn *pgx.Conn, query string, args []api.Value) (api.Result, error) {
	pargs := make([]any, len(args))
	for i, a := range args {
		pargs[i] = toPG(a)
	}
	rows, err := conn.Query(ctx, query, pargs...)
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
