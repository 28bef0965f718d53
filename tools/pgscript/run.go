package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/idemsim/idemsim/sim/db/script"
)

// Timing is the runner's clock: how long a statement may run before it is
// reported blocked, how long to wait after each line for blocked statements
// to resume, and how long to wait for them at the end of the script.
type Timing struct {
	Window time.Duration // W
	Settle time.Duration // S
	Final  time.Duration
}

// DefaultTiming is W = 1 s, S = 300 ms, 2 s at the end: W is well past the
// server's deadlock_timeout of 200 ms, so a wait that closes a cycle is
// reported with its 40P01 rather than as blocked.
var DefaultTiming = Timing{Window: time.Second, Settle: 300 * time.Millisecond, Final: 2 * time.Second}

// sessionSettings is sent on every connection when it opens: no timeouts,
// and timestamps and intervals printed as the simulator's sql.Value.String
// prints them (UTC, ISO dates, PostgreSQL-style intervals), whatever the
// server's defaults.
const sessionSettings = "set lock_timeout = 0; set statement_timeout = 0; set idle_in_transaction_session_timeout = 0; " +
	"set timezone = 'UTC'; set datestyle = 'ISO, MDY'; set intervalstyle = 'postgres'"

// resetSQL empties the database before each run.
const resetSQL = "drop schema public cascade; create schema public;"

// Runner runs scripts on a real PostgreSQL.
type Runner struct {
	DSN    string
	Timing Timing
}

// outcome is a finished statement: a Result, or a failure that is not a
// PostgreSQL error (the connection broke), which ends the run.
type outcome struct {
	res   script.Result
	fatal error
}

type pending struct {
	text string
	done chan outcome
}

type session struct {
	n       int
	conn    *pgconn.PgConn
	blocked *pending // sent, not yet reported complete
}

// exec runs sql on conn in the simple query protocol and sums it up: the
// last result, or the first error. It reads the results itself because
// ResultReader.Read keeps the field descriptions only when a row came back,
// and a RETURNING that returns no row must still print as `rows`.
func exec(ctx context.Context, conn *pgconn.PgConn, sql string) outcome {
	mrr := conn.Exec(ctx, sql)
	var last *script.Result
	var firstErr error
	for mrr.NextResult() {
		rr := mrr.ResultReader()
		r := &script.Result{}
		for rr.NextRow() {
			row := rr.Values()
			vals := make([]*string, len(row))
			for i, v := range row {
				if v != nil {
					s := string(v)
					vals[i] = &s
				}
			}
			r.Rows = append(r.Rows, vals)
		}
		// A statement that returns rows sends a RowDescription even when
		// it returns none.
		r.HasRows = len(rr.FieldDescriptions()) > 0
		tag, err := rr.Close()
		if err != nil {
			firstErr = err
			break
		}
		r.Tag = tag.String()
		if tag.Select() {
			r.HasRows = true
		}
		last = r
	}
	if err := mrr.Close(); err != nil || firstErr != nil {
		if firstErr != nil {
			err = firstErr
		}
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			return outcome{res: script.Result{Code: pgErr.Code}}
		}
		return outcome{fatal: err}
	}
	if last == nil {
		return outcome{res: script.Result{}}
	}
	return outcome{res: *last}
}

// Connect opens a connection with the session settings applied.
func (r *Runner) Connect(ctx context.Context) (*pgconn.PgConn, error) {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgconn.Connect(cctx, r.DSN)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	if o := exec(cctx, conn, sessionSettings); o.fatal != nil || o.res.Code != "" {
		conn.Close(ctx)
		return nil, fmt.Errorf("session settings: %v %s", o.fatal, o.res.Code)
	}
	return conn, nil
}

// ServerVersion is `show server_version`.
func (r *Runner) ServerVersion(ctx context.Context) (string, error) {
	return r.show(ctx, "server_version")
}

func (r *Runner) show(ctx context.Context, name string) (string, error) {
	conn, err := r.Connect(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	o := exec(ctx, conn, "show "+name)
	if o.fatal != nil {
		return "", o.fatal
	}
	if o.res.Code != "" || len(o.res.Rows) != 1 || len(o.res.Rows[0]) != 1 || o.res.Rows[0][0] == nil {
		return "", fmt.Errorf("show %s: unexpected answer %+v", name, o.res)
	}
	return *o.res.Rows[0][0], nil
}

// Run runs s at level ("" for none) and writes its result lines to out.
func (r *Runner) Run(ctx context.Context, s *script.Script, level string, out io.Writer) (err error) {
	setup, err := r.Connect(ctx)
	if err != nil {
		return err
	}
	defer setup.Close(ctx)
	if o := exec(ctx, setup, resetSQL); o.fatal != nil || o.res.Code != "" {
		return fmt.Errorf("reset: %v %s", o.fatal, o.res.Code)
	}
	for _, l := range s.Setup {
		stmt := script.Substitute(l.Text, level)
		o := exec(ctx, setup, stmt)
		if o.fatal != nil {
			return fmt.Errorf("setup line %d: %w", l.No, o.fatal)
		}
		if o.res.Code != "" {
			fmt.Fprintf(out, "setup: %s => error %s\n", stmt, o.res.Code)
		}
	}

	sessions := map[int]*session{}
	defer func() {
		for _, ss := range sessions {
			if ss.blocked != nil {
				ss.conn.CancelRequest(ctx)
				select {
				case <-ss.blocked.done:
				case <-time.After(5 * time.Second):
				}
			}
			ss.conn.Close(ctx)
		}
	}()
	ordered := func() []*session {
		var l []*session
		for _, ss := range sessions {
			l = append(l, ss)
		}
		sort.Slice(l, func(i, j int) bool { return l[i].n < l[j].n })
		return l
	}
	// report waits up to d for blocked statements to complete and prints a
	// resumed line for each that has, in session order.
	report := func(d time.Duration) error {
		var waiting []*session
		for _, ss := range ordered() {
			if ss.blocked != nil {
				waiting = append(waiting, ss)
			}
		}
		if len(waiting) == 0 {
			return nil
		}
		done := map[int]outcome{}
		timer := time.NewTimer(d)
		defer timer.Stop()
		expired := false
		for _, ss := range waiting {
			if expired {
				select {
				case o := <-ss.blocked.done:
					done[ss.n] = o
				default:
				}
				continue
			}
			select {
			case o := <-ss.blocked.done:
				done[ss.n] = o
			case <-timer.C:
				expired = true
				select {
				case o := <-ss.blocked.done:
					done[ss.n] = o
				default:
				}
			}
		}
		for _, ss := range waiting {
			o, ok := done[ss.n]
			if !ok {
				continue
			}
			if o.fatal != nil {
				return fmt.Errorf("t%d: %s: %w", ss.n, ss.blocked.text, o.fatal)
			}
			fmt.Fprintf(out, "t%d: resumed => %s\n", ss.n, script.Format(ss.blocked.text, o.res))
			ss.blocked = nil
		}
		return nil
	}

	for _, l := range s.Steps {
		stmt := script.Substitute(l.Text, level)
		ss := sessions[l.Session]
		if ss == nil {
			conn, err := r.Connect(ctx)
			if err != nil {
				return fmt.Errorf("t%d: %w", l.Session, err)
			}
			ss = &session{n: l.Session, conn: conn}
			sessions[l.Session] = ss
		}
		if ss.blocked != nil {
			// It may have completed after the last report's wait ran out:
			// report it late rather than call the session busy.
			select {
			case o := <-ss.blocked.done:
				if o.fatal != nil {
					return fmt.Errorf("t%d: %s: %w", ss.n, ss.blocked.text, o.fatal)
				}
				fmt.Fprintf(out, "t%d: resumed => %s\n", ss.n, script.Format(ss.blocked.text, o.res))
				ss.blocked = nil
			default:
			}
		}
		if ss.blocked != nil {
			fmt.Fprintf(out, "t%d: %s => session busy\n", ss.n, stmt)
		} else {
			p := &pending{text: stmt, done: make(chan outcome, 1)}
			go func(conn *pgconn.PgConn) { p.done <- exec(ctx, conn, stmt) }(ss.conn)
			select {
			case o := <-p.done:
				if o.fatal != nil {
					return fmt.Errorf("t%d: %s: %w", ss.n, stmt, o.fatal)
				}
				fmt.Fprintf(out, "t%d: %s => %s\n", ss.n, stmt, script.Format(stmt, o.res))
			case <-time.After(r.Timing.Window):
				fmt.Fprintf(out, "t%d: %s => blocked\n", ss.n, stmt)
				ss.blocked = p
			}
		}
		if err := report(r.Timing.Settle); err != nil {
			return err
		}
	}
	if err := report(r.Timing.Final); err != nil {
		return err
	}
	for _, ss := range ordered() {
		if ss.blocked != nil {
			fmt.Fprintf(out, "t%d: still blocked\n", ss.n)
		}
	}
	return nil
}
